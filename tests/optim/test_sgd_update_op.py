"""fastconv.ops.sgd_update: the native kernel, the generic backend and a numpy reference
agree bit for bit, and SGD goes through it with the results it always gave.

The reference rounds every product and sum to the parameters' dtype, as the kernel's
contract says: buf = g (first step) or buf * momentum + g; p = p - buf * lr (or p - g * lr
without a buffer).
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastconv as fc
from fastconv import _cpu, nn, ops, optim
from fastconv.backends import cuda, generic

DTYPES = [np.float32, np.float64]
SHAPES = [(0,), (1,), (7,), (3, 5), (2, 3, 4, 5), (1000,)]
HYPER = [(0.1, 0.9), (1e-3, 0.5), (0.3, 0.0), (1.0 / 3, 0.99)]


def reference_update(p, g, buf, lr, momentum, first):
    """New (p, buf), each step rounded to p's dtype (numpy's float32 scalar arithmetic)."""
    t = p.dtype.type
    if buf is None:
        return p - g * t(lr), None
    b = g.copy() if first else buf * t(momentum) + g
    return p - b * t(lr), b


def _arrays(rng, shape, dtype):
    return [rng.standard_normal(shape).astype(dtype) for _ in range(3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lr,momentum", HYPER)
def test_native_generic_and_reference_agree_bitwise(rng, dtype, shape, lr, momentum):
    p0, g, b0 = _arrays(rng, shape, dtype)
    for buffered in (False, True):
        for first in ((False,) if not buffered else (True, False)):
            expected_p, expected_b = reference_update(p0, g, b0 if buffered else None, lr,
                                                      momentum if buffered else 0.0, first)
            for kernel in (_cpu.sgd_update, generic.sgd_update):
                p, b = p0.copy(), (b0.copy() if buffered else None)
                kernel(p, g, b, lr, momentum if buffered else 0.0, first)
                np.testing.assert_array_equal(p, expected_p)
                if buffered:
                    np.testing.assert_array_equal(b, expected_b)
            p, b = p0.copy(), (b0.copy() if buffered else None)
            out = ops.sgd_update(p, g, b, lr=lr, momentum=momentum if buffered else 0.0,
                                 first=first)
            assert out is p
            np.testing.assert_array_equal(p, expected_p)
            if buffered:
                np.testing.assert_array_equal(b, expected_b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_generic_backend_through_ops_matches_native(rng, dtype):
    from tests.ops._helpers import generic_backend
    p0, g, b0 = _arrays(rng, (4, 33), dtype)
    results = []
    for use_generic in (False, True):
        p, b = p0.copy(), b0.copy()
        if use_generic:
            with generic_backend():
                ops.sgd_update(p, g, b, lr=0.05, momentum=0.9, first=True)
                ops.sgd_update(p, g, b, lr=0.05, momentum=0.9)
        else:
            ops.sgd_update(p, g, b, lr=0.05, momentum=0.9, first=True)
            ops.sgd_update(p, g, b, lr=0.05, momentum=0.9)
        results.append((p, b))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_float32_hyper_parameters_are_rounded_to_float32(rng):
    """lr and momentum enter as float32 numbers for float32 arrays (as the C kernel's
    float arguments do), not as doubles."""
    p, g, b = _arrays(rng, (64,), np.float32)
    lr, momentum = 0.1, 0.9   # neither is exact in binary
    expected = p - (b * np.float32(momentum) + g) * np.float32(lr)
    ops.sgd_update(p, g, b, lr=lr, momentum=momentum)
    np.testing.assert_array_equal(p, expected)


def test_non_contiguous_grad_and_aliased_grad(rng):
    p0 = rng.standard_normal((6, 8))
    g_full = rng.standard_normal((8, 6))
    p = p0.copy()
    ops.sgd_update(p, g_full.T, lr=0.25)
    np.testing.assert_array_equal(p, p0 - g_full.T * 0.25)
    p = p0.copy()
    ops.sgd_update(p, p, lr=0.25)   # grad is param itself: read before written
    np.testing.assert_array_equal(p, p0 - p0 * 0.25)
    b = rng.standard_normal((6, 8))
    b0 = b.copy()
    p = p0.copy()
    ops.sgd_update(p, b, b, lr=0.5, momentum=0.5)   # grad is the buffer
    expected_b = b0 * 0.5 + b0
    np.testing.assert_array_equal(b, expected_b)
    np.testing.assert_array_equal(p, p0 - expected_b * 0.5)


def test_result_does_not_depend_on_thread_count(rng, restore_threads):
    p0, g, b0 = _arrays(rng, (300_000,), np.float32)
    outs = []
    for threads in (1, 2):
        fc.set_num_threads(threads)
        p, b = p0.copy(), b0.copy()
        ops.sgd_update(p, g, b, lr=0.01, momentum=0.9)
        outs.append((p, b))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_concurrent_python_threads(rng):
    arrays = [_arrays(rng, (50_000,), np.float64) for _ in range(8)]
    expected = [reference_update(p, g, b, 0.01, 0.9, False) for p, g, b in arrays]
    work = [(p.copy(), g, b.copy()) for p, g, b in arrays]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda a: ops.sgd_update(a[0], a[1], a[2], lr=0.01, momentum=0.9),
                      work))
    for (p, _, b), (ep, eb) in zip(work, expected):
        np.testing.assert_array_equal(p, ep)
        np.testing.assert_array_equal(b, eb)


def test_bad_arguments_raise_before_native_code():
    p = np.ones(4)
    g = np.ones(4)
    with pytest.raises(TypeError, match="param"):
        ops.sgd_update([1.0, 2.0], g, lr=0.1)
    with pytest.raises(TypeError, match="param.*float32 or float64"):
        ops.sgd_update(np.ones(4, np.int64), g, lr=0.1)
    with pytest.raises(TypeError, match="param.*float32 or float64"):
        ops.sgd_update(np.ones(4, np.float16), np.ones(4, np.float16), lr=0.1)
    with pytest.raises(TypeError, match="grad"):
        ops.sgd_update(p, np.ones(4, np.float32), lr=0.1)
    with pytest.raises(ValueError, match="grad.*shape"):
        ops.sgd_update(p, np.ones(5), lr=0.1)
    with pytest.raises(ValueError, match="param.*C-contiguous"):
        ops.sgd_update(np.ones((4, 4)).T, np.ones((4, 4)), lr=0.1)
    readonly = np.ones(4)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="param.*writeable"):
        ops.sgd_update(readonly, g, lr=0.1)
    with pytest.raises(ValueError, match="momentum_buffer"):
        ops.sgd_update(p, g, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="momentum_buffer.*shape"):
        ops.sgd_update(p, g, np.ones(3), lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="momentum_buffer"):
        ops.sgd_update(p, g, np.ones(4, np.float32), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="momentum_buffer.*C-contiguous"):
        ops.sgd_update(np.ones((4, 4)), np.ones((4, 4)), np.ones((4, 4)).T, lr=0.1,
                       momentum=0.9)
    with pytest.raises(ValueError, match="momentum_buffer.*param"):
        ops.sgd_update(p, g, p, lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="lr"):
        ops.sgd_update(p, g, lr="0.1")
    with pytest.raises(TypeError, match="lr"):
        ops.sgd_update(p, g, lr=np.ones(1))
    with pytest.raises(TypeError, match="momentum"):
        ops.sgd_update(p, g, np.ones(4), lr=0.1, momentum=None)
    with pytest.raises(TypeError, match="lr"):
        ops.sgd_update(p, g)   # lr is required and keyword-only
    np.testing.assert_array_equal(p, 1.0)   # nothing was touched


def test_cuda_backend_exposes_sgd_update():
    assert "sgd_update" in generic.__all__ and "sgd_update" in cuda.__all__
    assert cuda.sgd_update.__doc__ == generic.sgd_update.__doc__
    if not cuda.available():
        with pytest.raises(RuntimeError, match="GPU backend unavailable"):
            cuda.sgd_update(np.ones(2), np.ones(2), None, 0.1, 0.0, False)


@pytest.mark.gpu
def test_gpu_matches_native(rng):
    if not cuda.available():
        pytest.skip(cuda.unavailable_reason())
    import cupy
    for dtype in DTYPES:
        p0, g, b0 = _arrays(rng, (1000,), dtype)
        p, b = p0.copy(), b0.copy()
        ops.sgd_update(p, g, b, lr=0.1, momentum=0.9)
        pd, bd = cupy.asarray(p0), cupy.asarray(b0)
        ops.sgd_update(pd, cupy.asarray(g), bd, lr=0.1, momentum=0.9)
        np.testing.assert_array_equal(cupy.asnumpy(pd), p)
        np.testing.assert_array_equal(cupy.asnumpy(bd), b)


# ------------------------------------------------------------------ SGD goes through it

def _sgd_reference(p0s, grads, lr, momentum):
    """SGD's plain rule with the numpy expressions SGD has always rounded as."""
    ps = [p.copy() for p in p0s]
    bufs = [None] * len(ps)
    t = p0s[0].dtype.type
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else bufs[i] * t(momentum) + g
                ps[i] = ps[i] - bufs[i] * t(lr)
            else:
                ps[i] = ps[i] - g * t(lr)
    return ps


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_calls_the_op_and_is_bitwise_unchanged(rng, monkeypatch, dtype, momentum):
    p0s = [rng.standard_normal(s).astype(dtype) for s in ((3, 4), (4,), (2, 3, 5))]
    grads = [[rng.standard_normal(p.shape).astype(dtype) for p in p0s] for _ in range(5)]
    calls = []
    real = ops.sgd_update

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    import fastconv.optim.sgd as sgd_module
    monkeypatch.setattr(sgd_module.ops, "sgd_update", counting)
    params = [nn.Parameter(fc.tensor(p.copy())) for p in p0s]
    opt = optim.SGD(params, lr=0.05, momentum=momentum)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = fc.tensor(g)
        opt.step()
    assert len(calls) == 5 * len(p0s)
    assert [c.get("first", False) for c in calls[:3]] == [bool(momentum)] * 3
    assert not any(c.get("first", False) for c in calls[3:])
    for p, expected in zip(params, _sgd_reference(p0s, grads, 0.05, momentum)):
        np.testing.assert_array_equal(p.detach().numpy(), expected)


