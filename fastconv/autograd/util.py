"""Helpers shared by the Tensor op modules: dims, shapes, broadcasting, argument checks."""
import builtins
import numbers

import numpy as np


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched to reach it from `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def normalize_dim(dim, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index; IndexError like PyTorch otherwise."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError("dim must be an int, got %s" % type(dim).__name__)
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError("Dimension out of range (expected to be in range of [%d, %d], but "
                         "got %d)" % (low, high, dim))
    return int(dim) % builtins.max(ndim, 1)


def normalize_dims(dim, ndim: int):
    """None (all dims) or a sorted tuple of distinct non-negative dims."""
    if dim is None:
        return None
    if type(dim) is int and -ndim <= dim < ndim:
        return (dim % ndim,)
    dims = tuple(normalize_dim(d, ndim) for d in (dim if isinstance(dim, (tuple, list))
                                                  else (dim,)))
    if len(set(dims)) != len(dims):
        raise ValueError("dim %r appears more than once in the reduction" % (dim,))
    return tuple(sorted(dims)) if dims and ndim else None


def shape_args(shape, op: str):
    """(2, 3) or ((2, 3),) or ([2, 3],) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError("%s: sizes must be ints, got %r" % (op, shape))
    return tuple(int(n) for n in shape)


def named_operator(operator_method, op: str, doc: str, name: str = None):
    """The method form of an operator (x.add(y) for x + y, x.eq(y) for x == y): the same,
    with a TypeError naming the op where the operator would return NotImplemented."""
    def method(self, other):
        out = operator_method(self, other)
        if out is NotImplemented:
            raise TypeError("%s: unsupported operand type %s" % (op, type(other).__name__))
        return out
    method.__name__ = name or op
    method.__doc__ = doc
    return method


def _ignore_all_errors():
    """(set, reset) of numpy's floating-point error state as 'ignore all', or None.

    np.errstate costs about a microsecond per use, several times a small ufunc; numpy 2
    keeps the state in a context variable, which these set and reset directly. Where
    numpy lacks it (numpy 1.x, a future change), quietly() falls back to np.errstate."""
    try:
        from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
        quiet = _make_extobj(all="ignore")
        token = _extobj_contextvar.set(quiet)
        try:
            np.divide(np.ones(1), np.zeros(1))   # must not warn while quiet is set
        finally:
            _extobj_contextvar.reset(token)
        return (lambda: _extobj_contextvar.set(quiet)), _extobj_contextvar.reset
    except Exception:   # noqa: BLE001  (any surprise: the public, slower way)
        return None


_QUIET = _ignore_all_errors()

if _QUIET is not None:
    _enter_quiet, _exit_quiet = _QUIET

    def quietly(function, *args):
        """function(*args) with numpy's floating-point warnings (divide by zero, overflow,
        invalid) silenced: inf and nan results, as PyTorch gives them, without a word."""
        token = _enter_quiet()
        try:
            return function(*args)
        finally:
            _exit_quiet(token)
else:   # pragma: no cover
    def quietly(function, *args):
        """function(*args) with numpy's floating-point warnings silenced."""
        with np.errstate(all="ignore"):
            return function(*args)
