"""dropout, dropout1d and dropout2d: forward next to backward.

The mask is drawn natively from one 64-bit seed taken from fastconv's generator
(fastconv.manual_seed makes it reproducible) and kept as one byte per element or channel;
the backward is grad * mask / (1 - p). As in PyTorch, evaluation mode and p = 0 return
the input itself. inplace=True is accepted for PyTorch compatibility; the result is
computed into a new array, as nn.ReLU(inplace=True) does (the tape may need the input).
"""
import warnings

from .. import ops
from ..ops.dropout import check_probability
from ..autograd import Function, Tensor
from ._util import check_tensor


class Dropout(Function):
    """x * mask / (1 - p), one Bernoulli(1 - p) draw per unit of feature_dims dims."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, *, p, feature_dims):
        y, ctx.mask = ops.dropout_forward(x, p, feature_dims=feature_dims)
        ctx.p = p
        return y

    @staticmethod
    def backward(ctx, grad):
        return ops.dropout_backward(grad, ctx.mask, ctx.p)


def _dropout(input: Tensor, p: float, training: bool, feature_dims: int) -> Tensor:
    check_tensor(input, "input")
    p = check_probability(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    return Dropout.apply(input, p=p, feature_dims=feature_dims)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), as
    torch.nn.functional.dropout; the input itself when not training."""
    return _dropout(input, p, training, 0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input, as torch.nn.functional.dropout1d."""
    check_tensor(input, "input")
    if input.ndim not in (2, 3):
        raise ValueError("dropout1d: expected 2D or 3D input, but received a %dD input "
                         "(shape %s)" % (input.ndim, input.shape))
    return _dropout(input, p, training, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input, as torch.nn.functional.dropout2d.

    As in PyTorch, a 3-D input is taken as (N, C, L) (channel-wise 1-D dropout, with a
    warning), and other ranks drop the planes of dims 2 and after, with a warning.
    """
    check_tensor(input, "input")
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted "
                      "as shape (N, C, L), where C is the channel dim. Use dropout1d for "
                      "that behavior.", stacklevel=2)
    elif input.ndim != 4:
        warnings.warn("dropout2d: Received a %d-D input to dropout2d, which is deprecated "
                      "in PyTorch; use dropout instead." % input.ndim, stacklevel=2)
    return _dropout(input, p, training, max(input.ndim - 2, 0))