def test_sgd_on_the_generic_backend_matches_native(rng):
    from tests.ops._helpers import generic_backend
    p0s = [rng.standard_normal((5, 6)).astype(np.float32), rng.standard_normal(6)]
    grads = [[rng.standard_normal(p.shape).astype(p.dtype) for p in p0s] for _ in range(4)]
    finals = []
    for use_generic in (False, True):
        params = [nn.Parameter(fc.tensor(p.copy())) for p in p0s]
        opt = optim.SGD(params, lr=0.1, momentum=0.8)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = fc.tensor(g)
            if use_generic:
                with generic_backend():
                    opt.step()
            else:
                opt.step()
        finals.append([p.detach().numpy().copy() for p in params])
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)


def test_sgd_falls_back_for_a_non_contiguous_parameter(rng):
    """A parameter whose array is a transposed view cannot be updated by the in-place
    kernel; SGD then uses its array expressions, with the same result."""
    base = rng.standard_normal((4, 6))
    p = nn.Parameter(fc.tensor(base.copy()))
    p.data = p.detach().numpy().T
    g = rng.standard_normal((6, 4))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        p.grad = fc.tensor(g)
        opt.step()
    buf = g * 0.9 + g
    np.testing.assert_array_equal(p.detach().numpy(), base.T - g * 0.1 - buf * 0.1)
