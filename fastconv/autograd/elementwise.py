"""Elementwise ops: arithmetic with broadcasting, unary math, clamp and comparisons.

Each differentiable op is a Function whose backward sits under its forward; the mixin at
the bottom gives Tensor its operators and methods. Broadcasting follows numpy/PyTorch
and each gradient is summed back to its input's shape (unbroadcast). Result dtypes
follow torch.result_type (promotion.py). Comparisons give bool Tensors without grad.
"""
import operator

import numpy as np

from .util import takes_tensor, unbroadcast
from .conversion import promoted, to_dtype
from .function import Function
from .promotion import FLOAT32, category, is_scalar, result_type
from .tensor_base import TensorBase
from .._xp import array_module as _xp


# ==================================================================== binary arithmetic

class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors   # each saved only where the other's gradient needs it
        sa, sb = ctx.shapes
        da = unbroadcast(grad * b, sa) if b is not None else None
        db = unbroadcast(grad * a, sb) if a is not None else None
        return da, db


class Div(Function):
    """True division (integer operands are promoted to float32 by the caller)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        with np.errstate(divide="ignore", invalid="ignore"):
            da = unbroadcast(grad / b, sa) if ctx.needs_input_grad[0] else None
            db = unbroadcast(-grad * a / (b * b), sb) if a is not None else None
        return da, db


class Pow(Function):
    """a ** b; like PyTorch, a zero exponent gets no base gradient and 0 ** b (b >= 0) no
    exponent gradient, instead of the 0 * inf = nan the formulas would give."""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        xp, da, db = _xp(grad), None, None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ctx.needs_input_grad[0]:
                da = unbroadcast(xp.where(b == 0, 0, grad * b * a ** (b - 1)), a.shape)
            if ctx.needs_input_grad[1]:
                db = xp.where((a == 0) & (b >= 0), 0, grad * out * xp.log(a))
                db = unbroadcast(db, b.shape)
        return da, db


def binary(function, a, b, op: str, floating: bool = False):
    """Promote a and b, check that their shapes broadcast, apply `function`;
    NotImplemented when an operand has a type no operator accepts."""
    pair = promoted(a, b, floating=floating, op=op)
    if pair is None:
        return NotImplemented
    try:
        np.broadcast_shapes(pair[0].shape, pair[1].shape)
    except ValueError:
        raise ValueError("%s: shapes %s and %s cannot be broadcast together"
                         % (op, pair[0].shape, pair[1].shape)) from None
    return function.apply(*pair)


def _named(function, op, floating=False):
    """x.add(y) and friends: the operator, with a TypeError instead of NotImplemented."""
    def method(self, other):
        out = binary(function, self, other, op, floating=floating)
        if out is NotImplemented:
            raise TypeError("%s: unsupported operand type %s" % (op, type(other).__name__))
        return out
    method.__name__ = op
    method.__doc__ = "Elementwise %s with broadcasting (the %s operator)." % (op, op)
    return method


# ==================================================================== unary math

class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = _xp(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _xp(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / ctx.saved_tensors[0]


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = _xp(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / (2 * ctx.saved_tensors[0])


class Abs(Function):
    """|x|; the gradient at 0 is 0 (sign(0)), as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _xp(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _xp(grad).sign(ctx.saved_tensors[0])


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = _xp(x).tanh(x)
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


class Clamp(Function):
    """x limited to [min, max]; the gradient passes where min <= x <= max (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        xp = _xp(x)
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        out = x if min is None else xp.maximum(x, xp.asarray(min, dtype=x.dtype))
        return out if max is None else xp.minimum(out, xp.asarray(max, dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        x, (low, high) = ctx.saved_tensors[0], ctx.bounds
        keep = _xp(x).ones(x.shape, dtype=bool)
        if low is not None:
            keep &= x >= low
        if high is not None:
            keep &= x <= high
        return grad * keep


def unary(function, x, floating: bool = True):
    """Apply a unary op to a Tensor; integer inputs become float32 first when `floating`."""
    if not isinstance(x, TensorBase):
        raise TypeError("%s: expected a Tensor, got %s" % (function.__name__.lower(),
                                                           type(x).__name__))
    if floating and category(x._data.dtype) < 2:
        x = to_dtype(x, FLOAT32)
    return function.apply(x)


@takes_tensor
def clamp(x, min=None, max=None):
    """Limit x to [min, max] (Python numbers; either may be None, not both)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not is_scalar(bound):
            raise TypeError("clamp: %s must be a number, got %s" % (name, type(bound).__name__))
    x = to_dtype(x, result_type(x, min, max))
    return Clamp.apply(x, min=min, max=max)


# ==================================================================== comparisons

def _comparison(compare):
    def method(self, other):
        pair = promoted(self, other, op=compare.__name__)
        if pair is None:
            return NotImplemented
        a, b = pair[0]._data, pair[1]._data
        return self._new(_xp(a).asarray(compare(a, b)))
    method.__name__ = "__%s__" % compare.__name__
    method.__doc__ = "Elementwise %s as a bool Tensor (no gradient)." % compare.__name__
    return method


# ==================================================================== the mixin

class ElementwiseOps:
    """Tensor operators and elementwise methods."""

    __slots__ = ()

    def __add__(self, other):
        return binary(Add, self, other, "add")

    def __radd__(self, other):
        return binary(Add, other, self, "add")

    def __sub__(self, other):
        return binary(Sub, self, other, "sub")

    def __rsub__(self, other):
        return binary(Sub, other, self, "sub")

    def __mul__(self, other):
        return binary(Mul, self, other, "mul")

    def __rmul__(self, other):
        return binary(Mul, other, self, "mul")

    def __truediv__(self, other):
        return binary(Div, self, other, "div", floating=True)

    def __rtruediv__(self, other):
        return binary(Div, other, self, "div", floating=True)

    def __pow__(self, other):
        return binary(Pow, self, other, "pow")

    def __rpow__(self, other):
        return binary(Pow, other, self, "pow")

    def __neg__(self):
        return Neg.apply(self)

    add = _named(Add, "add")
    sub = _named(Sub, "sub")
    mul = _named(Mul, "mul")
    div = _named(Div, "div", floating=True)
    pow = _named(Pow, "pow")

    def exp(self):
        """Elementwise e ** x."""
        return unary(Exp, self)

    def log(self):
        """Elementwise natural logarithm."""
        return unary(Log, self)

    def sqrt(self):
        """Elementwise square root."""
        return unary(Sqrt, self)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return unary(Tanh, self)

    def sigmoid(self):
        """Elementwise 1 / (1 + exp(-x))."""
        return unary(Sigmoid, self)

    def abs(self):
        """Elementwise absolute value."""
        return unary(Abs, self, floating=False)

    clamp = clamp

    __lt__ = _comparison(operator.lt)
    __le__ = _comparison(operator.le)
    __gt__ = _comparison(operator.gt)
    __ge__ = _comparison(operator.ge)
    __eq__ = _comparison(operator.eq)
    __ne__ = _comparison(operator.ne)

    def __hash__(self) -> int:   # identity: defining __eq__ must not drop it
        return id(self)
