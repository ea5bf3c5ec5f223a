"""Comparisons (== < ... eq lt ..., isclose, isnan) and logic (& | ^ ~, logical_*): bool
Tensors without gradient (& | ^ ~ are bitwise on integer tensors, as in PyTorch)."""
import operator

import numpy as np

from .conversion import promoted
from .tensor_base import TensorBase
from .util import named_operator
from .._xp import array_module as _xp


def _number(value) -> bool:
    """A Python int or float (not bool)."""
    kind = type(value)
    return kind is float or kind is int


def _named(operator_method, op):
    return named_operator(operator_method, op,
                          "Elementwise %s as a bool Tensor (no gradient)." % op)


def _comparison(compare, name):
    def method(self, other):
        odata = other._data if isinstance(other, TensorBase) else None
        data = self._data
        if odata is not None and odata.dtype is data.dtype and type(odata) is type(data):
            a, b = data, odata
        elif odata is None and _number(other) and data.dtype.kind == "f":
            a, b = data, other
        else:
            pair = promoted(self, other, op=name)
            if pair is None:
                return NotImplemented
            a, b = pair[0]._data, pair[1]._data
        out = compare(a, b)
        return self._new(out if type(out) is np.ndarray else _xp(a).asarray(out))
    method.__name__ = "__%s__" % name
    method.__doc__ = "Elementwise %s as a bool Tensor (no gradient)." % name
    return method


def _logical(compute, name):
    """&, |, ^ (logical on bool tensors, bitwise on integers, as in PyTorch)."""
    def method(self, other):
        pair = promoted(self, other, op=name)
        if pair is None:
            return NotImplemented
        a, b = pair[0]._data, pair[1]._data
        if a.dtype.kind == "f":
            raise TypeError("%s: not defined for floating point tensors (%s)" % (name, a.dtype))
        return self._new(_xp(a).asarray(compute(a, b)))
    method.__name__ = "__%s__" % name
    return method


def _reflected(method):
    return lambda self, other: method(self, other)


def _bool_of(t):
    data = t._data
    return data if data.dtype == np.bool_ else data != 0



class ComparisonOps:
    """Tensor comparisons and logic."""

    __slots__ = ()

    __lt__ = _comparison(operator.lt, "lt")
    __le__ = _comparison(operator.le, "le")
    __gt__ = _comparison(operator.gt, "gt")
    __ge__ = _comparison(operator.ge, "ge")
    __eq__ = _comparison(operator.eq, "eq")
    __ne__ = _comparison(operator.ne, "ne")

    def __hash__(self) -> int:   # identity: defining __eq__ must not drop it
        return id(self)

    lt = less = _named(__lt__, "lt")
    le = less_equal = _named(__le__, "le")
    gt = greater = _named(__gt__, "gt")
    ge = greater_equal = _named(__ge__, "ge")
    eq = _named(__eq__, "eq")
    ne = not_equal = _named(__ne__, "ne")

    def equal(self, other) -> bool:
        """True when other has the same shape and the same values (a Python bool)."""
        return bool(self.shape == other.shape and bool((self == other).all()))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Elementwise |self - other| <= atol + rtol * |other|, as a bool Tensor."""
        a, b = promoted(self, other, op="isclose")
        return self._new(_xp(a._data).isclose(a._data, b._data, rtol=rtol, atol=atol,
                                              equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """True when every element isclose."""
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def __contains__(self, element) -> bool:
        """`element in t`: whether any element equals it (a number or a Tensor)."""
        return bool((self == element).any())

    def isnan(self):
        """Elementwise test for NaN (bool Tensor)."""
        return self._new(_xp(self._data).isnan(self._data))

    def isinf(self):
        """Elementwise test for +-inf (bool Tensor)."""
        return self._new(_xp(self._data).isinf(self._data))

    def isfinite(self):
        """Elementwise test for finite values (bool Tensor)."""
        return self._new(_xp(self._data).isfinite(self._data))

    # ---------------------------------------------------------------- logic
    __and__ = _logical(operator.and_, "and")
    __or__ = _logical(operator.or_, "or")
    __xor__ = _logical(operator.xor, "xor")
    __rand__ = _reflected(__and__)
    __ror__ = _reflected(__or__)
    __rxor__ = _reflected(__xor__)

    def __invert__(self):
        """~t: logical not of a bool tensor, bitwise not of an integer one."""
        if self._data.dtype.kind == "f":
            raise TypeError("~ (bitwise not) is not defined for floating point tensors")
        return self._new(~self._data)

    def logical_not(self):
        """Elementwise not (of nonzero), as a bool Tensor."""
        return self._new(~_bool_of(self))

    def logical_and(self, other):
        return self._new(_bool_of(self) & _bool_of(_as_tensor(self, other)))

    def logical_or(self, other):
        return self._new(_bool_of(self) | _bool_of(_as_tensor(self, other)))

    def logical_xor(self, other):
        return self._new(_bool_of(self) ^ _bool_of(_as_tensor(self, other)))


def _as_tensor(like, value):
    return value if isinstance(value, TensorBase) else like._new(
        _xp(like._data).asarray(value))
