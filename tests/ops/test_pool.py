"""fastconv.ops.max_pool2d_* (native kernels) against the generic backend and PyTorch."""

import numpy as np
import pytest

from fastconv import ops

from fastconv._caps import override

from ._helpers import generic_backend

CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),                               # 2x2/s2 fast path
    ((2, 3, 7, 9), dict(kernel_size=2)),                               # fast path, odd
    ((2, 3, 7, 9), dict(kernel_size=2, ceil_mode=True)),               # general path
    ((1, 1, 5, 6), dict(kernel_size=2, stride=2, padding=1)),
    ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 9, 10), dict(kernel_size=2, stride=3)),                    # stride > kernel
    ((1, 2, 10, 9), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1))),
    ((2, 2, 9, 9), dict(kernel_size=3, dilation=2)),
    ((1, 2, 9, 8), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 1), stride=2,
                        ceil_mode=True)),
    ((3, 1, 5, 5), dict(kernel_size=5)),
    ((2, 1, 6, 6), dict(kernel_size=4, stride=1, padding=2)),
    ((1, 1, 1, 1), dict(kernel_size=1)),
    # rows wide enough for the vectorised interior windows (blocks of 1 or 2 vectors,
    # the last one moved back to overlap), with scalar border windows on either side
    ((2, 3, 11, 37), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 9, 40), dict(kernel_size=3, stride=1, padding=1)),
    ((1, 1, 9, 13), dict(kernel_size=3, stride=1, padding=1)),
    ((1, 2, 12, 29), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1))),
    ((1, 2, 10, 45), dict(kernel_size=3, stride=1, dilation=2)),
    ((1, 2, 11, 44), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 1), stride=2,
                          ceil_mode=True)),
    ((1, 1, 6, 40), dict(kernel_size=7, stride=1, padding=3)),
    ((1, 1, 5, 60), dict(kernel_size=(1, 4), stride=(1, 3))),        # stride 3: scalar
]
IDS = ["case%d" % i for i in range(len(CASES))]
DTYPES = [np.float32, np.float64]
VALUES = ["normal", "ties", "nan", "inf", "neginf"]


