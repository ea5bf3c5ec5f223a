"""In-place ops: add_, mul_, zero_, copy_, masked_fill_, t[index] = value, t += x, ...

In-place ops are never recorded on the tape: where PyTorch would record one (grad mode
on and a tensor requiring grad involved) they raise, except `t op= x`, which rebinds t to
a recorded out-of-place result instead (same value and gradients). Every in-place change
bumps the tensor's version counter (shared with its views), so that backward() refuses
to use an array that changed after an op saved it.
"""
import numpy as np

from .. import random as _random
from .conversion import move
from .arithmetic import ArithmeticOps
from .grad_mode import _state
from .indexing import as_index, is_basic, masked_fill, scatter, scatter_add
from .promotion import category, is_operand, result_type
from .tensor_base import TensorBase, bump_version
from .util import quietly
from .._xp import array_module as _xp

_IN_PLACE_MESSAGE = ("%s: in-place operation involving a tensor that requires grad while "
                     "grad mode is on (in-place ops are not recorded for backward); wrap it "
                     "in `with fastconv.no_grad():`")


def check_inplace(t, op: str, *operands) -> None:
    """In-place ops are never recorded, so refuse them where a gradient would be lost."""
    if _state.enabled and (t.requires_grad or any(
            isinstance(x, TensorBase) and x.requires_grad for x in operands)):
        raise RuntimeError(_IN_PLACE_MESSAGE % op)


def _raw(value, t):
    """The array (moved to t's device) or scalar behind an in-place operand."""
    return move(value._data, t.device) if isinstance(value, TensorBase) else value


def update(t, other, op: str, compute=None, cast=False, scalars=()):
    """t[...] = compute(t's array, other) (or other itself), after checking that other
    broadcasts to t's shape and, unless `cast`, that other and `scalars` do not need a
    higher dtype category than t's (an int tensor cannot take floats)."""
    check_inplace(t, op, other)
    data = t._data
    value = _raw(other, t)
    if not cast and not (getattr(value, "dtype", None) is data.dtype and not scalars) and \
            category(result_type(t, value, *scalars)) > category(data.dtype):
        raise TypeError("%s: result of dtype %s cannot be stored in a %s tensor"
                        % (op, result_type(t, value, *scalars), t.dtype))
    shape = getattr(value, "shape", ())
    if shape != data.shape:
        try:
            fits = tuple(np.broadcast_shapes(data.shape, tuple(shape))) == data.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError("%s: shape %s does not broadcast to the tensor's shape %s"
                             % (op, tuple(shape), t.shape))
    if compute is None:
        data[...] = value
    else:
        data[...] = quietly(compute, data, value)
    bump_version(t)
    return t


def assign(t, result, op: str):
    """t[...] = result (a Tensor computed out of place from t), as the in-place form of a
    method: same checks as update (no higher dtype category), one version bump."""
    check_inplace(t, op)
    if category(result.dtype) > category(t.dtype):
        raise TypeError("%s: result of dtype %s cannot be stored in a %s tensor"
                        % (op, result.dtype, t.dtype))
    t._data[...] = result._data
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


def _augmented(inplace, operator_method, op):
    """t op= other: in place, as in PyTorch. Where PyTorch would record the in-place op
    (grad mode on, and t a non-leaf requiring grad or other requiring grad), t is rebound
    to a recorded out-of-place result instead: same value and gradients, but other
    references to the old t do not see the change. A leaf requiring grad raises."""
    def method(self, other):
        if not is_operand(other):
            return NotImplemented
        recorded = _state.enabled and (
            (self.requires_grad and self._node is not None)
            or (isinstance(other, TensorBase) and other.requires_grad))
        if recorded and not (self.requires_grad and self._node is None):
            return operator_method(self, other)
        return inplace(self, other)
    method.__name__ = "__i%s__" % op
    return method


