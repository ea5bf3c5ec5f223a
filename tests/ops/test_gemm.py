"""fastconv.ops.gemm / matmul / linear_*: the native GEMM against float64 numpy.

The reference is numpy's float64 matmul; tolerances are relative to the size of the
products (|a| @ |b|), so they hold for any k.
"""
import numpy as np
import pytest

import fastconv
from fastconv import ops
from fastconv import _cpu, _threads
from fastconv._caps import isa_available, override

# ------------------------------------------------------------------ helpers

TOL = {np.float32: 2e-6, np.float64: 1e-13}  # relative to |a| @ |b|


@pytest.fixture
def threads_back():
    """Restore fastconv's thread setting after a test that changes it."""
    saved = _threads._requested
    yield
    _threads._requested = saved


def _op(x, trans):
    return x.T if trans else x


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _operands(rng, m, n, k, ta, tb, dtype):
    a = _rand(rng, (k, m) if ta else (m, k), dtype)
    b = _rand(rng, (n, k) if tb else (k, n), dtype)
    return a, b


def _check(got, a, b, ta, tb, alpha=1.0, beta=0.0, c0=None):
    """got == alpha * op(a) @ op(b) + beta * c0 up to rounding of the products."""
    a64, b64 = _op(a, ta).astype(np.float64), _op(b, tb).astype(np.float64)
    ref = alpha * (a64 @ b64)
    scale = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if beta != 0:
        ref = ref + beta * c0.astype(np.float64)
        scale = scale + np.abs(beta * c0.astype(np.float64))
    tol = TOL[got.dtype.type] * (scale + 1.0)
    err = np.abs(got.astype(np.float64) - ref)
    assert np.all(err <= tol), "max error %g (tol %g)" % (err.max(), tol.max())


# ------------------------------------------------------------------ values

SIZES = [(1, 1, 1), (1, 17, 5), (13, 1, 7), (5, 9, 1), (6, 16, 8), (7, 17, 33),
         (25, 31, 19), (12, 48, 260), (300, 257, 129)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("m,n,k", SIZES)
def test_gemm_matches_numpy(m, n, k, ta, tb, dtype):
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c = ops.gemm(a, b, trans_a=ta, trans_b=tb)
    assert c.shape == (m, n) and c.dtype == dtype
    _check(c, a, b, ta, tb)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (2.5, 0.0), (-0.5, 0.75), (1.0, -1.0),
                                        (0.0, 2.0)])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, True)])
