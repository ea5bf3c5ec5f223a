"""The array-generic backend against plain float64 loop references and against PyTorch.

The generic backend is the oracle the native kernels are tested against, so it is checked
here against references written as plainly as possible: Python loops over output
positions and kernel taps, explicit bounds checks, no strides tricks.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from fastconv.backends import generic
from fastconv.ops import conv2d_geometry, max_pool2d_geometry

# ------------------------------------------------------------------ references


def ref_conv_forward(x, w, b, geom):
    n, c_in, h, wd, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, g = geom
    cg, og = c_in // g, c_out // g
    y = np.zeros((n, c_out, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            for i in range(kh):
                r = oy * sh - ph + i * dh
                if not 0 <= r < h:
                    continue
                for j in range(kw):
                    c = ox * sw - pw + j * dw
                    if not 0 <= c < wd:
                        continue
                    for gi in range(g):
                        xin = x[:, gi * cg:(gi + 1) * cg, r, c]            # n, cg
                        wt = w[gi * og:(gi + 1) * og, :, i, j]             # og, cg
                        y[:, gi * og:(gi + 1) * og, oy, ox] += xin @ wt.T
    if b is not None:
        y += b[None, :, None, None]
    return y


def ref_conv_backward(x, w, dy, geom):
    """(dx, dw, db) of the convolution, by the same loops as the forward."""
    n, c_in, h, wd, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw_, g = geom
    cg, og = c_in // g, c_out // g
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    for oy in range(oh):
        for ox in range(ow):
            for i in range(kh):
                r = oy * sh - ph + i * dh
                if not 0 <= r < h:
                    continue
                for j in range(kw):
                    c = ox * sw - pw + j * dw_
                    if not 0 <= c < wd:
                        continue
                    for gi in range(g):
                        gin = slice(gi * cg, (gi + 1) * cg)
                        gout = slice(gi * og, (gi + 1) * og)
                        d = dy[:, gout, oy, ox]                            # n, og
                        dx[:, gin, r, c] += d @ w[gout, :, i, j]
                        dw[gout, :, i, j] += d.T @ x[:, gin, r, c]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def ref_max_pool(x, geom):
    """(y, idx) by scanning each window in row-major order, PyTorch's update rule."""
    n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw = geom
    y = np.empty((n, c, oh, ow))
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for oy in range(oh):
                for ox in range(ow):
                    best, first, m = None, None, -np.inf
                    for i in range(kh):
                        r = oy * sh - ph + i * dh
                        for j in range(kw):
                            col = ox * sw - pw + j * dw
                            if not (0 <= r < h and 0 <= col < w):
                                continue
                            if first is None:
                                first = r * w + col
                            v = x[b, ch, r, col]
                            if v > m or np.isnan(v):
                                m, best = v, r * w + col
                    if best is None and first is None:   # window of padding only
                        r = min(max(oy * sh - ph, 0), h - 1)
                        col = min(max(ox * sw - pw, 0), w - 1)
                        first = r * w + col
                    y[b, ch, oy, ox] = m
                    idx[b, ch, oy, ox] = best if best is not None else first
    return y, idx


def ref_max_pool_backward(dy, idx, x_shape):
    dx = np.zeros(x_shape)
    n, c, oh, ow = dy.shape
    for b in range(n):
        for ch in range(c):
            plane = dx[b, ch].reshape(-1)
            for oy in range(oh):
                for ox in range(ow):
                    plane[idx[b, ch, oy, ox]] += dy[b, ch, oy, ox]
    return dx


# ------------------------------------------------------------------ sweeps