def _in_place_of(name):
    """The in-place form name_ of the out-of-place method `name` (same arguments)."""
    def method(self, *args, **kwargs):
        check_inplace(self, name + "_", *args)
        return assign(self, getattr(self.detach(), name)(*args, **kwargs),
                      name + "_")
    method.__name__ = name + "_"
    method.__doc__ = "In-place %s (not recorded for backward)." % name
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

    def copy_(self, src, non_blocking=False):
        """Copy src's values into self (broadcast to self's shape, cast to self's dtype)."""
        return update(self, src, "copy_", cast=True)

    def add_(self, other, alpha=1):
        """self += alpha * other."""
        if alpha == 1:
            return update(self, other, "add_", np.add)
        return update(self, other, "add_", lambda a, b: a + alpha * b, scalars=(alpha,))

    def sub_(self, other, alpha=1):
        """self -= alpha * other."""
        if alpha == 1:
            return update(self, other, "sub_", np.subtract)
        return update(self, other, "sub_", lambda a, b: a - alpha * b, scalars=(alpha,))

    def mul_(self, other):
        """self *= other."""
        return update(self, other, "mul_", np.multiply)

    def div_(self, other):
        """self /= other (float tensors only)."""
        if self.dtype.kind != "f":
            raise TypeError("div_: true division cannot be stored in a %s tensor" % self.dtype)
        return update(self, other, "div_", np.true_divide)

    def pow_(self, exponent):
        """self **= exponent."""
        return update(self, exponent, "pow_", np.power)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """self += value * tensor1 * tensor2."""
        return update(self, tensor1 * tensor2, "addcmul_",
                      lambda a, b: a + (b if value == 1 else value * b), scalars=(value,))

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """self += value * tensor1 / tensor2."""
        return update(self, tensor1 / tensor2, "addcdiv_",
                      lambda a, b: a + (b if value == 1 else value * b), scalars=(value,))

    def lerp_(self, end, weight):
        """self += weight * (end - self)."""
        return update(self, end, "lerp_", lambda a, b: a + weight * (b - a),
                      scalars=(weight,) if not isinstance(weight, TensorBase) else ())

    def clamp_(self, min=None, max=None):
        """Limit the values to [min, max] in place."""
        check_inplace(self, "clamp_", min, max)
        return assign(self, self.detach().clamp(min, max), "clamp_")

    clip_ = clamp_

    def clamp_min_(self, min):
        return InplaceOps.clamp_(self, min=min)

    def clamp_max_(self, max):
        return InplaceOps.clamp_(self, max=max)

    neg_ = negative_ = _in_place_of("neg")
    abs_ = absolute_ = _in_place_of("abs")
    square_ = _in_place_of("square")
    expm1_ = _in_place_of("expm1")
    log2_ = _in_place_of("log2")
    log10_ = _in_place_of("log10")
    log1p_ = _in_place_of("log1p")
    sin_ = _in_place_of("sin")
    cos_ = _in_place_of("cos")
    frac_ = _in_place_of("frac")
    exp_ = _in_place_of("exp")
    log_ = _in_place_of("log")
    sqrt_ = _in_place_of("sqrt")
    rsqrt_ = _in_place_of("rsqrt")
    reciprocal_ = _in_place_of("reciprocal")
    tanh_ = _in_place_of("tanh")
    sigmoid_ = _in_place_of("sigmoid")
    relu_ = _in_place_of("relu")
    sign_ = _in_place_of("sign")
    floor_ = _in_place_of("floor")
    ceil_ = _in_place_of("ceil")
    round_ = _in_place_of("round")
    trunc_ = fix_ = _in_place_of("trunc")
    sgn_ = sign_
    subtract_ = sub_
    multiply_ = mul_
    divide_ = true_divide_ = div_

    def remainder_(self, other):
        """self %= other."""
        return update(self, other, "remainder_", np.remainder)

    def fmod_(self, other):
        """self = fmod(self, other)."""
        return update(self, other, "fmod_", np.fmod)

    def tril_(self, diagonal=0):
        check_inplace(self, "tril_")
        return assign(self, self.detach().tril(diagonal), "tril_")

    def triu_(self, diagonal=0):
        check_inplace(self, "triu_")
        return assign(self, self.detach().triu(diagonal), "triu_")

    def masked_fill_(self, mask, value):
        """Write `value` where the bool mask (broadcast) holds."""
        check_inplace(self, "masked_fill_", value)
        return assign(self, masked_fill(self.detach(), mask, value), "masked_fill_")

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        """Write src (or `value`) at index along dim (scatter, in place)."""
        check_inplace(self, "scatter_", src)
        return assign(self, scatter(self.detach(), dim, index, src, value, reduce=reduce),
                      "scatter_")

    def scatter_add_(self, dim, index, src):
        """Add src at index along dim (scatter_add, in place)."""
        check_inplace(self, "scatter_add_", src)
        return assign(self, scatter_add(self.detach(), dim, index, src), "scatter_add_")

    def uniform_(self, a=0.0, b=1.0):
        """Fill with uniform draws from [a, b), from fastconv.random's generator."""
        return _random_fill(self, "uniform_",
                            lambda g, s, d: a + (b - a) * g.random(s, dtype=d))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with normal draws N(mean, std**2), from fastconv.random's generator."""
        return _random_fill(self, "normal_",
                            lambda g, s, d: mean + std * g.standard_normal(s, dtype=d))

    def bernoulli_(self, p=0.5):
        """Fill with 1 with probability p (a number), else 0."""
        check_inplace(self, "bernoulli_")
        draws = _random.generator().random(self.shape) < p
        self._data[...] = _xp(self._data).asarray(draws)
        bump_version(self)
        return self

    def detach_(self):
        """Cut this tensor off the tape, in place (it becomes a leaf without grad)."""
        self._node = None
        self.requires_grad = False
        return self

    def __setitem__(self, index, value) -> None:
        """t[index] = value, in place (not recorded for backward)."""
        check_inplace(self, "__setitem__", value)
        data = self._data
        if not is_basic(index):
            index = as_index(index, _xp(data))
        data[index] = _raw(value, self)
        bump_version(self)

    __iadd__ = _augmented(add_, ArithmeticOps.__add__, "add")
    __isub__ = _augmented(sub_, ArithmeticOps.__sub__, "sub")
    __imul__ = _augmented(mul_, ArithmeticOps.__mul__, "mul")
    __itruediv__ = _augmented(div_, ArithmeticOps.__truediv__, "div")
