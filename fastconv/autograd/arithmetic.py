"""Arithmetic: + - * / ** % // with broadcasting and PyTorch's dtype promotion, and the
named forms (add(alpha=), mul, div, pow, remainder, fmod, maximum, minimum, addcmul, ...).

Each differentiable op is a Function whose backward sits under its forward; every
gradient is summed back to its input's shape (unbroadcast). Result dtypes follow
torch.result_type (promotion.py).

Speed: an operator on two Tensors of one dtype, or on a float Tensor and a Python number,
goes straight to its Function (no promotion work); Python numbers stay numbers (the
*Scalar Functions), as PyTorch's wrapped numbers do. Everything else is promoted first.
"""
import operator

import numpy as np

from .conversion import promoted
from .function import Function, apply_binary, apply_unary
from .tensor_base import TensorBase
from .util import named_operator, quietly, unbroadcast
from .._xp import array_module as _xp

_truediv, _pow, _mod, _fmod = operator.truediv, operator.pow, operator.mod, np.fmod


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, sa) if need_a else None,
                unbroadcast(grad, sb) if need_b else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, sa) if need_a else None,
                unbroadcast(-grad, sb) if need_b else None)


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
        return quietly(_truediv, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        da = unbroadcast(quietly(_truediv, grad, b), sa) if ctx.needs_input_grad[0] else None
        db = None
        if a is not None:
            db = unbroadcast(quietly(lambda: -grad * a / (b * b)), sb)
        return da, db


class Pow(Function):
    """a ** b; like PyTorch, a zero exponent gets no base gradient and 0 ** b (b >= 0) no
    exponent gradient, instead of the 0 * inf = nan the formulas would give."""

    @staticmethod
    def forward(ctx, a, b):
        out = quietly(_pow, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        xp = _xp(grad)
        da = db = None
        if ctx.needs_input_grad[0]:
            da = unbroadcast(quietly(lambda: xp.where(b == 0, 0, grad * (b * a ** (b - 1)))),
                             a.shape)
        if ctx.needs_input_grad[1]:
            db = quietly(lambda: xp.where((a == 0) & (b >= 0), 0, grad * (out * xp.log(a))))
            db = unbroadcast(db, b.shape)
        return da, db


class Maximum(Function):
    """Elementwise max; a tie sends half the gradient to each side (PyTorch's rule)."""

    largest = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).maximum(a, b)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        xp = _xp(grad)
        split = xp.where(a == b, grad / 2, grad)
        a_loses, b_loses = (a < b, a > b) if cls.largest else (a > b, a < b)
        da = unbroadcast(xp.where(a_loses, 0, split), a.shape) \
            if ctx.needs_input_grad[0] else None
        db = unbroadcast(xp.where(b_loses, 0, split), b.shape) \
            if ctx.needs_input_grad[1] else None
        return da, db


class Minimum(Maximum):
    largest = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).minimum(a, b)


class Remainder(Function):
    """a % b with the divisor's sign (Python's and torch.remainder's); d/db = -floor(a/b)."""

    round_quotient = staticmethod(np.floor)
    compute = staticmethod(_mod)

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[1] else None)
        ctx.shapes = (a.shape, b.shape)
        return quietly(cls.compute, a, b)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        da = unbroadcast(grad, sa) if ctx.needs_input_grad[0] else None
        db = None
        if a is not None:
            db = unbroadcast(quietly(lambda: -grad * cls.round_quotient(a / b)), sb)
        return da, db


class Fmod(Remainder):
    """a % b with the dividend's sign (C's fmod, torch.fmod); d/db = -trunc(a/b)."""

    round_quotient = staticmethod(np.trunc)
    compute = staticmethod(_fmod)


def binary(function, a, b, op: str, floating: bool = False):
    """Promote a and b, check that their shapes broadcast, apply `function`;
    NotImplemented when an operand has a type no operator accepts."""
    pair = promoted(a, b, floating=floating, op=op)
    if pair is None:
        return NotImplemented
    return broadcasting(function, pair[0], pair[1], op)


