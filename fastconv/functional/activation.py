"""relu (forward next to backward), softmax and log_softmax (their Functions are
fastconv.autograd.softmax's, shared with Tensor.softmax; max-shifted), and the pointwise
activations (leaky_relu ... mish), which share one Function over the native family."""
import warnings
from typing import Optional

import numpy as np

from .. import ops
from ..autograd import Function, Tensor, increment_version, is_grad_enabled
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


class AddReLU(Function):
    """max(a + b, 0) in one pass; both inputs get the gradient where the output is
    positive."""

    @staticmethod
    def forward(ctx, a, b):
        y = ops.add_relu_forward(a, b)
        ctx.output = y
        return y

    @staticmethod
    def backward(ctx, grad):
        g = ops.relu_backward(grad, ctx.output)
        need_a, need_b = ctx.needs_input_grad
        return (g if need_a else None), (g if need_b else None)


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


def add_relu(input: Tensor, other: Tensor) -> Tensor:
    """relu(input + other): one pass where both are float tensors of one shape and dtype
    (a residual block's sum and ReLU, as in ResNet), else the two ops."""
    check_tensor(input, "input")
    check_tensor(other, "other")
    if (input.shape == other.shape and input.dtype == other.dtype
            and input.dtype.kind == "f"):
        return AddReLU.apply(input, other)
    return relu(input + other)


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


# ------------------------------------------------------------------ pointwise activations

class Activation(Function):
    """One pointwise activation of fastconv.ops.ACTIVATIONS; backward reads the forward's
    input or output, whichever the kind needs (sigmoid, tanh, hardtanh and elu with
    alpha >= 0 keep only their output)."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, kind, alpha=0.0, beta=0.0):
        y = ops.activation_forward(x, kind, alpha, beta)
        reads_output = ops.activation_backward_reads(kind, alpha) == "output"
        ctx.saved = y if reads_output else x
        ctx.params = (kind, alpha, beta)
        return y

    @staticmethod
    def backward(ctx, grad):
        return ops.activation_backward(grad, ctx.saved, *ctx.params)


def _number(value, name: str) -> float:
    """A real-number option (negative_slope, alpha, ...), or a TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError("%s must be a real number, got %r" % (name, value))
    return float(value)


def _activation(input: Tensor, kind: str, alpha: float = 0.0, beta: float = 0.0,
                inplace: bool = False) -> Tensor:
    """Apply `kind`. inplace=True writes the result into input and returns input when
    nothing is recorded for backward (grad mode off); a leaf that requires grad cannot
    be changed in place (as in PyTorch); otherwise the result is a new tensor with the
    same value and a correct gradient, and input is left as it was (without version
    counters the tape cannot tell whether some other op saved input for its backward)."""
    check_tensor(input, "input")
    if inplace:
        if not is_grad_enabled():
            data = input._data
            if data.flags.c_contiguous:
                ops.activation_forward(data, kind, alpha, beta, out=data)
            else:
                data[...] = ops.activation_forward(data, kind, alpha, beta)
            increment_version(input)
            return input
        if input.requires_grad and input.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation (%s with inplace=True)" % kind)
    return Activation.apply(input, kind=kind, alpha=alpha, beta=beta)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x, as torch.nn.functional.leaky_relu."""
    return _activation(input, "leaky_relu", _number(negative_slope, "negative_slope"),
                       inplace=inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1), as torch.nn.functional.elu."""
    return _activation(input, "elu", _number(alpha, "alpha"), inplace=inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with Phi the standard normal CDF (approximate='none'), or its tanh
    approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (approximate='tanh'),
    as torch.nn.functional.gelu."""
    if approximate not in ("none", "tanh"):
        raise ValueError("approximate must be 'none' or 'tanh', got %r" % (approximate,))
    return _activation(input, "gelu" if approximate == "none" else "gelu_tanh")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish), as torch.nn.functional.silu."""
    return _activation(input, "silu", inplace=inplace)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), as torch.nn.functional.sigmoid (native kernel; the gradient
    comes from the output)."""
    return _activation(input, "sigmoid")


def tanh(input: Tensor) -> Tensor:
    """tanh(x), as torch.nn.functional.tanh (native kernel; the gradient comes from the
    output)."""
    return _activation(input, "tanh")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, or x where beta x > threshold, as
    torch.nn.functional.softplus."""
    return _activation(input, "softplus", _number(beta, "beta"), _number(threshold, "threshold"))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val], as torch.nn.functional.hardtanh (the gradient is
    0 where x <= min_val or x >= max_val)."""
    return _activation(input, "hardtanh", _number(min_val, "min_val"),
                       _number(max_val, "max_val"), inplace=inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6), as torch.nn.functional.relu6 (hardtanh(x, 0, 6))."""
    return _activation(input, "hardtanh", 0.0, 6.0, inplace=inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6, as torch.nn.functional.hardswish."""
    return _activation(input, "hardswish", inplace=inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6, as torch.nn.functional.hardsigmoid."""
    return _activation(input, "hardsigmoid", inplace=inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)), as torch.nn.functional.mish."""
    return _activation(input, "mish", inplace=inplace)