CONV_CASES = [
    ((1, 1, 5, 5), (1, 1, 3, 3), {}),                                  # batch 1, 1 channel
    ((2, 3, 7, 9), (4, 3, 3, 2), {}),                                  # odd, non-square
    ((2, 3, 7, 9), (4, 3, 3, 2), dict(padding=1)),
    ((2, 2, 9, 8), (3, 2, 2, 2), dict(stride=3)),                      # stride > kernel
    ((1, 2, 8, 7), (3, 2, 3, 3), dict(stride=(2, 1), padding=(0, 2))),
    ((2, 2, 9, 9), (2, 2, 3, 3), dict(dilation=2)),
    ((1, 3, 8, 10), (2, 3, 2, 3), dict(dilation=(3, 1), padding=(2, 1), stride=2)),
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 3, 6, 5), (6, 1, 3, 3), dict(groups=3, padding=1)),           # depthwise, x2
    ((1, 4, 5, 5), (4, 1, 3, 3), dict(groups=4, padding="same")),      # depthwise
    ((1, 2, 6, 7), (3, 2, 4, 2), dict(padding="same")),                # asymmetric 'same'
    ((1, 2, 6, 7), (3, 2, 3, 2), dict(padding="same", dilation=2)),
    ((2, 2, 6, 7), (3, 2, 3, 3), dict(padding="valid")),
    ((1, 2, 3, 3), (2, 2, 3, 3), {}),                                  # 1x1 output
    ((2, 3, 5, 4), (5, 3, 1, 1), {}),                                  # 1x1 kernel
    ((1, 1, 4, 4), (1, 1, 5, 5), dict(padding=1)),                     # kernel > input
    ((2, 3, 5, 6), (2, 3, 3, 3), dict(stride=2, padding=1)),           # unused bottom pad
]
CONV_IDS = ["conv%d" % i for i in range(len(CONV_CASES))]

POOL_CASES = [
    ((1, 1, 4, 4), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=2)),                               # odd: floor
    ((2, 3, 7, 9), dict(kernel_size=2, ceil_mode=True)),
    ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 9, 10), dict(kernel_size=2, stride=3)),                    # stride > kernel
    ((1, 2, 10, 9), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1))),
    ((2, 2, 9, 9), dict(kernel_size=3, dilation=2)),
    ((1, 2, 9, 8), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 1), stride=2,
                        ceil_mode=True)),
    ((1, 1, 3, 5), dict(kernel_size=1)),
    ((1, 1, 5, 5), dict(kernel_size=5)),                               # whole plane
    ((2, 1, 6, 6), dict(kernel_size=4, stride=1, padding=2)),          # much padding
]
POOL_IDS = ["pool%d" % i for i in range(len(POOL_CASES))]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _conv_inputs(rng, x_shape, w_shape, dtype):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