def broadcasting(function, a, b, op: str):
    """apply_binary(function, a, b), naming the op and shapes when they do not broadcast."""
    try:
        return apply_binary(function, a, b)
    except ValueError:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError("%s: shapes %s and %s cannot be broadcast together"
                             % (op, a.shape, b.shape)) from None
        raise


# ---------------------------------------------------------------- with a Python number

class AddScalar(Function):
    """x + s for a Python number s (also x - s, as x + (-s): the same rounding)."""

    op_name = "Add"

    @staticmethod
    def forward(ctx, x, s):
        return x + s

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class RSubScalar(Function):
    """s - x."""

    op_name = "Sub"

    @staticmethod
    def forward(ctx, x, s):
        return s - x

    @staticmethod
    def backward(ctx, grad):
        return -grad, None


class MulScalar(Function):
    """x * s."""

    op_name = "Mul"

    @staticmethod
    def forward(ctx, x, s):
        ctx.s = s
        return x * s

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.s, None


class DivScalar(Function):
    """x / s."""

    op_name = "Div"

    @staticmethod
    def forward(ctx, x, s):
        ctx.s = s
        return x / s if s else quietly(_truediv, x, s)

    @staticmethod
    def backward(ctx, grad):
        s = ctx.s
        return (grad / s if s else quietly(_truediv, grad, s)), None


