"""The direct float32 kernels (conv_direct.c: c_out 16 or 32, stride 1, no padding; the
forward, and the weight gradient of 3x3 and 5x5 kernels) against the float64 generic
reference and against the GEMM path (FASTCONV_CONV_DIRECT=0)."""
import numpy as np
import pytest

from fastconv import ops

from ._helpers import generic_backend

# LeNet's conv2; odd output rows and rows longer than one 12-pixel block; a 3x4 kernel
# on a 1-row output; 32 channels; taps below the 3x3 minimum (GEMM path, same answers)
CASES = [((3, 6, 14, 14), (16, 6, 5, 5)), ((2, 3, 9, 30), (32, 3, 3, 3)),
         ((1, 2, 3, 17), (16, 2, 3, 4)), ((2, 1, 7, 13), (32, 1, 3, 5)),
         ((2, 4, 6, 6), (16, 4, 2, 2))]


def _arrays(xs, ws, rng):
    x = rng.standard_normal(xs).astype(np.float32)
    x.reshape(-1)[::17] = np.nan
    return x, rng.standard_normal(ws).astype(np.float32), \
        rng.standard_normal(ws[0]).astype(np.float32)


def _reference(x, w, b, relu):
    with generic_backend():
        return ops.conv2d_forward(*(None if a is None else a.astype(np.float64)
                                    for a in (x, w, b)), relu=relu)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws", CASES)
def test_matches_float64_reference_and_gemm_path(monkeypatch, rng, xs, ws, bias, relu):
    x, w, b = _arrays(xs, ws, rng)
    b = b if bias else None
    y = ops.conv2d_forward(x, w, b, relu=relu)
    ref = _reference(x, w, b, relu)
    assert y.dtype == np.float32 and y.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)
    if relu:
        assert (y[~np.isnan(y)] >= 0).all()
    monkeypatch.setenv("FASTCONV_CONV_DIRECT", "0")
    gemm = ops.conv2d_forward(x, w, b, relu=relu)
    np.testing.assert_allclose(y, gemm, rtol=1e-5, atol=1e-4)


def test_zero_sums_with_negative_zero_bias_match_the_gemm_path(monkeypatch):
    # all-zero products plus a -0 bias, through the ReLU: the same bytes as the GEMM path
    x = np.zeros((1, 1, 5, 5), np.float32)
    w = np.ones((16, 1, 3, 3), np.float32)
    b = np.full(16, -0.0, np.float32)
    y = ops.conv2d_forward(x, w, b, relu=True)
    monkeypatch.setenv("FASTCONV_CONV_DIRECT", "0")
    assert y.tobytes() == ops.conv2d_forward(x, w, b, relu=True).tobytes()


# 5x5 and 3x3 (direct), 32 channels, odd sizes, one image; 3x4 and 2x2 use the GEMM path
WGRAD_CASES = CASES + [((1, 3, 7, 9), (32, 3, 5, 5)), ((5, 2, 5, 4), (16, 2, 3, 3))]


@pytest.mark.parametrize("xs,ws", WGRAD_CASES)
def test_weight_gradient_matches_float64_reference_and_gemm_path(monkeypatch, rng, xs, ws):
    x = rng.standard_normal(xs).astype(np.float32)
    out_shape = (xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)
    dy = rng.standard_normal(out_shape).astype(np.float32)
    dw = ops.conv2d_backward_weight(x, dy, ws)
    with generic_backend():
        ref = ops.conv2d_backward_weight(x.astype(np.float64), dy.astype(np.float64), ws)
    assert dw.dtype == np.float32 and dw.shape == ws
    np.testing.assert_allclose(dw, ref, rtol=1e-5, atol=1e-4)
    monkeypatch.setenv("FASTCONV_CONV_DIRECT", "0")
    np.testing.assert_allclose(dw, ops.conv2d_backward_weight(x, dy, ws), rtol=1e-5,
                               atol=1e-4)


def test_weight_gradient_propagates_nan(rng):
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    x[1, 0, 2, 3] = np.nan
    dw = ops.conv2d_backward_weight(x, np.ones((2, 16, 4, 4), np.float32), (16, 2, 3, 3))
    assert np.isnan(dw[:, 0]).all() and not np.isnan(dw[:, 1]).any()