def _pool_input(rng, shape, values, dtype=np.float64):
    """Random planes; 'ties' draws from {0,1,2}, 'nan'/'neginf' plant NaN / -inf."""
    if values == "ties":
        return rng.integers(0, 3, size=shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if values == "nan":
        x.reshape(-1)[rng.integers(0, x.size, size=max(1, x.size // 6))] = np.nan
    elif values == "neginf":
        x[..., : shape[2] // 2, :] = -np.inf
    return x


def _run_conv(geom, out_shape, x, w, b, dy, relu=False):
    y = generic.conv2d_forward(geom, x, w, b, np.empty(out_shape, x.dtype), relu)
    dx = generic.conv2d_backward_data(geom, dy, w, np.empty(x.shape, x.dtype))
    dw = generic.conv2d_backward_weight(geom, x, dy, np.empty(w.shape, x.dtype))
    db = generic.conv2d_backward_bias(geom, dy, np.empty(w.shape[0], x.dtype))
    return y, dx, dw, db


# ------------------------------------------------------------------ conv2d


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, kw", CONV_CASES, ids=CONV_IDS)
def test_conv_matches_loop_reference(rng, x_shape, w_shape, kw, dtype):
    geom, out_shape = conv2d_geometry(x_shape, w_shape, **kw)
    x, w, b = _conv_inputs(rng, x_shape, w_shape, dtype)
    dy = rng.standard_normal(out_shape).astype(dtype)
    y, dx, dw, db = _run_conv(geom, out_shape, x, w, b, dy)
    x64, w64, b64, dy64 = (a.astype(np.float64) for a in (x, w, b, dy))
    ry = ref_conv_forward(x64, w64, b64, geom)
    rdx, rdw, rdb = ref_conv_backward(x64, w64, dy64, geom)
    for got, want in ((y, ry), (dx, rdx), (dw, rdw), (db, rdb)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **TOL[dtype])


@pytest.mark.parametrize("x_shape, w_shape, kw", CONV_CASES[:6], ids=CONV_IDS[:6])
def test_conv_forward_without_bias_and_fused_relu(rng, x_shape, w_shape, kw):
    geom, out_shape = conv2d_geometry(x_shape, w_shape, **kw)
    x, w, b = _conv_inputs(rng, x_shape, w_shape, np.float64)
    y = generic.conv2d_forward(geom, x, w, None, np.empty(out_shape))
    np.testing.assert_allclose(y, ref_conv_forward(x, w, None, geom), rtol=1e-12, atol=1e-12)
    yr = generic.conv2d_forward(geom, x, w, b, np.empty(out_shape), True)
    np.testing.assert_allclose(yr, np.maximum(ref_conv_forward(x, w, b, geom), 0),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("x_shape, w_shape, kw", CONV_CASES, ids=CONV_IDS)
def test_conv_matches_torch(rng, x_shape, w_shape, kw):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    geom, out_shape = conv2d_geometry(x_shape, w_shape, **kw)
    x, w, b = _conv_inputs(rng, x_shape, w_shape, np.float64)
    dy = rng.standard_normal(out_shape)
    y, dx, dw, db = _run_conv(geom, out_shape, x, w, b, dy)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, **kw)
    yt.backward(torch.tensor(dy))
    for got, want in ((y, yt), (dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_conv_bounds_checks_taps_beyond_implied_padding(rng):
    """Any oh/ow >= 1 is valid geometry: taps past the input read as zero."""
    x, w, _ = _conv_inputs(rng, (1, 2, 4, 5), (3, 2, 3, 3), np.float64)
    geom = (1, 2, 4, 5, 3, 3, 3, 6, 7, 1, 1, 1, 1, 1, 1, 1)   # more rows/cols than fit
    y = generic.conv2d_forward(geom, x, w, None, np.empty((1, 3, 6, 7)))
    np.testing.assert_allclose(y, ref_conv_forward(x, w, None, geom), atol=1e-12)
    dy = rng.standard_normal((1, 3, 6, 7))
    dx = generic.conv2d_backward_data(geom, dy, w, np.empty(x.shape))
    dw = generic.conv2d_backward_weight(geom, x, dy, np.empty(w.shape))
    rdx, rdw, _ = ref_conv_backward(x, w, dy, geom)
    np.testing.assert_allclose(dx, rdx, atol=1e-12)
    np.testing.assert_allclose(dw, rdw, atol=1e-12)


# ------------------------------------------------------------------ max_pool2d


@pytest.mark.parametrize("values", ["normal", "ties", "nan", "neginf"])
@pytest.mark.parametrize("x_shape, kw", POOL_CASES, ids=POOL_IDS)
def test_max_pool_matches_loop_reference(rng, x_shape, kw, values):
    geom, out_shape = max_pool2d_geometry(x_shape, **kw)
    x = _pool_input(rng, x_shape, values)
    y = np.empty(out_shape)
    idx = np.empty(out_shape, dtype=np.int64)
    generic.max_pool2d_forward(geom, x, y, idx)
    ry, ridx = ref_max_pool(x, geom)
    np.testing.assert_array_equal(y, ry)          # NaNs compare equal here
    np.testing.assert_array_equal(idx, ridx)
    dy = rng.standard_normal(out_shape)
    dx = generic.max_pool2d_backward(geom, dy, idx, np.empty(x_shape))
    np.testing.assert_allclose(dx, ref_max_pool_backward(dy, ridx, x_shape), atol=1e-12)
    y2 = generic.max_pool2d_forward(geom, x, np.empty(out_shape), None)   # no indices
    np.testing.assert_array_equal(y2, ry)


@pytest.mark.parametrize("values", ["normal", "ties", "nan"])
@pytest.mark.parametrize("x_shape, kw", POOL_CASES, ids=POOL_IDS)
def test_max_pool_matches_torch(rng, x_shape, kw, values):
    torch = pytest.importorskip("torch")
    geom, out_shape = max_pool2d_geometry(x_shape, **kw)
    x = _pool_input(rng, x_shape, values)
    y = np.empty(out_shape)
    idx = np.empty(out_shape, dtype=np.int64)
    generic.max_pool2d_forward(geom, x, y, idx)
    dy = rng.standard_normal(out_shape)
    dx = generic.max_pool2d_backward(geom, dy, idx, np.empty(x_shape))
    xt = torch.tensor(x, requires_grad=True)
    yt, it = torch.nn.functional.max_pool2d(xt, return_indices=True, **kw)
    yt.backward(torch.tensor(dy))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(idx, it.numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)


def test_max_pool_window_of_only_padding_points_inside_plane():
    """k=2, dilation 3, padding 1 on a 2x2 plane: the one window's taps (-1, 2) miss it.

    PyTorch reports index 6 (outside the 4-element plane) here; fastconv reports the
    element nearest the window start, so a backward pass never writes out of bounds.
    """
    geom, out_shape = max_pool2d_geometry((1, 1, 2, 2), 2, padding=1, dilation=3)
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    y = np.empty(out_shape)
    idx = np.empty(out_shape, dtype=np.int64)
    generic.max_pool2d_forward(geom, x, y, idx)
    assert out_shape == (1, 1, 1, 1)
    assert y.item() == -np.inf and idx.item() == 0
    np.testing.assert_array_equal(idx, ref_max_pool(x, geom)[1])


# ------------------------------------------------------------------ relu and gemm

SPECIAL = np.array([-2.0, -0.0, 0.0, 1e-30, 3.5, np.nan, np.inf, -np.inf, -1e-30])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_forward_backward(rng, dtype):
    x = np.concatenate([SPECIAL, rng.standard_normal(50)]).astype(dtype).reshape(59, 1)
    y = generic.relu_forward(x, np.empty_like(x))
    want = np.array([v if (v > 0 or np.isnan(v)) else 0.0 for v in x.ravel()]).reshape(x.shape)
    np.testing.assert_array_equal(y, want)
    assert y.dtype == dtype
    dy = rng.standard_normal(x.shape).astype(dtype)
    dx = generic.relu_backward(dy, y, np.empty_like(dy))
    np.testing.assert_array_equal(dx, np.where(want > 0, dy, 0))
    # in place: y may be x, dx may be dy
    x2 = x.copy()
    generic.relu_forward(x2, x2)
    np.testing.assert_array_equal(x2, want)
    generic.relu_backward(dy, y, dy)
    np.testing.assert_array_equal(dy, dx)


def test_relu_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = np.concatenate([SPECIAL, rng.standard_normal(40)])
    y = generic.relu_forward(x, np.empty_like(x))
    np.testing.assert_array_equal(y, torch.relu(torch.tensor(x)).numpy())
    finite = np.isfinite(x)        # torch passes gradient through NaN outputs; we do not
    xt = torch.tensor(x[finite], requires_grad=True)
    dy = rng.standard_normal(finite.sum())
    torch.relu(xt).backward(torch.tensor(dy))
    dx = generic.relu_backward(dy, y[finite], np.empty_like(dy))
    np.testing.assert_array_equal(dx, xt.grad.numpy())


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm(rng, trans_a, trans_b, dtype):
    m, n, k = 5, 7, 3
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    prod = (a64.T if trans_a else a64) @ (b64.T if trans_b else b64)
    c = np.full((m, n), np.nan, dtype)          # beta == 0 must not read c
    generic.gemm(trans_a, trans_b, a, b, c)
    np.testing.assert_allclose(c, prod, **TOL[dtype])
    c0 = rng.standard_normal((m, n)).astype(dtype)
    c = c0.copy()
    generic.gemm(trans_a, trans_b, a, b, c, -0.5, 2.0)
    np.testing.assert_allclose(c, -0.5 * prod + 2.0 * c0, **TOL[dtype])


# ------------------------------------------------------------------ dispatch


def test_env_var_routes_numpy_ops_through_generic_backend():
    code = ("import numpy as np\n"
            "from fastconv.ops import _dispatch, relu_forward\n"
            "from fastconv.backends import generic\n"
            "assert _dispatch.backend(np) is generic\n"
            "assert relu_forward(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]\n")
    env = dict(os.environ, FASTCONV_BACKEND="generic")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
