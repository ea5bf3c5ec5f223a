"""Indexing and selection: t[index], gather/scatter/scatter_add, index_select,
masked_fill/masked_select, where, tril/triu, nonzero.

Basic indices (ints, slices, None, Ellipsis) give views of the input, sharing its version
counter, as in PyTorch; advanced ones (integer arrays or Tensors, masks) give copies, and
their gradients accumulate over repeated indices.
"""
import numbers

import numpy as np

from .conversion import promoted, to_dtype
from .function import Function, apply_unary
from .tensor_base import TensorBase
from .util import normalize_dim, unbroadcast
from .._xp import array_module as _xp

_BASIC = (int, slice, type(None), type(Ellipsis))


def _add_at(out, index, values):
    """out[index] += values, accumulating over repeated indices (numpy or cupy)."""
    if _xp(out) is np:
        np.add.at(out, index, values)
    else:
        import cupyx
        cupyx.scatter_add(out, index, values)


# ==================================================================== t[index]

class Index(Function):
    """x[index] for a basic index: a view; backward writes grad into zeros there."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        out = x[index]
        if type(out) is not type(x):   # every dim indexed by an int: numpy gives a scalar
            out = x[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx, grad):
        out = _xp(grad).zeros(ctx.shape, dtype=grad.dtype)
        out[ctx.index] = grad
        return out, None


class IndexAdvanced(Function):
    """x[index] with integer arrays or masks: a copy; repeated indices accumulate."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return _xp(x).asarray(x[index])

    @staticmethod
    def backward(ctx, grad):
        out = _xp(grad).zeros(ctx.shape, dtype=grad.dtype)
        _add_at(out, ctx.index, grad)
        return out, None


def is_basic(index) -> bool:
    """True for indices made only of ints, slices, None and Ellipsis (numpy views)."""
    kind = type(index)
    if kind in _BASIC:
        return True
    if kind is not tuple:
        return False
    for item in index:
        if type(item) not in _BASIC:
            return False
    return True


def as_index(index, xp):
    """An index in numpy's form: Tensors and lists become arrays, numpy ints Python ints."""
    if isinstance(index, tuple):
        return tuple(as_index(i, xp) for i in index)
    if isinstance(index, TensorBase):
        return index._data
    if isinstance(index, list):
        return xp.asarray(index)
    if isinstance(index, numbers.Integral) and not isinstance(index, (bool, np.bool_)):
        return int(index)
    return index


def getitem(x, index):
    """x[index]: ints, slices, None, Ellipsis, bool masks, integer arrays/Tensors/lists."""
    if not is_basic(index):
        index = as_index(index, _xp(x._data))
        if not is_basic(index):
            return apply_unary(IndexAdvanced, x, index)
    return apply_unary(Index, x, index)


# ==================================================================== gather, scatter

