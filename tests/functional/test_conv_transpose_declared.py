"""conv_transpose2d declared for the op harness: a float64 reference written as the
scatter it is (every input pixel adds weight * value into its output window), gradcheck,
PyTorch over a sweep of strides, paddings, output paddings, groups and dilations, native
vs generic, 1 vs 2 threads; nn.ConvTranspose2d's output_size and initialisation; and
the bad-input errors."""
import math

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def ref_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1):
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    (oph, opw), (dh, dw) = _pair(output_padding), _pair(dilation)
    n, c_in, h, wd = x.shape
    _, c_out_g, kh, kw = w.shape
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    c_in_g = c_in // groups
    y = np.zeros((n, c_out_g * groups, oh, ow))
    for ic in range(c_in):
        g = ic // c_in_g
        for oc in range(c_out_g):
            for i in range(h):
                for j in range(wd):
                    for ki in range(kh):
                        r = i * sh - ph + ki * dh
                        if not 0 <= r < oh:
                            continue
                        for kj in range(kw):
                            col = j * sw - pw + kj * dw
                            if 0 <= col < ow:
                                y[:, g * c_out_g + oc, r, col] += x[:, ic, i, j] * w[ic, oc, ki, kj]
    if b is not None:
        y += b[None, :, None, None]
    return y


def _torch(t, *args, **kwargs):
    return t.nn.functional.conv_transpose2d(*args, **kwargs)


# (name, x shape, w shape, kwargs, gradcheck)
GEOMETRIES = [
    ("k3", (2, 3, 4, 5), (3, 2, 3, 3), dict(), True),
    ("k2s2", (2, 4, 3, 3), (4, 3, 2, 2), dict(stride=2), True),
    ("k4s2p1", (1, 3, 4, 4), (3, 2, 4, 4), dict(stride=2, padding=1), True),
    ("k3s2p1op1", (2, 2, 3, 4), (2, 3, 3, 3), dict(stride=2, padding=1, output_padding=1),
     True),
    ("rect", (1, 2, 4, 3), (2, 3, 2, 3), dict(stride=(2, 1), padding=(1, 0),
                                              output_padding=(1, 0)), True),
    ("groups", (2, 4, 3, 3), (4, 3, 3, 3), dict(stride=2, groups=2), True),
    ("dilation", (1, 2, 4, 4), (2, 2, 3, 3), dict(dilation=2, padding=1), True),
    ("op-below-dilation", (1, 2, 3, 3), (2, 2, 3, 3), dict(dilation=3, output_padding=2),
     True),   # output_padding >= stride but < dilation: torch allows it
    ("stride-above-kernel", (2, 2, 3, 3), (2, 1, 2, 2), dict(stride=3, output_padding=2),
     True),
    ("one-pixel", (1, 1, 1, 1), (1, 1, 1, 1), dict(), True),
    ("unbatched", (3, 4, 4), (3, 2, 2, 2), dict(stride=2), True),
    ("decoder-k2", (4, 16, 8, 8), (16, 8, 2, 2), dict(stride=2), False),
    ("decoder-k4", (4, 16, 8, 8), (16, 8, 4, 4), dict(stride=2, padding=1), False),
]


def _case(name, x_shape, w_shape, kwargs, small, bias=True):
    c_out = w_shape[1] * kwargs.get("groups", 1)
    inputs = [Input(x_shape), Input(w_shape)] + ([Input((c_out,))] if bias else [])
    return OpCase("conv_transpose2d-%s%s" % (name, "" if bias else "-nobias"),
                  F.conv_transpose2d, inputs, kwargs=kwargs,
                  ref=ref_conv_transpose2d if len(x_shape) == 4 else
                  (lambda x, w, b, **kw: ref_conv_transpose2d(x[None], w, b, **kw)[0]),
                  torch_fn=_torch, gradcheck=small, rtol={np.float32: 1e-5})


CASES = [_case(*g) for g in GEOMETRIES] + [_case(*GEOMETRIES[1], bias=False)]

test_conv_transpose2d = op_tests(CASES)


# ------------------------------------------------------------------ the layer

def test_module_matches_torch_with_output_size_and_init(restore_threads):
    torch = pytest.importorskip("torch")
    fc.manual_seed(0)
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)
    assert layer.weight.shape == (4, 3, 3, 3) and layer.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 3 * 3)   # fan_in = weight.shape[1] * kh * kw, as torch
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.detach().numpy()).max() <= bound   # kaiming a=sqrt(5)
    ref = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.detach().numpy()))
        ref.bias.copy_(torch.from_numpy(layer.bias.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5)).astype(np.float32)
    for size in (None, (9, 10), [2, 6, 10, 9]):
        ours = layer(fc.tensor(x), output_size=size)
        theirs = ref(torch.from_numpy(x), output_size=size)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-5)
    assert "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2)" in repr(layer)


def test_module_state_dict_loads_torch_weights():
    torch = pytest.importorskip("torch")
    ref = torch.nn.ConvTranspose2d(3, 5, 4, stride=2, padding=1, bias=False)
    layer = nn.ConvTranspose2d(3, 5, 4, stride=2, padding=1, bias=False)
    layer.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(layer(fc.tensor(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), atol=1e-5)


def _t(*shape):
    return fc.tensor(np.zeros(shape, np.float32))


BAD = [
    BadCall("output_padding >= stride and dilation", lambda: F.conv_transpose2d(
        _t(1, 2, 3, 3), _t(2, 2, 3, 3), stride=2, output_padding=2), ValueError,
        "output_padding must be smaller than either stride or dilation"),
    BadCall("output_padding negative", lambda: F.conv_transpose2d(
        _t(1, 2, 3, 3), _t(2, 2, 3, 3), output_padding=-1), ValueError, "output_padding"),
    BadCall("weight channels", lambda: F.conv_transpose2d(_t(1, 3, 3, 3), _t(2, 2, 3, 3)),
            ValueError, "input channels"),
    BadCall("groups divide", lambda: F.conv_transpose2d(_t(1, 3, 3, 3), _t(3, 2, 3, 3),
                                                        groups=2),
            ValueError, "groups"),
    BadCall("stride zero", lambda: F.conv_transpose2d(_t(1, 2, 3, 3), _t(2, 2, 3, 3),
                                                      stride=0),
            ValueError, "stride"),
    BadCall("padding string", lambda: F.conv_transpose2d(_t(1, 2, 3, 3), _t(2, 2, 3, 3),
                                                         padding="same"),
            TypeError, "padding"),
    BadCall("output too small", lambda: F.conv_transpose2d(_t(1, 2, 1, 1), _t(2, 2, 1, 1),
                                                           padding=1),
            ValueError, "too small"),
    BadCall("bias shape", lambda: F.conv_transpose2d(_t(1, 2, 3, 3), _t(2, 2, 3, 3),
                                                     _t(3)),
            ValueError, "bias"),
    BadCall("input rank", lambda: F.conv_transpose2d(_t(2, 3, 3), _t(3, 2, 3, 3)[None]),
            ValueError, "weight must be 4-D"),
    BadCall("module output_size out of range", lambda: nn.ConvTranspose2d(2, 2, 3, stride=2)(
        _t(1, 2, 4, 4), output_size=(12, 9)), ValueError, "valid sizes range"),
    BadCall("module output_size length", lambda: nn.ConvTranspose2d(2, 2, 3)(
        _t(1, 2, 4, 4), output_size=(6,)), ValueError, "output_size must have"),
    BadCall("module padding_mode", lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
            ValueError, "zeros"),
]

test_conv_transpose2d_bad_input = error_tests(BAD)
