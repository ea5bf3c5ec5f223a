"""Unary math (exp, log, sqrt, tanh, sigmoid, relu, sin, abs, sign, floor, ...) and clamp.

Each differentiable op is a Function whose backward sits under its forward; the mixin at
the bottom gives Tensor the methods. Integer inputs become float32 where the result must
be a float (exp, log, ...), as in PyTorch; abs, relu, sign, floor, clamp keep the dtype.
"""
import numpy as np

from .conversion import to_dtype
from .function import Function, apply_unary
from .promotion import FLOAT32, category, is_scalar, result_type
from .tensor_base import TensorBase
from .util import quietly, unbroadcast
from .._xp import array_module as _xp

_truediv = np.true_divide


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = quietly(np.exp, x)   # ufuncs dispatch to cupy too
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Expm1(Function):
    @staticmethod
    def forward(ctx, x):
        out = quietly(_xp(x).expm1, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved_tensors[0] + 1)


class Log(Function):
    """Natural log; log2 and log10 scale its gradient by 1 / log(base)."""

    ufunc = np.log
    scale = 1.0

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        return quietly(cls.ufunc, x)

    @classmethod
    def backward(cls, ctx, grad):
        x = ctx.saved_tensors[0]
        if cls.scale != 1.0:
            x = x * x.dtype.type(cls.scale)
        return quietly(_truediv, grad, x)


class Log2(Log):
    ufunc, scale = np.log2, float(np.log(2.0))


