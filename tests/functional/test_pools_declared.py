"""Average pooling declared for the op harness (tests/harness.py): float64 references
written plainly, gradcheck, PyTorch over sweeps of the options, native vs generic, 1 vs 2
threads; the modules against torch's; bad input."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, ops
from tests.geometries import AVG_POOL2D_LARGE, AVG_POOL2D_OPTIONS, AVG_POOL2D_WINDOWS
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


test_avg_pool2d = op_tests(_avg_cases())


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