class RDivScalar(Function):
    """s / x."""

    op_name = "Div"

    @staticmethod
    def forward(ctx, x, s):
        out = quietly(_truediv, s, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return quietly(lambda: -grad * out / x), None


class PowScalar(Function):
    """x ** s; a zero exponent gets no gradient (PyTorch's rule)."""

    op_name = "Pow"

    @staticmethod
    def forward(ctx, x, s):
        ctx.s = s
        ctx.save_for_backward(x)
        return x * x if s == 2 else quietly(_pow, x, s)

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved_tensors[0], ctx.s
        if s == 0:
            return _xp(grad).zeros_like(grad), None
        if s == 2:
            return grad * (x + x), None
        return quietly(lambda: grad * (s * x ** (s - 1))), None


class RPowScalar(Function):
    """s ** x; 0 ** x gets no gradient where x >= 0 (PyTorch's rule)."""

    op_name = "Pow"

    @staticmethod
    def forward(ctx, x, s):
        out = quietly(_pow, s, x)
        ctx.s = s
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        s, xp = ctx.s, _xp(grad)
        if s == 0:
            return xp.where(x >= 0, 0, quietly(lambda: grad * (out * -np.inf))) \
                .astype(grad.dtype, copy=False), None
        log_s = float(quietly(np.log, float(s)))   # a Python float: computed in x's dtype
        return quietly(lambda: grad * (out * log_s)), None


def _arithmetic(tensors, number, reflected_number, op, floating=False, negate=False):
    """The operator and its reflected form: self op other, other op self.

    `tensors` applies to two Tensors; `number`/`reflected_number` (x, s) to a float Tensor
    and a Python number s (None: promote the number to a Tensor instead), with -s for
    `number` when `negate` (x - s is x + (-s))."""
    def method(self, other):
        data = self._data
        if isinstance(other, TensorBase):
            odata = other._data
            if odata.dtype is data.dtype and type(odata) is type(data) and (
                    not floating or data.dtype.kind == "f"):
                try:
                    return apply_binary(tensors, self, other)
                except ValueError:
                    return broadcasting(tensors, self, other, op)   # names the shapes
        else:
            kind = type(other)
            if (kind is float or kind is int) and number is not None and \
                    data.dtype.kind == "f":
                return apply_unary(number, self, -other if negate else other)
        return binary(tensors, self, other, op, floating)

    def reflected(self, other):
        kind = type(other)
        if (kind is float or kind is int) and reflected_number is not None and \
                self._data.dtype.kind == "f":
            return apply_unary(reflected_number, self, other)
        return binary(tensors, other, self, op, floating)
    return method, reflected


_add, _radd = _arithmetic(Add, AddScalar, AddScalar, "add")
_sub, _rsub = _arithmetic(Sub, AddScalar, RSubScalar, "sub", negate=True)
_mul, _rmul = _arithmetic(Mul, MulScalar, MulScalar, "mul")
_div, _rdiv = _arithmetic(Div, DivScalar, RDivScalar, "div", floating=True)
_pow_, _rpow = _arithmetic(Pow, PowScalar, RPowScalar, "pow")
_rem, _rrem = _arithmetic(Remainder, None, None, "remainder")


def _named(operator_method, op, name=None):
    return named_operator(operator_method, op, "Elementwise %s with broadcasting." % op, name)


def _with_alpha(operator_method, op):
    """add(other, alpha=1) / sub(other, alpha=1): self op alpha * other."""
    named = _named(operator_method, op)

    def method(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return named(self, other)
    method.__name__ = op
    method.__doc__ = "self %s alpha * other, with broadcasting." % ("+" if op == "add" else "-")
    return method


def _pair_function(function, name):
    """maximum(other), minimum(other), fmod(other): promoted, broadcast, differentiable."""
    def method(self, other):
        out = binary(function, self, other, name)
        if out is NotImplemented:
            raise TypeError("%s: unsupported operand type %s" % (name, type(other).__name__))
        return out
    method.__name__ = name
    method.__doc__ = "Elementwise %s of self and other, with broadcasting." % name
    return method


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class ArithmeticOps:
    """Tensor arithmetic operators and their named forms."""

    __slots__ = ()

    __add__, __radd__ = _add, _radd
    __sub__, __rsub__ = _sub, _rsub
    __mul__, __rmul__ = _mul, _rmul
    __truediv__, __rtruediv__ = _div, _rdiv
    __pow__, __rpow__ = _pow_, _rpow
    __mod__, __rmod__ = _rem, _rrem

    def __neg__(self):
        return apply_unary(Neg, self)

    def __pos__(self):
        return self

    def positive(self):
        """self (torch.positive)."""
        return self

    def __floordiv__(self, other):
        """self // other: floor division, without gradient."""
        pair = promoted(self, other, op="floor_divide")
        if pair is None:
            return NotImplemented
        return self._new(quietly(operator.floordiv, pair[0]._data, pair[1]._data))

    def __rfloordiv__(self, other):
        pair = promoted(other, self, op="floor_divide")
        if pair is None:
            return NotImplemented
        return self._new(quietly(operator.floordiv, pair[0]._data, pair[1]._data))

    add = _with_alpha(_add, "add")
    sub = _with_alpha(_sub, "sub")
    subtract = sub
    mul = _named(_mul, "mul")
    multiply = _named(_mul, "mul", "multiply")
    div = _named(_div, "div")
    divide = true_divide = _named(_div, "div", "divide")
    pow = _named(_pow_, "pow")
    remainder = _named(_rem, "remainder")
    floor_divide = _named(__floordiv__, "floor_divide")
    fmod = _pair_function(Fmod, "fmod")
    maximum = _pair_function(Maximum, "maximum")
    minimum = _pair_function(Minimum, "minimum")

    def neg(self):
        """-self."""
        return apply_unary(Neg, self)

    negative = neg

    def addcmul(self, tensor1, tensor2, value=1):
        """self + value * tensor1 * tensor2."""
        return self + (tensor1 * tensor2 if value == 1 else value * tensor1 * tensor2)

    def addcdiv(self, tensor1, tensor2, value=1):
        """self + value * tensor1 / tensor2."""
        return self + (tensor1 / tensor2 if value == 1 else value * tensor1 / tensor2)

    def lerp(self, end, weight):
        """self + weight * (end - self) (weight a number or a Tensor)."""
        return self + weight * (end - self)
