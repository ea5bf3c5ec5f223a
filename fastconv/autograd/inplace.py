"""In-place ops: add_, mul_, zero_, copy_, t[index] = value, t += x, ...

In-place ops are never recorded on the tape: where PyTorch would record one (grad mode
on and a tensor requiring grad involved) they raise, except `t op= x`, which rebinds t to
a recorded out-of-place result instead (same value and gradients). Every in-place change
bumps the tensor's version counter (shared with its views), so that backward() refuses
to use an array that changed after an op saved it.
"""
import numpy as np

from .. import random as _random
from .conversion import move
from .elementwise import Add, Div, Mul, Sub, binary, clamp
from .grad_mode import is_grad_enabled
from .indexing import as_index
from .promotion import category, is_operand, result_type
from .tensor_base import TensorBase, bump_version
from .._xp import array_module as _xp


def check_inplace(t, op: str, *operands) -> None:
    """In-place ops are never recorded, so refuse them where a gradient would be lost."""
    if is_grad_enabled() and any(isinstance(x, TensorBase) and x.requires_grad
                                 for x in (t,) + operands):
        raise RuntimeError("%s: in-place operation involving a tensor that requires grad "
                           "while grad mode is on (in-place ops are not recorded for "
                           "backward); wrap it in `with fastconv.no_grad():`" % op)


def _raw(value, t):
    """The array (moved to t's device) or scalar behind an in-place operand."""
    return move(value._data, t.device) if isinstance(value, TensorBase) else value


def update(t, other, op: str, compute=None, cast=False, scalars=()):
    """t[...] = compute(t's array, other) (or other itself), after checking that other
    broadcasts to t's shape and, unless `cast`, that other and `scalars` do not need a
    higher dtype category than t's (an int tensor cannot take floats)."""
    check_inplace(t, op, other)
    other = _raw(other, t)
    if not cast and category(result_type(t, other, *scalars)) > category(t.dtype):
        raise TypeError("%s: result of dtype %s cannot be stored in a %s tensor"
                        % (op, result_type(t, other, *scalars), t.dtype))
    shape = tuple(getattr(other, "shape", ()))
    try:
        fits = tuple(np.broadcast_shapes(t.shape, shape)) == t.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError("%s: shape %s does not broadcast to the tensor's shape %s"
                         % (op, shape, t.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        t._data[...] = other if compute is None else compute(t._data, other)
    bump_version(t)
    return t


def _random_fill(t, op: str, draw):
    check_inplace(t, op)
    if t.dtype.kind != "f":
        raise TypeError("%s needs a floating point tensor, got %s" % (op, t.dtype))
    dtype = t.dtype if t.dtype.itemsize in (4, 8) else np.float32
    t._data[...] = _xp(t._data).asarray(draw(_random.generator(), t.shape, dtype))
    bump_version(t)
    return t


def _augmented(inplace, function, op):
    """t op= other: in place, as in PyTorch. Where PyTorch would record the in-place op
    (grad mode on, and t a non-leaf requiring grad or other requiring grad), t is rebound
    to a recorded out-of-place result instead: same value and gradients, but other
    references to the old t do not see the change. A leaf requiring grad raises."""
    def method(self, other):
        if not is_operand(other):
            return NotImplemented
        recorded = is_grad_enabled() and (
            (self.requires_grad and self._node is not None)
            or (isinstance(other, TensorBase) and other.requires_grad))
        if recorded and not (self.requires_grad and self._node is None):
            return binary(function, self, other, op, floating=function is Div)
        return inplace(self, other)
    method.__name__ = "__i%s__" % op
    return method


class InplaceOps:
    """Tensor methods that change the tensor's own values."""

    __slots__ = ()

    def zero_(self):
        """Set every element to 0."""
        check_inplace(self, "zero_")
        self._data[...] = 0
        bump_version(self)
        return self

    def fill_(self, value):
        """Set every element to a number (or 0-d tensor), cast to self's dtype."""
        if getattr(value, "ndim", 0):
            raise ValueError("fill_: value must be a number or a 0-d tensor, got shape %s"
                             % (tuple(value.shape),))
        return update(self, value, "fill_", cast=True)

    def copy_(self, src):
        """Copy src's values into self (broadcast to self's shape, cast to self's dtype)."""
        return update(self, src, "copy_", cast=True)

    def add_(self, other, alpha=1):
        """self += alpha * other."""
        return update(self, other, "add_", lambda a, b: a + (b if alpha == 1 else alpha * b),
                      scalars=(alpha,))

    def sub_(self, other, alpha=1):
        """self -= alpha * other."""
        return update(self, other, "sub_", lambda a, b: a - (b if alpha == 1 else alpha * b),
                      scalars=(alpha,))

    def mul_(self, other):
        """self *= other."""
        return update(self, other, "mul_", lambda a, b: a * b)

    def div_(self, other):
        """self /= other (float tensors only)."""
        if self.dtype.kind != "f":
            raise TypeError("div_: true division cannot be stored in a %s tensor" % self.dtype)
        return update(self, other, "div_", lambda a, b: a / b)

    def clamp_(self, min=None, max=None):
        """Limit the values to [min, max] in place."""
        check_inplace(self, "clamp_")
        return update(self, clamp(self._new(self._data), min, max), "clamp_")

    def uniform_(self, a=0.0, b=1.0):
        """Fill with uniform draws from [a, b), from fastconv.random's generator."""
        return _random_fill(self, "uniform_",
                            lambda g, s, d: a + (b - a) * g.random(s, dtype=d))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with normal draws N(mean, std**2), from fastconv.random's generator."""
        return _random_fill(self, "normal_",
                            lambda g, s, d: mean + std * g.standard_normal(s, dtype=d))

    def __setitem__(self, index, value) -> None:
        """t[index] = value, in place (not recorded for backward)."""
        check_inplace(self, "__setitem__", value)
        self._data[as_index(index, _xp(self._data))] = _raw(value, self)
        bump_version(self)

    __iadd__ = _augmented(add_, Add, "add")
    __isub__ = _augmented(sub_, Sub, "sub")
    __imul__ = _augmented(mul_, Mul, "mul")
    __itruediv__ = _augmented(div_, Div, "div")
