"""functional.max_pool2d against PyTorch (values, indices, gradients), gradcheck, errors."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv.autograd import gradcheck

from ._compare import DTYPES, compare_with_torch, leaf

torch = pytest.importorskip("torch")

# (x shape, kernel_size, stride, padding, dilation, ceil_mode)
CASES = [
    ((1, 1, 4, 4), 2, None, 0, 1, False),
    ((2, 3, 7, 6), 3, 2, 1, 1, False),                 # overlapping windows, padding
    ((2, 2, 7, 7), 2, None, 0, 1, True),               # ceil_mode adds a partial window
    ((1, 2, 8, 9), (3, 2), (2, 3), (1, 1), (1, 2), True),
    ((2, 1, 9, 9), 3, 1, 1, 2, False),                 # dilation
    ((1, 2, 5, 5), 2, 4, 0, 1, False),                 # stride > kernel
    ((1, 2, 6, 5), (2, 3), 1, (1, 1), 1, True),
    # ceil mode with a window longer than the padded input: torch clips it (issue 14)
    ((1, 1, 1, 8), (2, 4), 3, 0, 1, True),
    ((2, 2, 3, 4), (4, 5), 2, (1, 2), 1, True),
    ((1, 2, 2, 5), 3, 4, 0, (1, 2), True),
]


def _distinct(shape, seed=0):
    """Distinct values, so every window has one clear maximum (no tie ambiguity)."""
    size = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape(shape) / size - 0.5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kernel,stride,padding,dilation,ceil_mode", CASES)
def test_max_pool2d_matches_torch(dtype, shape, kernel, stride, padding, dilation, ceil_mode):
    opts = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                ceil_mode=ceil_mode)
    compare_with_torch(lambda x: F.max_pool2d(x, **opts),
                       lambda x: torch.nn.functional.max_pool2d(x, **opts),
                       [_distinct(shape)], dtype)


@pytest.mark.parametrize("shape,kernel,stride,padding,dilation,ceil_mode", CASES)
def test_return_indices_match_torch(shape, kernel, stride, padding, dilation, ceil_mode):
    x = _distinct(shape)
    opts = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                ceil_mode=ceil_mode, return_indices=True)
    y, idx = F.max_pool2d(fc.tensor(x), **opts)
    ref_y, ref_idx = torch.nn.functional.max_pool2d(torch.tensor(x), **opts)
    np.testing.assert_array_equal(y.numpy(), ref_y.numpy())
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())


def test_return_indices_output_is_differentiable():
    x = leaf(_distinct((1, 1, 4, 4)))
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    y.sum().backward()
    assert x.grad.numpy().sum() == 4
    assert x.grad.numpy().reshape(-1)[idx.numpy().reshape(-1)].tolist() == [1.0] * 4


def test_unbatched_input():
    x = _distinct((2, 6, 6))
    compare_with_torch(lambda t: F.max_pool2d(t, 3, 2, 1),
                       lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1), [x], np.float64)
    _, idx = F.max_pool2d(fc.tensor(x), 2, return_indices=True)
    assert idx.shape == (2, 3, 3)


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    (2, None, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 0, 2, False)])
def test_max_pool2d_gradcheck(kernel, stride, padding, dilation, ceil_mode):
    x = leaf(_distinct((2, 2, 5, 5), seed=2))
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode),
                     [x])


def test_bad_arguments():
    x = leaf(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="kernel_size"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="padding"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        F.max_pool2d(leaf(np.zeros((4, 4))), 2)
