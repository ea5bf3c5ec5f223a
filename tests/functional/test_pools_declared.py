"""Average and adaptive pooling declared for the op harness (tests/harness.py): float64
references written plainly, gradcheck, PyTorch over sweeps of the options, native vs
generic, 1 vs 2 threads; adaptive max pooling's indices; the modules against torch's;
bad input."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, ops
from fastconv.ops._dispatch import use_backend
from tests.geometries import (ADAPTIVE_POOL2D, ADAPTIVE_POOL2D_LARGE, AVG_POOL2D_LARGE,
                              AVG_POOL2D_OPTIONS, AVG_POOL2D_WINDOWS)
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------ references

def ref_pool_out(size, k, s, p, ceil_mode):
    """PyTorch's documented output length: floor or ceil of (size + 2p - k) / s, plus 1;
    in ceil mode the last window must start inside the input or its left padding."""
    num = size + 2 * p - k
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, divisor_override=None):
    """Each window's sum of in-bounds inputs over its divisor: the window clipped to the
    padded input (count_include_pad), or to the input, or divisor_override."""
    if x.ndim == 3:
        return ref_avg_pool2d(x[None], kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override)[0]
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride if stride is not None else kernel_size)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    oh, ow = ref_pool_out(h, kh, sh, ph, ceil_mode), ref_pool_out(w, kw, sw, pw, ceil_mode)
    y = np.zeros((n, c, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            top, left = oy * sh - ph, ox * sw - pw
            bottom, right = min(top + kh, h + ph), min(left + kw, w + pw)
            inside = x[:, :, max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
            if divisor_override:
                divisor = divisor_override
            elif count_include_pad:
                divisor = (bottom - top) * (right - left)
            else:
                divisor = inside.shape[2] * inside.shape[3]
            y[:, :, oy, ox] = inside.sum(axis=(2, 3)) / divisor
    return y


def ref_adaptive_windows(size, out):
    """PyTorch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _output_size(x, output_size):
    oh, ow = _pair(output_size) if output_size is not None else (None, None)
    return (x.shape[-2] if oh is None else oh), (x.shape[-1] if ow is None else ow)


def ref_adaptive_pool2d(x, output_size, reduce):
    """reduce(window) over every adaptive window of the last two axes."""
    oh, ow = _output_size(x, output_size)
    y = np.zeros(x.shape[:-2] + (oh, ow))
    for oy, (r0, r1) in enumerate(ref_adaptive_windows(x.shape[-2], oh)):
        for ox, (c0, c1) in enumerate(ref_adaptive_windows(x.shape[-1], ow)):
            y[..., oy, ox] = reduce(x[..., r0:r1, c0:c1])
    return y


def ref_adaptive_avg_pool2d(x, output_size):
    return ref_adaptive_pool2d(x, output_size, lambda win: win.mean(axis=(-2, -1)))


def ref_adaptive_max_pool2d(x, output_size):
    return ref_adaptive_pool2d(x, output_size, lambda win: win.max(axis=(-2, -1)))


def ref_adaptive_max_indices(plane, output_size):
    """Flat argmax per window of one (h, w) plane by PyTorch's scan: row-major, a value
    replaces the maximum when larger or NaN; the maximum starts at -inf, its index at the
    window's first element."""
    h, w = plane.shape
    oh, ow = _output_size(plane, output_size)
    idx = np.zeros((oh, ow), dtype=np.int64)
    for oy, (r0, r1) in enumerate(ref_adaptive_windows(h, oh)):
        for ox, (c0, c1) in enumerate(ref_adaptive_windows(w, ow)):
            best, at = -np.inf, r0 * w + c0
            for r in range(r0, r1):
                for c in range(c0, c1):
                    if plane[r, c] > best or np.isnan(plane[r, c]):
                        best, at = plane[r, c], r * w + c
            idx[oy, ox] = at
    return idx


# ------------------------------------------------------------------ declared cases

def _torch_avg(t, x, **kw):
    return t.nn.functional.avg_pool2d(x, **kw)


def _valid(shape, kernel, stride, padding, ceil_mode):
    (kh, kw), (ph, pw) = _pair(kernel), _pair(padding)
    sh, sw = _pair(stride if stride is not None else kernel)
    return (2 * ph <= kh and 2 * pw <= kw and ref_pool_out(shape[-2], kh, sh, ph, ceil_mode) >= 1
            and ref_pool_out(shape[-1], kw, sw, pw, ceil_mode) >= 1)