class Log10(Log):
    ufunc, scale = np.log10, float(np.log(10.0))


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return quietly(_xp(x).log1p, x)

    @staticmethod
    def backward(ctx, grad):
        return quietly(lambda: grad / (ctx.saved_tensors[0] + 1))


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = quietly(np.sqrt, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return quietly(lambda: grad / (2 * ctx.saved_tensors[0]))


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = quietly(lambda: 1 / _xp(x).sqrt(x))
        ctx.save_for_backward(out)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return quietly(lambda: -0.5 * grad * out * out * out).astype(grad.dtype, copy=False)


class Reciprocal(Function):
    @staticmethod
    def forward(ctx, x):
        out = quietly(_truediv, x.dtype.type(1), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return quietly(lambda: -grad * out * out)


class Abs(Function):
    """|x|; the gradient at 0 is 0 (sign(0)), as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(ctx.saved_tensors[0])


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 - out * out)


class Sigmoid(Function):
    """1 / (1 + exp(-x)), computed from exp(-|x|) so that it never overflows."""

    @staticmethod
    def forward(ctx, x):
        xp = _xp(x)
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * out * (1 - out)


class Relu(Function):
    """max(x, 0); no gradient where x <= 0 (NaN passes through, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        out = _xp(x).maximum(x, 0)
        ctx.save_for_backward(out)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved_tensors[0] > 0)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return quietly(_xp(x).sin, x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _xp(grad).cos(ctx.saved_tensors[0])


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return quietly(_xp(x).cos, x)

    @staticmethod
    def backward(ctx, grad):
        return -grad * _xp(grad).sin(ctx.saved_tensors[0])


class Frac(Function):
    """x - trunc(x); the gradient passes unchanged."""

    @staticmethod
    def forward(ctx, x):
        return x - _xp(x).trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Stepwise(Function):
    """Piecewise-constant functions (sign, floor, ceil, round, trunc): zero gradient,
    as in PyTorch."""

    @staticmethod
    def forward(ctx, x, compute):
        return compute(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return _xp(grad).zeros_like(grad), None


def unary(function, x, floating: bool = True):
    """Apply a unary op to a Tensor; integer inputs become float32 first when `floating`."""
    if not isinstance(x, TensorBase):
        raise TypeError("%s: expected a Tensor, got %s" % (function.__name__.lower(),
                                                           type(x).__name__))
    if floating and x._data.dtype.kind != "f":
        category(x._data.dtype)
        x = to_dtype(x, FLOAT32)
    return apply_unary(function, x)


def _unary_method(function, name, doc, floating=True):
    def method(self):
        data = self._data
        if data.dtype.kind == "f":
            return apply_unary(function, self)
        return unary(function, self, floating)
    method.__name__, method.__doc__ = name, doc
    return method


def _stepwise_method(name, compute, doc):
    """sign, floor, ...: integer tensors stay integer (floor of an int is itself)."""
    def method(self):
        return apply_unary(Stepwise, self, compute)
    method.__name__, method.__doc__ = name, doc
    return method


# ==================================================================== clamp

class Clamp(Function):
    """x limited to [min, max] (numbers or arrays); the gradient passes where
    min <= x <= max (PyTorch's rule for numbers; for tensor bounds, torch's too: to x
    where x is within, to the bound that was taken otherwise)."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        xp = _xp(x)
        ctx.save_for_backward(x, low, high)
        out = x
        if low is not None:
            out = xp.maximum(out, low if hasattr(low, "shape") else xp.asarray(low, x.dtype))
        if high is not None:
            out = xp.minimum(out, high if hasattr(high, "shape") else xp.asarray(high, x.dtype))
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, low, high = ctx.saved_tensors
        xp = _xp(grad)
        if low is None:
            keep = x <= high
        elif high is None:
            keep = x >= low
        else:
            keep = (x >= low) & (x <= high)
        dx = unbroadcast(grad * keep, x.shape) if ctx.needs_input_grad[0] else None
        dlow = dhigh = None
        if ctx.needs_input_grad[1]:      # low is an array here
            taken = (x < low) if high is None else (x < low) & (low < high)
            dlow = unbroadcast(xp.where(taken, grad, 0), low.shape)
        if ctx.needs_input_grad[2]:      # high is an array here
            taken = (x > high) if low is None else (x > high) | (high < low)
            dhigh = unbroadcast(xp.where(taken, grad, 0), high.shape)
        return dx, dlow, dhigh


def clamp(x, min=None, max=None):
    """Limit x to [min, max]: numbers or Tensors (broadcast to x); either may be None,
    not both. Differentiable in x and in Tensor bounds."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not (is_scalar(bound) or isinstance(bound, TensorBase)):
            raise TypeError("clamp: %s must be a number or a Tensor, got %s"
                            % (name, type(bound).__name__))
    x = to_dtype(x, result_type(x, min, max))
    if not isinstance(min, TensorBase) and not isinstance(max, TensorBase):
        return Clamp.apply(x, min, max)
    low = to_dtype(min, x._data.dtype) if isinstance(min, TensorBase) else min
    high = to_dtype(max, x._data.dtype) if isinstance(max, TensorBase) else max
    for name, bound in (("min", low), ("max", high)):
        if isinstance(bound, TensorBase) and tuple(
                np.broadcast_shapes(x.shape, bound.shape)) != x.shape:
            raise ValueError("clamp: %s of shape %s does not broadcast to the input's shape %s"
                             % (name, bound.shape, x.shape))
    if not isinstance(low, TensorBase) and low is not None:
        low = x._new(_xp(x._data).asarray(low, x._data.dtype))
    if not isinstance(high, TensorBase) and high is not None:
        high = x._new(_xp(x._data).asarray(high, x._data.dtype))
    return Clamp.apply(x, low, high)



class UnaryOps:
    """Tensor unary math methods and clamp."""

    __slots__ = ()

    exp = _unary_method(Exp, "exp", "Elementwise e ** x.")
    expm1 = _unary_method(Expm1, "expm1", "Elementwise e ** x - 1, accurate near 0.")
    log = _unary_method(Log, "log", "Elementwise natural logarithm.")
    log2 = _unary_method(Log2, "log2", "Elementwise base-2 logarithm.")
    log10 = _unary_method(Log10, "log10", "Elementwise base-10 logarithm.")
    log1p = _unary_method(Log1p, "log1p", "Elementwise log(1 + x), accurate near 0.")
    sqrt = _unary_method(Sqrt, "sqrt", "Elementwise square root.")
    rsqrt = _unary_method(Rsqrt, "rsqrt", "Elementwise 1 / sqrt(x).")
    reciprocal = _unary_method(Reciprocal, "reciprocal", "Elementwise 1 / x.")
    tanh = _unary_method(Tanh, "tanh", "Elementwise hyperbolic tangent.")
    sigmoid = _unary_method(Sigmoid, "sigmoid", "Elementwise 1 / (1 + exp(-x)).")
    sin = _unary_method(Sin, "sin", "Elementwise sine.")
    cos = _unary_method(Cos, "cos", "Elementwise cosine.")
    frac = _unary_method(Frac, "frac", "Elementwise fractional part, x - trunc(x).")
    relu = _unary_method(Relu, "relu", "Elementwise max(x, 0).", floating=False)
    abs = _unary_method(Abs, "abs", "Elementwise absolute value.", floating=False)
    absolute = __abs__ = abs

    def square(self):
        """Elementwise x * x."""
        return self * self

    sign = _stepwise_method("sign", np.sign, "-1, 0 or 1 by the sign of each element "
                                             "(zero gradient).")
    sgn = sign
    floor = _stepwise_method("floor", np.floor, "Elementwise floor (zero gradient).")
    ceil = _stepwise_method("ceil", np.ceil, "Elementwise ceiling (zero gradient).")
    trunc = _stepwise_method("trunc", np.trunc, "Elementwise rounding toward zero "
                                               "(zero gradient).")
    fix = trunc

    def round(self, decimals: int = 0):
        """Round half to even (as torch), optionally to `decimals` places; zero gradient."""
        if decimals == 0:
            return apply_unary(Stepwise, self, np.round)
        return apply_unary(Stepwise, self, lambda a: np.round(a, decimals))

    clamp = clamp
    clip = clamp

    def clamp_min(self, min):
        """max(self, min)."""
        return clamp(self, min=min)

    def clamp_max(self, max):
        """min(self, max)."""
        return clamp(self, max=max)