def _input(rng, shape, values, dtype):
    if values == "ties":
        return rng.integers(0, 3, size=shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if values == "nan":
        x.reshape(-1)[rng.integers(0, x.size, size=max(1, x.size // 5))] = np.nan
    elif values == "inf":
        x.reshape(-1)[::3] = -np.inf
        x.reshape(-1)[1::7] = np.inf
    elif values == "neginf":  # whole windows of -inf report their first tap
        x[...] = -np.inf
        x.reshape(-1)[rng.integers(0, x.size, size=max(1, x.size // 10))] = 1.0
    return x


def _forward_backward(x, dy_seed, kw):
    y, idx = ops.max_pool2d_forward(x, **kw)
    dy = np.random.default_rng(dy_seed).standard_normal(y.shape).astype(x.dtype)
    dx = ops.max_pool2d_backward(dy, idx, x.shape, **kw)
    return y, idx, dy, dx


@pytest.mark.parametrize("values", VALUES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kw", CASES, ids=IDS)
def test_native_matches_generic_exactly(rng, shape, kw, dtype, values):
    x = _input(rng, shape, values, dtype)
    y, idx, dy, dx = _forward_backward(x, 7, kw)
    with generic_backend():
        gy, gidx, gdy, gdx = _forward_backward(x, 7, kw)
    assert y.dtype == dtype and idx.dtype == np.int64 and dx.dtype == dtype
    np.testing.assert_array_equal(y, gy)
    np.testing.assert_array_equal(idx, gidx)
    assert idx.min() >= 0 and idx.max() < shape[2] * shape[3]
    np.testing.assert_array_equal(dx, gdx)    # same per-plane accumulation order


@pytest.mark.parametrize("values", VALUES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kw", CASES, ids=IDS)
def test_native_matches_torch(rng, shape, kw, dtype, values):
    torch = pytest.importorskip("torch")
    x = _input(rng, shape, values, dtype)
    y, idx, dy, dx = _forward_backward(x, 11, kw)
    xt = torch.tensor(x, requires_grad=True)
    yt, it = torch.nn.functional.max_pool2d(xt, return_indices=True, **kw)
    yt.backward(torch.tensor(dy))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(idx, it.numpy())
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=tol, atol=tol)


def test_return_indices_false_gives_same_values(rng):
    x = _input(rng, (2, 3, 9, 7), "nan", np.float32)
    y = ops.max_pool2d_forward(x, 3, 2, 1, return_indices=False)
    assert isinstance(y, np.ndarray)
    np.testing.assert_array_equal(y, ops.max_pool2d_forward(x, 3, 2, 1)[0])


def test_default_stride_is_kernel_size(rng):
    x = rng.standard_normal((1, 2, 9, 9))
    for stride in (None, (), []):
        y, _ = ops.max_pool2d_forward(x, 3, stride)
        assert y.shape == (1, 2, 3, 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_buffers_are_filled_and_returned(rng, dtype):
    x = rng.standard_normal((2, 3, 8, 6)).astype(dtype)
    y0, i0 = ops.max_pool2d_forward(x, 2)
    out = np.full((2, 3, 4, 3), np.nan, dtype)
    ind = np.full((2, 3, 4, 3), -1, np.int64)
    y, idx = ops.max_pool2d_forward(x, 2, out=out, indices=ind)
    assert y is out and idx is ind
    np.testing.assert_array_equal(out, y0)
    np.testing.assert_array_equal(ind, i0)
    dy = rng.standard_normal(out.shape).astype(dtype)
    dxo = np.full(x.shape, np.nan, dtype)
    dx = ops.max_pool2d_backward(dy, ind, x.shape, 2, out=dxo)
    assert dx is dxo
    np.testing.assert_array_equal(dxo, ops.max_pool2d_backward(dy, ind, x.shape, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_inputs(rng, dtype):
    base = rng.standard_normal((2, 3, 12, 10)).astype(dtype)
    for x in (base[:, :, ::2, :], base.transpose(0, 1, 3, 2), base[:, ::2]):
        assert not x.flags.c_contiguous
        xc = np.ascontiguousarray(x)
        y, idx = ops.max_pool2d_forward(x, 3, 2, 1)
        yc, idxc = ops.max_pool2d_forward(xc, 3, 2, 1)
        np.testing.assert_array_equal(y, yc)
        np.testing.assert_array_equal(idx, idxc)
        # non-contiguous grad_output and indices in the backward
        dyc = rng.standard_normal(y.shape).astype(dtype)
        dy = np.asfortranarray(dyc)
        idx_f = np.asfortranarray(idx)
        np.testing.assert_array_equal(ops.max_pool2d_backward(dy, idx_f, x.shape, 3, 2, 1),
                                      ops.max_pool2d_backward(dyc, idx, x.shape, 3, 2, 1))


def test_overlapping_windows_accumulate_gradient():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0                      # centre wins all four 2x2/s1 windows
    y, idx = ops.max_pool2d_forward(x, 2, 1)
    assert (idx == 4).all()
    dx = ops.max_pool2d_backward(np.ones_like(y), idx, x.shape, 2, 1)
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


def test_nan_wins_and_first_max_wins_ties():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0],
                    [2.0, 3.0, np.nan, 9.0]]]], dtype=np.float32)
    y, idx = ops.max_pool2d_forward(x, 2)
    assert y[0, 0, 0, 0] == 3.0 and idx[0, 0, 0, 0] == 1
    assert np.isnan(y[0, 0, 0, 1]) and idx[0, 0, 0, 1] == 6


def test_portable_interior_loops_in_process(rng):
    """isa="generic" (switched in process) takes the portable interior-window loops (the
    path of CPUs without AVX2): they must match the generic backend exactly too."""
    with override(isa="generic"):
        for shape, kw in CASES:
            for dtype in DTYPES:
                for values in VALUES:
                    x = _input(rng, shape, values, dtype)
                    y, idx = ops.max_pool2d_forward(x, **kw)
                    with generic_backend():
                        gy, gidx = ops.max_pool2d_forward(x, **kw)
                    np.testing.assert_array_equal(y, gy)
                    np.testing.assert_array_equal(idx, gidx)
