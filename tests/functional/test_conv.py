"""functional.conv2d and the fused conv2d_relu against PyTorch, gradcheck and errors."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv.autograd import gradcheck
from fastconv.functional.conv import conv2d_relu

from ._compare import DTYPES, compare_with_torch, leaf

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# (x shape, weight shape, bias, stride, padding, dilation, groups)
CASES = [
    ((1, 1, 5, 5), (1, 1, 3, 3), True, 1, 0, 1, 1),                  # batch 1, one channel
    ((2, 3, 7, 6), (4, 3, 3, 2), True, 2, 1, 1, 1),                  # odd, non-square
    ((2, 3, 9, 9), (2, 3, 3, 3), True, 4, 0, 1, 1),                  # stride > kernel
    ((2, 2, 8, 7), (3, 2, 3, 3), False, (1, 2), (1, 2), (2, 1), 1),  # pairs, dilation
    ((2, 4, 6, 6), (6, 2, 3, 3), True, 1, 1, 1, 2),                  # groups
    ((1, 3, 6, 5), (3, 1, 3, 3), True, 1, 1, 1, 3),                  # depthwise
    ((2, 2, 7, 6), (3, 2, 4, 2), True, 1, "same", 1, 1),             # 'same', even kernel
    ((1, 2, 9, 8), (2, 1, 2, 3), True, 1, "same", 2, 2),             # 'same', dilation
    ((2, 2, 6, 7), (3, 2, 3, 3), True, 1, "valid", 1, 1),
    ((2, 3, 4, 4), (5, 3, 1, 1), True, 1, 0, 1, 1),                  # 1x1
]


def _arrays(xs, ws, bias, seed=0):
    rng = np.random.default_rng(seed)
    b = rng.standard_normal(ws[0]) if bias else None
    return [rng.standard_normal(xs), rng.standard_normal(ws), b]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,ws,bias,stride,padding,dilation,groups", CASES)
def test_conv2d_matches_torch(dtype, xs, ws, bias, stride, padding, dilation, groups):
    opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, **opts),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **opts),
                       _arrays(xs, ws, bias), dtype, scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_unbatched_input(dtype):
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, padding=1),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=1),
                       _arrays((2, 5, 4), (3, 2, 3, 3), True), dtype, scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,ws,bias,stride,padding,dilation,groups", CASES[1::2])
def test_conv2d_relu_matches_torch(dtype, xs, ws, bias, stride, padding, dilation, groups):
    opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    compare_with_torch(lambda x, w, b: conv2d_relu(x, w, b, **opts),
                       lambda x, w, b: torch.relu(torch.nn.functional.conv2d(x, w, b, **opts)),
                       _arrays(xs, ws, bias), dtype, scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_equals_unfused(dtype):
    x, w, b = (np.asarray(a, dtype=dtype) for a in _arrays((2, 3, 8, 8), (4, 3, 3, 3), True))
    g = np.random.default_rng(1).standard_normal((2, 4, 8, 8)).astype(dtype)
    results = []
    for fused in (True, False):
        tx, tw, tb = (fc.tensor(a, requires_grad=True) for a in (x, w, b))
        y = conv2d_relu(tx, tw, tb, padding=1) if fused else \
            F.relu(F.conv2d(tx, tw, tb, padding=1))
        y.backward(g)
        results.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(),
                        tb.grad.numpy()])
    for fused, plain in zip(*results):
        np.testing.assert_array_equal(fused, plain)


def test_no_data_gradient_when_input_needs_none(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("conv2d_backward_data must be skipped")
    monkeypatch.setattr(fc.ops, "conv2d_backward_data", boom)
    x = leaf(np.ones((1, 2, 5, 5)), requires_grad=False)
    w = leaf(np.ones((3, 2, 3, 3)))
    b = leaf(np.zeros(3))
    F.conv2d(x, w, b).sum().backward()
    conv2d_relu(x, w, b).sum().backward()
    assert w.grad is not None and b.grad is not None and x.grad is None


def test_no_weight_gradient_when_weight_is_constant():
    x = leaf(np.ones((1, 2, 5, 5)))
    w = leaf(np.ones((3, 2, 3, 3)), requires_grad=False)
    F.conv2d(x, w).sum().backward()
    assert x.grad is not None and w.grad is None


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), (1, "same", 2, 2), (1, (0, 1), (1, 2), 1)])
def test_conv2d_gradcheck(stride, padding, dilation, groups):
    rng = np.random.default_rng(3)
    x, w, b = leaf(rng.standard_normal((2, 2, 5, 6))), \
        leaf(rng.standard_normal((2, 2 // groups, 3, 2))), leaf(rng.standard_normal(2))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                     [x, w, b])


def test_conv2d_relu_gradcheck():
    rng = np.random.default_rng(4)
    x, w, b = leaf(rng.standard_normal((1, 2, 5, 5))), \
        leaf(rng.standard_normal((3, 2, 3, 3))), leaf(rng.standard_normal(3))
    assert gradcheck(lambda x, w, b: conv2d_relu(x, w, b, padding=1), [x, w, b])


def test_channel_mismatch_error_surfaces_from_ops():
    x = leaf(np.zeros((1, 3, 5, 5)))
    w = leaf(np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="input channels"):
        F.conv2d(x, w)


@pytest.mark.parametrize("shape", [(5, 5), (1, 1, 1, 5, 5)])
def test_wrong_rank_names_input(shape):
    with pytest.raises(ValueError, match="input must be 3-D .* or 4-D"):
        F.conv2d(leaf(np.zeros(shape)), leaf(np.zeros((1, 1, 3, 3))))


def test_bad_options_raise():
    x, w = leaf(np.zeros((1, 1, 5, 5))), leaf(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="same"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(TypeError, match="dtype"):
        F.conv2d(x, leaf(np.zeros((1, 1, 3, 3)), dtype=np.float32))
    with pytest.raises(TypeError, match="input must be a fastconv Tensor"):
        F.conv2d(np.zeros((1, 1, 5, 5)), w)