def _avg_cases():
    cases = []
    for i, (shape, kernel, stride) in enumerate(AVG_POOL2D_WINDOWS):
        for padding, ceil_mode, cip, divisor in AVG_POOL2D_OPTIONS:
            if not _valid(shape, kernel, stride, padding, ceil_mode):
                continue
            name = "avg_pool2d-%d-p%d%s%s%s" % (i, padding, "-ceil" if ceil_mode else "",
                                                "-cip" if cip else "",
                                                "-div%d" % divisor if divisor else "")
            cases.append(OpCase(name, F.avg_pool2d, [Input(shape)],
                                kwargs=dict(kernel_size=kernel, stride=stride, padding=padding,
                                            ceil_mode=ceil_mode, count_include_pad=cip,
                                            divisor_override=divisor),
                                ref=ref_avg_pool2d, torch_fn=_torch_avg))
    for i, (shape, kernel, stride, padding) in enumerate(AVG_POOL2D_LARGE):
        cases.append(OpCase("avg_pool2d-large-%d" % i, F.avg_pool2d, [Input(shape)],
                            kwargs=dict(kernel_size=kernel, stride=stride, padding=padding),
                            ref=ref_avg_pool2d, torch_fn=_torch_avg, gradcheck=False))
    cases.append(OpCase("avg_pool2d-unbatched", F.avg_pool2d, [Input((3, 7, 6))],
                        kwargs=dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                    count_include_pad=False),
                        ref=ref_avg_pool2d, torch_fn=_torch_avg))
    cases.append(OpCase("avg_pool2d-negative-divisor", F.avg_pool2d, [Input((1, 2, 6, 6))],
                        kwargs=dict(kernel_size=2, divisor_override=-3),
                        ref=ref_avg_pool2d, torch_fn=_torch_avg))
    return cases


# the thread check only where a kernel can go parallel (small inputs run on one thread)
SMALL_CHECKS = ("reference", "gradcheck", "torch", "generic", "cuda")


def _split(cases):
    """(small cases, large cases): the large ones skip gradcheck and reach the threads."""
    return [c for c in cases if c.gradcheck], [c for c in cases if not c.gradcheck]


_AVG_SMALL, _AVG_LARGE = _split(_avg_cases())
test_avg_pool2d = op_tests(_AVG_SMALL, SMALL_CHECKS)
test_avg_pool2d_large = op_tests(_AVG_LARGE)


def _adaptive_cases():
    cases = []
    geometries = ([(s, o, True) for s, o in ADAPTIVE_POOL2D]
                  + [(s, o, False) for s, o in ADAPTIVE_POOL2D_LARGE]
                  + [((3, 7, 5), (2, 3), True)])                       # unbatched
    for i, (shape, output_size, small) in enumerate(geometries):
        cases.append(OpCase("adaptive_avg_pool2d-%d" % i, F.adaptive_avg_pool2d,
                            [Input(shape)], kwargs=dict(output_size=output_size),
                            ref=ref_adaptive_avg_pool2d, gradcheck=small,
                            torch_fn=lambda t, x, **kw: t.nn.functional.adaptive_avg_pool2d(
                                x, **kw)))
        cases.append(OpCase("adaptive_max_pool2d-%d" % i, F.adaptive_max_pool2d,
                            [Input(shape, "distinct")], kwargs=dict(output_size=output_size),
                            ref=ref_adaptive_max_pool2d, gradcheck=small,
                            torch_fn=lambda t, x, **kw: t.nn.functional.adaptive_max_pool2d(
                                x, **kw)))
    return cases


_ADAPTIVE_SMALL, _ADAPTIVE_LARGE = _split(_adaptive_cases())
test_adaptive_pool2d = op_tests(_ADAPTIVE_SMALL, SMALL_CHECKS)
test_adaptive_pool2d_large = op_tests(_ADAPTIVE_LARGE)