def test_gemm_alpha_beta(alpha, beta, ta, tb, dtype):
    rng = np.random.default_rng(7)
    m, n, k = 23, 37, 300  # k > KC: several depth blocks, beta applied once
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = _rand(rng, (m, n), dtype)
    c = c0.copy()
    got = ops.gemm(a, b, trans_a=ta, trans_b=tb, alpha=alpha, beta=beta, out=c)
    assert got is c
    _check(c, a, b, ta, tb, alpha, beta, c0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n,k", [(7, 19, 5), (64, 70, 300)])
def test_gemm_beta_zero_does_not_read_out(m, n, k, dtype):
    rng = np.random.default_rng(3)
    a, b = _operands(rng, m, n, k, False, False, dtype)
    c = np.full((m, n), np.nan, dtype=dtype)
    ops.gemm(a, b, beta=0.0, out=c)
    assert np.all(np.isfinite(c))
    _check(c, a, b, False, False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_k_zero(dtype):
    a = np.ones((4, 0), dtype)
    b = np.ones((0, 5), dtype)
    assert np.array_equal(ops.gemm(a, b), np.zeros((4, 5), dtype))
    c = np.full((4, 5), 3.0, dtype)
    ops.gemm(a, b, beta=2.0, out=c)
    assert np.array_equal(c, np.full((4, 5), 6.0, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_empty_m_or_n(dtype):
    assert ops.gemm(np.ones((0, 3), dtype), np.ones((3, 4), dtype)).shape == (0, 4)
    assert ops.gemm(np.ones((2, 3), dtype), np.ones((3, 0), dtype)).shape == (2, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_non_contiguous_inputs(dtype):
    rng = np.random.default_rng(11)
    big_a = _rand(rng, (40, 60), dtype)
    big_b = _rand(rng, (50, 90), dtype)
    a = big_a[::2, 1::3]          # 20 x 20, strided both ways
    b = big_b[5:25, ::4]          # 20 x 23
    _check(ops.gemm(a, b), np.ascontiguousarray(a), np.ascontiguousarray(b), False, False)
    at = np.asfortranarray(_rand(rng, (17, 9), dtype))   # column-major
    bt = _rand(rng, (31, 9), dtype).T                    # transposed view
    _check(ops.gemm(at, bt), at, bt, False, False)
    _check(ops.gemm(at, bt.T, trans_b=True), at, bt.T, False, True)


def test_gemm_matmul_and_linear():
    rng = np.random.default_rng(5)
    x = _rand(rng, (9, 13), np.float64)
    w = _rand(rng, (7, 13), np.float64)
    bias = _rand(rng, (7,), np.float64)
    np.testing.assert_allclose(ops.matmul(x, w.T), x @ w.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ops.linear_forward(x, w, bias), x @ w.T + bias,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ops.linear_forward(x, w), x @ w.T, rtol=1e-12, atol=1e-12)
    dy = _rand(rng, (9, 7), np.float64)
    np.testing.assert_allclose(ops.linear_backward_data(dy, w), dy @ w, rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(ops.linear_backward_weight(dy, x), dy.T @ x, rtol=1e-12,
                               atol=1e-12)


def test_gemm_special_values_propagate():
    a = np.ones((3, 4), np.float32)
    b = np.ones((4, 20), np.float32)
    a[1, 2] = np.nan
    b[0, 19] = np.inf
    c = ops.gemm(a, b)
    assert np.all(np.isnan(c[1]))
    assert np.all(np.isinf(c[[0, 2], 19]))
    assert np.all(c[[0, 2], :19] == 4)


# ------------------------------------------------------------------ threads

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n,k,ta,tb", [(300, 257, 129, False, False),
                                          (5, 700, 200, True, False),
                                          (700, 7, 200, False, True),
                                          (64, 64, 600, True, True)])
def test_gemm_same_result_for_any_thread_count(m, n, k, ta, tb, dtype, threads_back):
    rng = np.random.default_rng(21)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = _rand(rng, (m, n), dtype)
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        c = c0.copy()
        ops.gemm(a, b, trans_a=ta, trans_b=tb, alpha=0.5, beta=1.0, out=c)
        results.append(c)
    assert np.array_equal(results[0], results[1])
    assert np.array_equal(results[0], results[2])


def test_gemm_concurrent_python_threads():
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(8)
    a = _rand(rng, (150, 120), np.float32)
    b = _rand(rng, (120, 130), np.float32)
    ref = ops.gemm(a, b)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: ops.gemm(a, b), range(16)))
    assert all(np.array_equal(o, ref) for o in outs)


# ------------------------------------------------------------------ kernels

KERNEL_PREFIX = {"generic": "generic", "avx2": "avx2-fma", "avx512": "avx512f"}


def test_kernel_name_reports_choice():
    """The micro-kernel follows the capability record's ISA."""
    assert _cpu.gemm_kernel_name().startswith(KERNEL_PREFIX[_cpu.capabilities()["isa"]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_do_not_depend_on_the_tile_height(dtype):
    """Small m may use a shorter micro-tile; every row must still come out bit-identical."""
    rng = np.random.default_rng(6)
    a = _rand(rng, (100, 300), dtype)
    b = _rand(rng, (300, 70), dtype)
    full = ops.gemm(a, b)
    for m in (1, 6, 8, 12, 14, 16, 28, 30):
        assert np.array_equal(ops.gemm(a[:m], b), full[:m])


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_each_isa_kernel_in_process(isa):
    """Each instruction set's micro-kernels (generic: the portable C one of ARM builds),
    switched in process, against float64 numpy: GEMMs and a convolution on them."""
    if not isa_available(isa):
        pytest.skip("this CPU does not run %s" % isa)
    rng = np.random.default_rng(0)
    with override(isa=isa):
        assert _cpu.gemm_kernel_name().startswith(KERNEL_PREFIX[isa])
        for dt, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
            for (m, n, k) in ((1, 1, 1), (5, 9, 3), (70, 33, 300)):
                a = rng.standard_normal((m, k)).astype(dt)
                b = rng.standard_normal((n, k)).astype(dt)
                c = rng.standard_normal((m, n)).astype(dt)
                ref = 2 * a.astype(float) @ b.T.astype(float) - c
                got = ops.gemm(a, b, trans_b=True, alpha=2.0, beta=-1.0, out=c.copy())
                err = np.abs(got - ref).max()
                assert err <= tol * (1 + np.abs(ref).max()), (dt, m, n, k)
            x = rng.standard_normal((2, 3, 7, 6)).astype(dt)
            w = rng.standard_normal((4, 3, 3, 3)).astype(dt)
            y = ops.conv2d_forward(x, w, None, 1, 1)
            win = np.lib.stride_tricks.sliding_window_view(
                np.pad(x.astype(float), ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3),
                axis=(2, 3))
            ref = np.einsum("nchwij,ocij->nohw", win, w.astype(float))
            assert np.abs(y - ref).max() <= tol * 10 * (1 + np.abs(ref).max()), dt


# ------------------------------------------------------------------ bad input

def test_gemm_bad_input_names_argument():
    f = np.ones((3, 4), np.float32)
    with pytest.raises(TypeError, match="a must have dtype"):
        ops.gemm(np.ones((3, 4), np.int32), np.ones((4, 2), np.float32))
    with pytest.raises(TypeError, match="b must have dtype"):
        ops.gemm(f, np.ones((4, 2), np.float16))
    with pytest.raises(TypeError, match="dtype"):
        ops.gemm(f, np.ones((4, 2), np.float64))
    with pytest.raises(ValueError, match="inner"):
        ops.gemm(f, np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="a must be 2-D"):
        ops.gemm(np.ones(4, np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match="out"):
        ops.gemm(f, np.ones((4, 2), np.float32), beta=1.0)
    with pytest.raises(ValueError, match="out"):
        ops.gemm(f, np.ones((4, 2), np.float32), out=np.empty((2, 3), np.float32))
    with pytest.raises(ValueError, match="out"):
        ops.gemm(f, np.ones((4, 2), np.float32), out=np.empty((3, 2), np.float64))
    with pytest.raises(ValueError, match="out"):
        ops.gemm(f, np.ones((4, 2), np.float32), out=np.empty((2, 3), np.float32).T)
    with pytest.raises(ValueError, match="features"):
        ops.linear_forward(f, np.ones((5, 3), np.float32))
    with pytest.raises(ValueError, match="bias"):
        ops.linear_forward(f, np.ones((5, 4), np.float32), np.ones(4, np.float32))


def test_gemm_out_overlapping_an_input():
    """out= sharing memory with an input still gives the product of the old values."""
    rng = np.random.default_rng(2)
    a = _rand(rng, (300, 300), np.float64)  # k > KC: A is packed again after C is written
    b = _rand(rng, (300, 300), np.float64)
    ref = a @ b
    ops.gemm(a, b, out=a)
    np.testing.assert_allclose(a, ref, rtol=1e-12, atol=1e-12)
    c = a.copy()
    ref = 2.0 * (c @ b) + c
    ops.gemm(c, b, alpha=2.0, beta=1.0, out=c)
    np.testing.assert_allclose(c, ref, rtol=1e-12, atol=1e-12)
    x = _rand(rng, (8, 8), np.float64)
    w = _rand(rng, (8, 8), np.float64)
    bias = _rand(rng, (8,), np.float64)
    ref = x @ w.T + bias
    ops.linear_forward(x, w, bias, out=x)
    np.testing.assert_allclose(x, ref, rtol=1e-12, atol=1e-12)
