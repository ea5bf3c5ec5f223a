"""Result dtypes of ops on several operands, by PyTorch's rules (torch.result_type)."""
import numbers

import numpy as np

from .._xp import is_cupy
from .tensor_base import TensorBase

FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)
INT64 = np.dtype(np.int64)
BOOL = np.dtype(np.bool_)
_CATEGORIES = {"b": 0, "i": 1, "u": 1, "f": 2}


def category(dtype) -> int:
    """PyTorch's promotion categories: 0 bool, 1 integer, 2 floating point."""
    try:
        return _CATEGORIES[dtype.kind]
    except KeyError:
        raise TypeError("unsupported dtype %s (fastconv supports bool, integer and float "
                        "dtypes)" % dtype) from None


def _promote(a, b):
    """Promote two dtypes of the same priority: the higher category wins, else numpy's rule."""
    if a is None or b is None:
        return b if a is None else a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """Let a lower-priority dtype count only when it is of a higher category (torch's rule)."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if category(higher) == 2:
        return higher
    if category(higher) == 0 or category(lower) == 2:
        return _promote(higher, lower)
    return higher


def is_scalar(value) -> bool:
    """Python and numpy scalars (numbers without a shape)."""
    return isinstance(value, (numbers.Real, np.generic))


def scalar_dtype(value):
    """Python scalars count as bool, int64 or float32 (PyTorch's 'wrapped numbers')."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, numbers.Integral):
        return INT64
    if isinstance(value, numbers.Real):
        return FLOAT32
    raise TypeError("unsupported scalar %r" % (value,))


def result_type(*operands):
    """The dtype PyTorch gives an op on these operands (Tensors, arrays, Python scalars).

    Tensors with dimensions outrank 0-d tensors, which outrank Python scalars; a
    lower-ranked operand changes the result only when it is of a higher category
    (bool < int < float): float32 * 2.5 -> float32, int64 * 2.5 -> float32,
    float32 + float64 -> float64, int32 tensor + int64 0-d tensor -> int32.
    """
    ranked, zero_dim, wrapped = None, None, None
    for x in operands:
        if x is None:
            continue
        if isinstance(x, TensorBase) or (hasattr(x, "dtype") and not is_scalar(x)):
            if x.ndim:
                ranked = _promote(ranked, x.dtype)
            else:
                zero_dim = _promote(zero_dim, x.dtype)
        else:
            wrapped = _promote(wrapped, scalar_dtype(x))
    return _combine(ranked, _combine(zero_dim, wrapped))


def is_operand(value) -> bool:
    """Tensors, arrays and real scalars: what arithmetic operators accept."""
    return (isinstance(value, TensorBase) or is_scalar(value) or isinstance(value, np.ndarray)
            or is_cupy(value))
