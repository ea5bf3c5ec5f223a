"""relu, softmax and log_softmax: forward next to backward; softmaxes are max-shifted."""
import warnings
from typing import Optional

from .. import ops
from ..autograd import Function, Tensor
from ._util import array_module, check_tensor, normalize_dim


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


def _log_softmax(x, axis: int):
    """x - logsumexp(x) along axis, shifted by the max so exp never overflows."""
    xp = array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return xp.asarray(shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True)))


class Softmax(Function):
    """exp(x) / sum(exp(x)); dx = y * (dy - sum(dy * y))."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = array_module(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        e = xp.exp(shifted)
        y = xp.asarray(e / e.sum(axis=axis, keepdims=True))
        ctx.output, ctx.axis = y, axis
        return y

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return array_module(y).asarray(y * (grad - (grad * y).sum(axis=ctx.axis,
                                                                   keepdims=True)))


class LogSoftmax(Function):
    """x - logsumexp(x); dx = dy - softmax(x) * sum(dy)."""

    @staticmethod
    def forward(ctx, x, axis):
        y = _log_softmax(x, axis)
        ctx.output, ctx.axis = y, axis
        return y

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(grad)
        return xp.asarray(grad - xp.exp(ctx.output) * grad.sum(axis=ctx.axis, keepdims=True))


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