def _tricky_planes(shape, seed):
    """Values with ties, NaNs and whole -inf windows: what the argmax rules are about."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal(shape) * 2) / 2            # many ties
    x[rng.random(shape) < 0.05] = np.nan
    x[0, 0] = -np.inf                                            # a plane of -inf only
    x[-1, -1, : shape[2] // 2] = -np.inf                         # -inf windows
    return x


@pytest.mark.parametrize("backend", ["native", "generic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,output_size", ADAPTIVE_POOL2D + ADAPTIVE_POOL2D_LARGE)
def test_adaptive_max_pool2d_indices_follow_the_scan_rule(shape, output_size, dtype, backend):
    x = _tricky_planes(shape, 3).astype(dtype)
    with use_backend(backend):
        y, idx = F.adaptive_max_pool2d(fc.tensor(x), output_size, return_indices=True)
    y, idx = y.numpy(), idx.numpy()
    planes = x.reshape((-1,) + x.shape[2:])
    for p, plane in enumerate(planes):
        expected = ref_adaptive_max_indices(plane, output_size)
        np.testing.assert_array_equal(idx.reshape((-1,) + idx.shape[2:])[p], expected)
        np.testing.assert_array_equal(y.reshape((-1,) + y.shape[2:])[p],
                                      plane.reshape(-1)[expected])
    torch = pytest.importorskip("torch")
    ty, ti = torch.nn.functional.adaptive_max_pool2d(torch.from_numpy(x), output_size,
                                                     return_indices=True)
    np.testing.assert_array_equal(idx, ti.numpy())
    np.testing.assert_array_equal(y, ty.numpy())


def test_adaptive_max_pool2d_gradient_follows_the_indices_and_threads_agree(restore_threads):
    x = _tricky_planes((8, 16, 16, 16), 4)
    g = np.random.default_rng(5).standard_normal((8, 16, 1, 1))
    grads = []
    for threads in (1, 2):
        fc.set_num_threads(threads)
        t = fc.tensor(x, requires_grad=True)
        y, idx = F.adaptive_max_pool2d(t, 1, return_indices=True)
        y.backward(fc.tensor(g))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    expected = np.zeros((8 * 16, 256))
    expected[np.arange(8 * 16), idx.numpy().reshape(-1)] = g.reshape(-1)
    np.testing.assert_array_equal(grads[0], expected.reshape(x.shape))


# ------------------------------------------------------------------ modules

def test_avg_pool2d_module_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    args = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False,
                divisor_override=None)
    ours, theirs = nn.AvgPool2d(**args), torch.nn.AvgPool2d(**args)
    assert repr(ours) == repr(theirs)
    assert repr(nn.AvgPool2d(2)) == repr(torch.nn.AvgPool2d(2))
    np.testing.assert_allclose(ours(fc.tensor(x)).numpy(),
                               theirs(torch.from_numpy(x)).numpy(), rtol=1e-6, atol=1e-7)


def test_adaptive_pool_modules_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    for ours, theirs in ((nn.AdaptiveAvgPool2d((4, None)), torch.nn.AdaptiveAvgPool2d((4, None))),
                         (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1)),
                         (nn.AdaptiveMaxPool2d(3), torch.nn.AdaptiveMaxPool2d(3)),
                         (nn.AdaptiveMaxPool2d([2, 5], return_indices=True),
                          torch.nn.AdaptiveMaxPool2d([2, 5], return_indices=True))):
        assert repr(ours) == repr(theirs)
        a, b = ours(fc.tensor(x)), theirs(torch.from_numpy(x))
        if isinstance(b, tuple):
            np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
            a, b = a[0], b[0]
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_avg_pool2d_backward_writes_into_out():
    g = np.ones((1, 1, 2, 2))
    out = np.full((1, 1, 4, 4), np.nan)
    dx = ops.avg_pool2d_backward(g, (1, 1, 4, 4), 2, out=out)
    assert dx is out
    np.testing.assert_array_equal(out, np.full((1, 1, 4, 4), 0.25))


# ------------------------------------------------------------------ bad input

def _x(shape=(1, 2, 6, 6), dtype=np.float32):
    return fc.tensor(np.zeros(shape, dtype=dtype))


test_avg_pool2d_bad_input = error_tests([
    BadCall("padding more than half the kernel", lambda: F.avg_pool2d(_x(), 2, padding=2),
            ValueError, "padding .* at most half of kernel_size"),
    BadCall("zero kernel", lambda: F.avg_pool2d(_x(), 0), ValueError, "kernel_size"),
    BadCall("negative kernel", lambda: F.avg_pool2d(_x(), (2, -1)), ValueError,
            "kernel_size"),
    BadCall("zero stride", lambda: F.avg_pool2d(_x(), 2, stride=0), ValueError, "stride"),
    BadCall("negative stride", lambda: F.avg_pool2d(_x(), 2, stride=-1), ValueError,
            "stride"),
    BadCall("negative padding", lambda: F.avg_pool2d(_x(), 2, padding=-1), ValueError,
            "padding"),
    BadCall("divisor_override 0", lambda: F.avg_pool2d(_x(), 2, divisor_override=0),
            ValueError, "divisor_override"),
    BadCall("divisor_override float", lambda: F.avg_pool2d(_x(), 2, divisor_override=2.0),
            TypeError, "divisor_override"),
    BadCall("kernel larger than the input", lambda: F.avg_pool2d(_x(), 7), ValueError,
            "larger than the padded input"),
    BadCall("2-D input", lambda: F.avg_pool2d(_x((6, 6)), 2), ValueError, "3-D .* or 4-D"),
    BadCall("5-D input", lambda: F.avg_pool2d(_x((1, 1, 1, 6, 6)), 2), ValueError,
            "3-D .* or 4-D"),
    BadCall("integer input", lambda: F.avg_pool2d(fc.tensor(np.zeros((1, 1, 4, 4),
                                                                     dtype=np.int64)), 2),
            TypeError, "float32 or float64"),
    BadCall("array input", lambda: F.avg_pool2d(np.zeros((1, 1, 4, 4)), 2), TypeError,
            "input must be a fastconv Tensor"),
    BadCall("kernel_size not ints", lambda: F.avg_pool2d(_x(), (2.0, 2)), TypeError,
            "kernel_size"),
    BadCall("grad_output shape", lambda: ops.avg_pool2d_backward(np.zeros((1, 2, 2, 2)),
                                                                 (1, 2, 6, 6), 2),
            ValueError, "grad_output must have shape"),
    BadCall("empty batch", lambda: ops.avg_pool2d_forward(np.zeros((0, 2, 6, 6)), 2),
            ValueError, "empty batch"),
])


test_adaptive_pool2d_bad_input = error_tests([
    BadCall("avg output_size 0", lambda: F.adaptive_avg_pool2d(_x(), 0), ValueError,
            "output_size must be >= 1"),
    BadCall("avg output_size negative", lambda: F.adaptive_avg_pool2d(_x(), (2, -1)),
            ValueError, "output_size must be >= 1"),
    BadCall("max output_size 0", lambda: F.adaptive_max_pool2d(_x(), (0, 2)), ValueError,
            "output_size must be >= 1"),
    BadCall("output_size of three", lambda: F.adaptive_avg_pool2d(_x(), (1, 2, 3)),
            ValueError, "output_size must be an int or a pair"),
    BadCall("output_size float", lambda: F.adaptive_max_pool2d(_x(), 2.5), TypeError,
            "output_size"),
    BadCall("output_size None alone", lambda: F.adaptive_avg_pool2d(_x(), None), TypeError,
            "output_size"),
    BadCall("avg 2-D input", lambda: F.adaptive_avg_pool2d(_x((6, 6)), 2), ValueError,
            "3-D .* or 4-D"),
    BadCall("max 5-D input", lambda: F.adaptive_max_pool2d(_x((1, 1, 1, 6, 6)), 2),
            ValueError, "3-D .* or 4-D"),
    BadCall("integer input", lambda: F.adaptive_avg_pool2d(
        fc.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2), TypeError, "float32 or float64"),
    BadCall("zero-sized plane", lambda: ops.adaptive_avg_pool2d_forward(np.zeros((1, 1, 0, 4)),
                                                                       2),
            ValueError, "zero-sized"),
    BadCall("max indices out of range", lambda: ops.adaptive_max_pool2d_backward(
        np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 16), (1, 1, 4, 4)), ValueError,
            "indices must lie in"),
    BadCall("max indices dtype", lambda: ops.adaptive_max_pool2d_backward(
        np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)), (1, 1, 4, 4)), TypeError,
            "indices must be an int64 array"),
    BadCall("avg grad_output batch", lambda: ops.adaptive_avg_pool2d_backward(
        np.zeros((2, 1, 2, 2)), (1, 1, 4, 4)), ValueError, "grad_output must have shape"),
])
