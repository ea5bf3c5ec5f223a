"""fastconv.ops.relu_* (native kernels) against the generic backend and PyTorch."""
import numpy as np
import pytest

from fastconv import ops

from ._helpers import generic_backend

DTYPES = [np.float32, np.float64]
SPECIAL = [-2.0, -0.0, 0.0, 1e-40, -1e-40, 3.5, np.nan, -np.nan, np.inf, -np.inf]
SHAPES = [(0,), (1,), (7,), (3, 5), (2, 3, 4, 5), (100_003,)]   # last: threaded, odd tail


def _input(rng, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    k = min(len(SPECIAL), flat.size)
    flat[:k] = np.array(SPECIAL[:k], dtype=dtype)
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_native_matches_generic(rng, shape, dtype):
    x = _input(rng, shape, dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    y = ops.relu_forward(x)
    dx = ops.relu_backward(dy, y)
    with generic_backend():
        gy = ops.relu_forward(x)
        gdx = ops.relu_backward(dy, gy)
    assert y.shape == shape and y.dtype == dtype and dx.dtype == dtype
    np.testing.assert_array_equal(y, gy)
    np.testing.assert_array_equal(dx, gdx)
    assert not np.signbit(y[~np.isnan(y)]).any()          # no -0.0 in the output


@pytest.mark.parametrize("dtype", DTYPES)
def test_native_matches_torch(rng, dtype):
    torch = pytest.importorskip("torch")
    x = _input(rng, (4, 3, 5, 5), dtype)
    y = ops.relu_forward(x)
    np.testing.assert_array_equal(y, torch.relu(torch.tensor(x)).numpy())
    # gradient: compare where the output is not NaN (torch lets gradient through a NaN)
    xt = torch.tensor(x, requires_grad=True)
    dy = rng.standard_normal(x.shape).astype(dtype)
    torch.relu(xt).backward(torch.tensor(dy))
    dx = ops.relu_backward(dy, y)
    ok = ~np.isnan(y)
    np.testing.assert_array_equal(dx[ok], xt.grad.numpy()[ok])
    assert (dx[~ok] == 0).all()


def test_nan_stays_nan():
    x = np.array([np.nan, -1.0, 1.0], np.float32)
    y = ops.relu_forward(x)
    assert np.isnan(y[0]) and y[1] == 0 and y[2] == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_and_out_buffers(rng, dtype):
    x = _input(rng, (3, 50), dtype)
    want = ops.relu_forward(x)
    buf = np.empty_like(x)
    assert ops.relu_forward(x, out=buf) is buf
    np.testing.assert_array_equal(buf, want)
    xi = x.copy()
    assert ops.relu_forward(xi, out=xi) is xi             # y aliases x
    np.testing.assert_array_equal(xi, want)
    dy = rng.standard_normal(x.shape).astype(dtype)
    dwant = ops.relu_backward(dy, want)
    assert ops.relu_backward(dy, want, out=dy) is dy      # dx aliases dy
    np.testing.assert_array_equal(dy, dwant)


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_inputs(rng, dtype):
    base = _input(rng, (6, 8, 10), dtype)
    for x in (base[::2], base.transpose(2, 0, 1), base[:, :, 1::3]):
        assert not x.flags.c_contiguous
        y = ops.relu_forward(x)
        assert y.shape == x.shape
        np.testing.assert_array_equal(y, ops.relu_forward(np.ascontiguousarray(x)))
        dy = rng.standard_normal(x.shape).astype(dtype)
        np.testing.assert_array_equal(
            ops.relu_backward(np.asfortranarray(dy), np.asfortranarray(y)),
            ops.relu_backward(dy, np.ascontiguousarray(y)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_add_relu_matches_float64_reference_and_generic(rng, shape, dtype):
    a = _input(rng, shape, dtype)
    b = rng.standard_normal(shape).astype(dtype)
    b.reshape(-1)[-3:] = np.array([np.inf, -np.inf, np.nan], dtype)[:b.size][-3:]
    y = ops.add_relu_forward(a, b)
    s = a.astype(np.float64) + b.astype(np.float64)   # exact: one rounding to dtype below
    ref = np.where((s > 0) | np.isnan(s), s, 0.0).astype(dtype)
    assert y.shape == shape and y.dtype == dtype
    np.testing.assert_array_equal(y, ref)
    assert not np.signbit(y[~np.isnan(y)]).any()          # no -0.0 in the output
    with generic_backend():
        np.testing.assert_array_equal(ops.add_relu_forward(a, b), y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_relu_writes_into_either_input(rng, dtype):
    a, b = _input(rng, (4, 33), dtype), rng.standard_normal((4, 33)).astype(dtype)
    want = ops.relu_forward(a + b)
    for target in ("a", "b"):
        ai, bi = a.copy(), b.copy()
        out = ai if target == "a" else bi
        assert ops.add_relu_forward(ai, bi, out=out) is out
        np.testing.assert_array_equal(out, want)
