"""Indexing and selection: x[index] and where(condition, a, b)."""
import numbers

import numpy as np

from .util import unbroadcast
from .conversion import promoted
from .function import Function
from .tensor_base import TensorBase
from .._xp import array_module as _xp


class Index(Function):
    """x[index]. backward scatters into zeros: basic indices by assignment, advanced ones
    (integer arrays, masks) with add.at so that repeated indices accumulate."""

    returns_view = True   # basic indices give views (advanced ones copies)

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return _xp(x).asarray(x[index])

    @staticmethod
    def backward(ctx, grad):
        xp = _xp(grad)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        if is_basic(ctx.index):
            out[ctx.index] = grad
        elif xp is np:
            np.add.at(out, ctx.index, grad)
        else:
            import cupyx
            cupyx.scatter_add(out, ctx.index, grad)
        return out


def is_basic(index) -> bool:
    """True for indices made only of ints, slices, None and Ellipsis (numpy views)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, type(None), type(Ellipsis)))
               or (isinstance(i, numbers.Integral) and not isinstance(i, (bool, np.bool_)))
               for i in items)


def as_index(index, xp):
    """An index in numpy's form: Tensors and lists become arrays."""
    if isinstance(index, tuple):
        return tuple(as_index(i, xp) for i in index)
    if isinstance(index, TensorBase):
        return index._data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (a.shape, b.shape)
        return _xp(a).where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        cond, (sa, sb), xp = ctx.saved_tensors[0], ctx.shapes, _xp(grad)
        da = unbroadcast(xp.where(cond, grad, 0), sa) if ctx.needs_input_grad[1] else None
        db = unbroadcast(xp.where(cond, 0, grad), sb) if ctx.needs_input_grad[2] else None
        return None, da, db


def where(condition, a, b):
    """Elementwise a where condition (a bool Tensor) holds, else b; all three broadcast."""
    if not isinstance(condition, TensorBase) or condition.dtype != np.bool_:
        raise TypeError("where: condition must be a bool Tensor, got %s"
                        % getattr(condition, "dtype", type(condition).__name__))
    pair = promoted(a, b, op="where", like=condition)
    if pair is None:
        raise TypeError("where: unsupported operand types %s and %s"
                        % (type(a).__name__, type(b).__name__))
    try:
        np.broadcast_shapes(condition.shape, pair[0].shape, pair[1].shape)
    except ValueError:
        raise ValueError("where: shapes %s, %s and %s cannot be broadcast together"
                         % (condition.shape, pair[0].shape, pair[1].shape)) from None
    return Where.apply(condition, *pair)


class IndexingOps:
    """Tensor indexing: t[index] (t[index] = value is in inplace.py)."""

    __slots__ = ()

    def __getitem__(self, index):
        """x[index]: ints, slices, None, Ellipsis, bool masks, integer arrays/Tensors/lists."""
        return Index.apply(self, index=as_index(index, _xp(self._data)))

    def __iter__(self):
        return (self[i] for i in range(len(self)))
