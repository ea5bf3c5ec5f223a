"""The direct float32 forward (conv_direct.c: c_out 16 or 32, stride 1, no padding) against
the float64 generic reference and against the GEMM path (FASTCONV_CONV_DIRECT=0)."""
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