def _lanes(index, dim):
    """The full advanced index that pairs each element of `index` (an int array) with its
    own position in the other dims: (arange, ..., index at dim, ..., arange)."""
    xp = _xp(index)
    grid = list(xp.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _int_index(index, op):
    if not isinstance(index, TensorBase) or index.dtype.kind not in "iu":
        raise TypeError("%s: index must be an integer Tensor, got %s"
                        % (op, getattr(index, "dtype", type(index).__name__)))
    return index._data


def _check_index_shape(index, x_shape, dim, op, other=None):
    if index.ndim != len(x_shape):
        raise ValueError("%s: index must have as many dims as the input (%d), got %d"
                         % (op, len(x_shape), index.ndim))
    for d, n in enumerate(index.shape):
        if d != dim and n > x_shape[d]:
            raise ValueError("%s: index of shape %s is larger than the input %s in dim %d"
                             % (op, index.shape, x_shape, d))
    if other is not None and any(n > m for n, m in zip(index.shape, other)):
        raise ValueError("%s: index of shape %s is larger than src %s"
                         % (op, index.shape, other))


class Gather(Function):
    """out[...i_d...] = x[...index[...i_d...]...] along dim (torch.gather)."""

    @staticmethod
    def forward(ctx, x, dim, index):
        lanes = ctx.lanes = _lanes(index, dim)
        ctx.shape = x.shape
        return x[lanes]

    @staticmethod
    def backward(ctx, grad):
        out = _xp(grad).zeros(ctx.shape, dtype=grad.dtype)
        _add_at(out, ctx.lanes, grad)
        return out, None, None


def gather(x, dim: int, index):
    """Values of x along dim at `index` (an int Tensor with x's number of dims)."""
    d = normalize_dim(dim, x.ndim)
    idx = _int_index(index, "gather")
    _check_index_shape(idx, x.shape, d, "gather")
    return apply_unary(Gather, x, d, idx)


class Scatter(Function):
    """A copy of x with src's values written (or added) at index along dim."""

    @staticmethod
    def forward(ctx, x, src, dim, index, add):
        lanes = ctx.lanes = _lanes(index, dim)
        ctx.add, ctx.src_shape, ctx.index_shape = add, getattr(src, "shape", None), index.shape
        out = x.copy()
        values = src[tuple(slice(0, n) for n in index.shape)] if ctx.src_shape else src
        if add:
            _add_at(out, lanes, values)
        else:
            out[lanes] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        xp, lanes = _xp(grad), ctx.lanes
        need_x, need_src = ctx.needs_input_grad[:2]
        dx = dsrc = None
        if need_x:
            dx = grad
            if not ctx.add:
                dx = grad.copy()
                dx[lanes] = 0
        if need_src:
            dsrc = xp.zeros(ctx.src_shape, dtype=grad.dtype)
            dsrc[tuple(slice(0, n) for n in ctx.index_shape)] = grad[lanes]
        return dx, dsrc, None, None, None


def _scatter(x, dim, index, src, add, op):
    d = normalize_dim(dim, x.ndim)
    idx = _int_index(index, op)
    if isinstance(src, TensorBase):
        src = to_dtype(src, x.dtype)
        _check_index_shape(idx, x.shape, d, op, src.shape)
        return Scatter.apply(x, src, d, idx, add)
    if add or not isinstance(src, numbers.Number):
        raise TypeError("%s: src must be a Tensor%s" % (op, "" if add else " or a number"))
    _check_index_shape(idx, x.shape, d, op)
    return Scatter.apply(x, src, d, idx, False)


def scatter(x, dim: int, index, src=None, value=None, *, reduce=None):
    """A copy of x with src (a Tensor, or a number `value`) written at index along dim
    (torch.scatter; with repeated indices the last write wins). reduce='add' adds."""
    if src is None:
        src = value
    if reduce not in (None, "add"):
        raise ValueError("scatter: reduce=%r is not supported (use 'add' or None)" % (reduce,))
    return _scatter(x, dim, index, src, reduce == "add", "scatter")


def scatter_add(x, dim: int, index, src):
    """A copy of x with src added at index along dim (repeated indices accumulate)."""
    return _scatter(x, dim, index, src, True, "scatter_add")


class IndexSelect(Function):
    """The entries `index` (1-D ints) of x along dim."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return _xp(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        out = _xp(grad).zeros(ctx.shape, dtype=grad.dtype)
        _add_at(out, (slice(None),) * ctx.dim + (ctx.index,), grad)
        return out, None, None


def index_select(x, dim: int, index):
    """x's entries `index` (a 1-D int Tensor) along dim."""
    idx = _int_index(index, "index_select")
    if idx.ndim > 1:
        raise ValueError("index_select: index must be 1-D, got shape %s" % (idx.shape,))
    d = normalize_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError("index_select: index out of range for a dim of size %d" % n)
    return apply_unary(IndexSelect, x, d, idx.reshape(-1))


# ==================================================================== masks

def _mask(mask, x_shape, op):
    if not isinstance(mask, TensorBase) or mask.dtype != np.bool_:
        raise TypeError("%s: mask must be a bool Tensor, got %s"
                        % (op, getattr(mask, "dtype", type(mask).__name__)))
    try:
        fits = tuple(np.broadcast_shapes(mask.shape, x_shape)) == tuple(x_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError("%s: mask of shape %s does not broadcast to the input's shape %s"
                         % (op, mask.shape, x_shape))
    return mask._data


class MaskedFill(Function):
    """x with `value` (a number or a 0-d array) where mask holds."""

    @staticmethod
    def forward(ctx, x, value, mask):
        ctx.mask = mask
        return _xp(x).where(mask, value, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        xp, mask = _xp(grad), ctx.mask
        dx = xp.where(mask, 0, grad).astype(grad.dtype, copy=False) \
            if ctx.needs_input_grad[0] else None
        dvalue = None
        if ctx.needs_input_grad[1]:
            dvalue = xp.asarray(xp.where(mask, grad, 0).sum(), dtype=grad.dtype)
        return dx, dvalue, None


def masked_fill(x, mask, value):
    """x with `value` (a number or a 0-d Tensor) where the bool mask holds (broadcast)."""
    m = _mask(mask, x.shape, "masked_fill")
    if isinstance(value, TensorBase):
        if value.ndim:
            raise ValueError("masked_fill: value must be a number or a 0-d tensor, got shape %s"
                             % (value.shape,))
        value = to_dtype(value, x.dtype)
    elif not isinstance(value, numbers.Number):
        raise TypeError("masked_fill: value must be a number or a 0-d Tensor, got %s"
                        % type(value).__name__)
    return MaskedFill.apply(x, value, m)


def masked_select(x, mask):
    """The elements of x where the mask (broadcast) holds, as a 1-D tensor."""
    shape = np.broadcast_shapes(x.shape, mask.shape)
    if tuple(shape) != x.shape:
        x = x.expand(shape)
    m = _mask(mask, x.shape, "masked_select")
    return apply_unary(IndexAdvanced, x, _xp(m).broadcast_to(m, x.shape))


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


def where(condition, a=None, b=None):
    """Elementwise a where condition (a bool Tensor) holds, else b; all three broadcast.
    where(condition) alone is nonzero(condition, as_tuple=True)."""
    if a is None and b is None and isinstance(condition, TensorBase):
        return nonzero(condition, as_tuple=True)
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


def nonzero(x, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an (n, ndim) int64 Tensor, or with as_tuple one 1-D
    Tensor per dim."""
    found = _xp(x._data).nonzero(x._data)
    if as_tuple:
        return tuple(x._new(i.astype(np.int64)) for i in found)
    return x._new(_xp(x._data).stack(found, axis=1).astype(np.int64)
                  if found else _xp(x._data).zeros((0, 0), np.int64))


# ==================================================================== triangles

class Triangle(Function):
    """The lower (tril) or upper (triu) triangle of the last two dims, from `diagonal`."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = _xp(x)
        return (xp.triu if upper else xp.tril)(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        xp = _xp(grad)
        return (xp.triu if ctx.upper else xp.tril)(grad, ctx.diagonal), None, None


def _triangle(x, diagonal, upper):
    if x.ndim < 2:
        raise ValueError("%s: input must have at least 2 dims, got shape %s"
                         % ("triu" if upper else "tril", x.shape))
    return apply_unary(Triangle, x, int(diagonal), upper)


def tril(x, diagonal: int = 0):
    """Zero the elements above the `diagonal`-th diagonal of the last two dims."""
    return _triangle(x, diagonal, False)


def triu(x, diagonal: int = 0):
    """Zero the elements below the `diagonal`-th diagonal of the last two dims."""
    return _triangle(x, diagonal, True)


class IndexingOps:
    """Tensor indexing, gathering and masking (t[index] = value is in inplace.py)."""

    __slots__ = ()

    __getitem__ = getitem
    gather = gather
    scatter = scatter
    scatter_add = scatter_add
    index_select = index_select
    masked_fill = masked_fill
    masked_select = masked_select
    nonzero = nonzero
    tril = tril
    triu = triu

    def argwhere(self):
        """Indices of the nonzero elements, (n, ndim) int64."""
        return nonzero(self)

    def where(self, condition, other):
        """self where condition holds, else other (torch.Tensor.where)."""
        return where(condition, self, other)
