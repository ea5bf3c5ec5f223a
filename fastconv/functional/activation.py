"""relu (forward next to backward), softmax and log_softmax (their Functions are
fastconv.autograd.softmax's, shared with Tensor.softmax); softmaxes are max-shifted."""
import warnings
from typing import Optional

from .. import ops
from ..autograd import Function, Tensor
from ..autograd.softmax import LogSoftmax, Softmax   # noqa: F401  (also Tensor.softmax's)
from ..autograd.softmax import log_softmax_array as _log_softmax   # noqa: F401  (loss.py)
from ._util import check_tensor, normalize_dim


class ReLU(Function):
    """max(x, 0); the gradient passes where the output is positive."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x):
        y = ops.relu_forward(x)
        ctx.output = y
        return y

    @staticmethod
    def backward(ctx, grad):
        return ops.relu_backward(grad, ctx.output)


def _float_input(input: Tensor) -> None:
    check_tensor(input, "input")
    if input.dtype.kind != "f":
        raise TypeError("input must be a floating point tensor, got %s" % input.dtype)


def _softmax_axis(input: Tensor, dim: Optional[int], name: str) -> int:
    """The axis to normalise over; dim=None keeps PyTorch's legacy implicit choice."""
    if dim is None:
        warnings.warn("Implicit dimension choice for %s has been deprecated. Change the "
                      "call to include dim=X as an argument." % name, stacklevel=3)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return normalize_dim(dim, input.ndim)


def relu(input: Tensor) -> Tensor:
    """max(input, 0) elementwise (NaN propagates), as torch.nn.functional.relu."""
    check_tensor(input, "input")
    return ReLU.apply(input)


def softmax(input: Tensor, dim: Optional[int] = None) -> Tensor:
    """exp(x) / exp(x).sum(dim), computed stably, as torch.nn.functional.softmax."""
    _float_input(input)
    axis = _softmax_axis(input, dim, "softmax")
    if input.ndim == 0:
        return Softmax.apply(input, axis=None)
    return Softmax.apply(input, axis=axis)


def log_softmax(input: Tensor, dim: Optional[int] = None) -> Tensor:
    """log(softmax(x, dim)) without forming softmax, as torch.nn.functional.log_softmax."""
    _float_input(input)
    axis = _softmax_axis(input, dim, "log_softmax")
    if input.ndim == 0:
        return LogSoftmax.apply(input, axis=None)
    return LogSoftmax.apply(input, axis=axis)
