"""Shape ops: reshape/view, flatten, squeeze/unsqueeze, permute/transpose/t, expand,
repeat, flip, roll, split/chunk/unbind, narrow/select, clone, and joining (cat, stack).

Reshapes, permutations, expand, narrow/select and split pieces are views of their input
when numpy can make them so (sharing its version counter, as in PyTorch); flip, roll,
repeat and clone copy.
"""
import math
import numbers

import numpy as np

from .conversion import promoted
from .function import Function, apply_multi, apply_unary
from .indexing import Index
from .tensor_base import TensorBase
from .util import normalize_dim, normalize_dims, shape_args, unbroadcast
from .._xp import array_module as _xp


# ==================================================================== reshape

class Reshape(Function):
    """reshape/view/flatten/squeeze/unsqueeze: same elements, new shape."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def _sizes(shape):
    """reshape's (2, 3), ((2, 3),) or ([2, 3],) as a tuple; None unless every size is a
    plain int (the fast path's condition)."""
    if len(shape) == 1 and type(shape[0]) is not int:
        shape = shape[0]
        if not isinstance(shape, (tuple, list)):
            return None
    for n in shape:
        if type(n) is not int:
            return None
    return tuple(shape)


def reshape(x, *shape):
    """x with a new shape (one size may be -1). Like PyTorch's reshape it shares memory
    when it can and copies otherwise; view() is the same op here."""
    sizes = _sizes(shape)
    if sizes is None:
        sizes = shape_args(shape, "reshape")   # numpy ints are fine; others a TypeError
    try:
        return apply_unary(Reshape, x, sizes)
    except ValueError:
        raise ValueError("reshape: shape %s is invalid for a tensor of shape %s (%d elements)"
                         % (sizes, x.shape, x.numel())) from None


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim (inclusive) into one; a 0-d tensor becomes shape (1,)."""
    if x.ndim == 0:
        return apply_unary(Reshape, x, (1,))
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    if start > end:
        raise ValueError("flatten: start_dim %d comes after end_dim %d" % (start_dim, end_dim))
    s = x.shape
    return apply_unary(Reshape, x, s[:start] + (math.prod(s[start:end + 1]),) + s[end + 1:])


def unflatten(x, dim: int, sizes):
    """Split dim into `sizes` (one may be -1)."""
    d = normalize_dim(dim, x.ndim)
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def squeeze(x, dim=None):
    """Drop size-1 dims (all, or those among `dim` int/tuple; others are left, as in torch)."""
    dims = range(x.ndim) if dim is None else (normalize_dims(dim, x.ndim) or ())
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return apply_unary(Reshape, x, shape)


def unsqueeze(x, dim: int):
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim])."""
    shape = x._data.shape
    d = dim if type(dim) is int and 0 <= dim <= len(shape) else normalize_dim(dim, len(shape) + 1)
    return apply_unary(Reshape, x, shape[:d] + (1,) + shape[d:])


# ==================================================================== permutations

class Permute(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        dims = ctx.dims
        return grad.transpose(sorted(range(len(dims)), key=dims.__getitem__)), None


def permute(x, *dims):
    """Reorder the dims: output dim i is input dim dims[i]."""
    dims = tuple(normalize_dim(d, x.ndim) for d in shape_args(dims, "permute"))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError("permute: dims %r are not a permutation of the %d dims of shape %s"
                         % (dims, x.ndim, x.shape))
    return apply_unary(Permute, x, dims)


def transpose(x, dim0: int, dim1: int):
    """Swap two dims."""
    dims = list(range(x.ndim))
    d0, d1 = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    if x.ndim:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return apply_unary(Permute, x, tuple(dims))


def movedim(x, source, destination):
    """Move dims `source` (int or tuple) to positions `destination`, keeping the others'
    order."""
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise ValueError("movedim: source %r and destination %r differ in length"
                         % (source, destination))
    src = [normalize_dim(d, x.ndim) for d in src]
    dst = [normalize_dim(d, x.ndim) for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("movedim: repeated dim in source %r or destination %r"
                         % (source, destination))
    rest = iter(d for d in range(x.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return apply_unary(Permute, x, tuple(placed[i] if i in placed else next(rest)
                                         for i in range(x.ndim)))


# ==================================================================== expand, repeat

class Expand(Function):
    """x broadcast to a larger shape (a read-only view); the gradient sums back."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return _xp(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape), None


def expand(x, *sizes):
    """x broadcast to `sizes`; -1 keeps an existing dim's size."""
    sizes = shape_args(sizes, "expand")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if lead < 0 or any(n < 0 for n in shape) or any(
            m != 1 and m != n for m, n in zip(x.shape, shape[lead:])):
        raise ValueError("expand: a tensor of shape %s cannot be expanded to %s"
                         % (x.shape, sizes))
    return apply_unary(Expand, x, shape)


class Repeat(Function):
    """x tiled `reps` times per dim (leading new dims allowed); the gradient sums the tiles."""

    @staticmethod
    def forward(ctx, x, reps):
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        ctx.shape, ctx.reps, ctx.padded = x.shape, reps, shape
        return _xp(x).tile(x.reshape(shape), reps)

    @staticmethod
    def backward(ctx, grad):
        split = []
        for r, n in zip(ctx.reps, ctx.padded):
            split += [r, n]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.shape), None


def repeat(x, *sizes):
    """x repeated sizes[i] times along dim i (as torch.Tensor.repeat: len(sizes) >= ndim)."""
    sizes = shape_args(sizes, "repeat")
    if len(sizes) < x.ndim or any(n < 0 for n in sizes):
        raise ValueError("repeat: sizes %s must be >= 0 and at least as many as the tensor's "
                         "%d dims" % (sizes, x.ndim))
    return apply_unary(Repeat, x, sizes)


def tile(x, dims):
    """x repeated dims[i] times along dim i, padding dims with 1s in front (torch.tile)."""
    dims = shape_args(dims if isinstance(dims, (tuple, list)) else (dims,), "tile")
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


class RepeatInterleave(Function):
    """Each element repeated along dim (counts: an int or one per element)."""

    @staticmethod
    def forward(ctx, x, repeats, dim):
        ctx.shape, ctx.dim, ctx.repeats = x.shape, dim, repeats
        return _xp(x).repeat(x, repeats, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp, d, repeats = _xp(grad), ctx.dim, ctx.repeats
        if isinstance(repeats, int):
            shape = ctx.shape[:d] + (ctx.shape[d], repeats) + ctx.shape[d + 1:]
            return grad.reshape(shape).sum(axis=d + 1), None, None
        starts = np.concatenate([[0], np.cumsum(repeats)[:-1]]).astype(np.intp)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        keep = repeats > 0
        if keep.any():
            idx = [slice(None)] * len(ctx.shape)
            idx[d] = np.nonzero(keep)[0]
            out[tuple(idx)] = xp.add.reduceat(grad, starts[keep], axis=d)
        return out, None, None


def repeat_interleave(x, repeats, dim=None):
    """Repeat each element `repeats` times (an int or a 1-D int Tensor) along dim (None:
    of the flattened tensor)."""
    if dim is None:
        x, dim = flatten(x), 0
    d = normalize_dim(dim, x.ndim)
    if isinstance(repeats, TensorBase):
        repeats = np.asarray(repeats._data).astype(np.int64).reshape(-1)
        if repeats.size == 1:
            repeats = int(repeats[0])
        elif repeats.size != x.shape[d]:
            raise ValueError("repeat_interleave: %d repeats for a dim of size %d"
                             % (repeats.size, x.shape[d]))
    elif not isinstance(repeats, numbers.Integral):
        raise TypeError("repeat_interleave: repeats must be an int or a Tensor, got %s"
                        % type(repeats).__name__)
    else:
        repeats = int(repeats)
    if np.any(np.asarray(repeats) < 0):
        raise ValueError("repeat_interleave: repeats must be >= 0")
    return apply_unary(RepeatInterleave, x, repeats, d)


# ==================================================================== flip, roll

class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _xp(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return _xp(grad).flip(grad, ctx.dims).copy(), None


def flip(x, *dims):
    """Reverse the order of elements along dims (a copy, as in PyTorch)."""
    dims = normalize_dims(shape_args(dims, "flip"), x.ndim) or ()
    return apply_unary(Flip, x, dims)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return _xp(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        shifts = ctx.shifts
        back = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
        return _xp(grad).roll(grad, back, ctx.dims), None, None


def roll(x, shifts, dims=None):
    """Shift elements along dims, wrapping around (dims None: of the flattened tensor)."""
    if dims is None:
        return apply_unary(Roll, x, int(shifts), None)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (int(shifts),)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ValueError("roll: shifts %r and dims %r differ in length" % (shifts, dims))
    return apply_unary(Roll, x, shifts, tuple(normalize_dim(d, x.ndim) for d in dims))


# ==================================================================== split, narrow

class Split(Function):
    """Pieces [start, stop) of x along dim (views), one output each; unbind's pieces drop
    the dim. backward writes each piece's gradient into one array."""

    multi_output = True

    @staticmethod
    def forward(ctx, x, dim, bounds, drop_dim):
        ctx.shape, ctx.dim, ctx.bounds, ctx.drop = x.shape, dim, bounds, drop_dim
        head = (slice(None),) * dim
        if drop_dim:
            # Ellipsis: a 0-d array (a view), never a numpy scalar, for a 1-D x
            return [x[head + (start, Ellipsis)] for start, _ in bounds]
        return [x[head + (slice(start, stop),)] for start, stop in bounds]

    @staticmethod
    def backward(ctx, *grads):
        g0 = next((g for g in grads if g is not None), None)
        out = _xp(g0).zeros(ctx.shape, dtype=g0.dtype)
        head = (slice(None),) * ctx.dim
        for (start, stop), g in zip(ctx.bounds, grads):
            if g is not None:
                out[head + ((start,) if ctx.drop else (slice(start, stop),))] = g
        return out, None, None, None


def _pieces(x, dim, sizes, drop_dim=False):
    d = normalize_dim(dim, x.ndim)
    bounds, start = [], 0
    for n in sizes:
        bounds.append((start, start + n))
        start += n
    return apply_multi(Split, x, d, tuple(bounds), drop_dim)


def split(x, split_size_or_sections, dim: int = 0):
    """Pieces along dim: of split_size each (the last may be smaller), or of the listed
    sizes (which must add up to the dim's size). Views of x."""
    n = x.shape[normalize_dim(dim, x.ndim)] if x.ndim else 0
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError("split: split_size must be > 0, got %d" % size)
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError("split: sizes %s do not add up to the dim's size %d" % (sizes, n))
    return _pieces(x, dim, sizes)


def chunk(x, chunks: int, dim: int = 0):
    """Up to `chunks` pieces of ceil(n / chunks) elements along dim (as torch.chunk)."""
    if chunks <= 0:
        raise ValueError("chunk: chunks must be > 0, got %d" % chunks)
    n = x.shape[normalize_dim(dim, x.ndim)]
    return split(x, max(1, -(-n // chunks)), dim)


def unbind(x, dim: int = 0):
    """The slices along dim, each without that dim (views of x)."""
    n = x.shape[normalize_dim(dim, x.ndim)]
    return _pieces(x, dim, [1] * n, drop_dim=True)


def narrow(x, dim: int, start: int, length: int):
    """The `length` elements from `start` along dim (a view)."""
    d = normalize_dim(dim, x.ndim)
    n = x.shape[d]
    start = start + n if start < 0 else start
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise IndexError("narrow: start %d and length %d out of range for a dim of size %d"
                         % (start, length, n))
    return apply_unary(Index, x, (slice(None),) * d + (slice(start, start + length),))


def select(x, dim: int, index: int):
    """The slice at `index` along dim, without that dim (a view)."""
    d = normalize_dim(dim, x.ndim)
    n = x.shape[d]
    if not -n <= index < n:
        raise IndexError("select: index %d out of range for a dim of size %d" % (index, n))
    return apply_unary(Index, x, (slice(None),) * d + (index % n, Ellipsis))


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


# ==================================================================== joining

class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        return _xp(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(_xp(grad).split(grad, np.cumsum(ctx.sizes)[:-1].tolist(), axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim = dim
        return _xp(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(_xp(grad).moveaxis(grad, ctx.dim, 0))


def _sequence(tensors, op):
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if not tensors or not all(isinstance(t, TensorBase) for t in tensors):
        raise TypeError("%s: expected a non-empty list or tuple of Tensors" % op)
    return promoted(*tensors, op=op)


def cat(tensors, dim: int = 0):
    """Join tensors along an existing dim; all other sizes must match."""
    tensors = _sequence(tensors, "cat")
    first = tensors[0]
    d = normalize_dim(dim, first.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or any(
                a != b for j, (a, b) in enumerate(zip(t.shape, first.shape)) if j != d):
            raise ValueError("cat: tensor %d has shape %s but tensor 0 has shape %s; sizes "
                             "must match except in dim %d" % (i, t.shape, first.shape, d))
    return Cat.apply(*tensors, dim=d)


def stack(tensors, dim: int = 0):
    """Join same-shaped tensors along a new dim."""
    tensors = _sequence(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError("stack: tensor %d has shape %s but tensor 0 has shape %s; all "
                             "must have the same shape" % (i, t.shape, tensors[0].shape))
    return Stack.apply(*tensors, dim=normalize_dim(dim, tensors[0].ndim + 1))


# ==================================================================== the mixin

class ShapeOps:
    """Tensor methods that change the shape or the layout, not the values."""

    __slots__ = ()

    reshape = reshape
    view = reshape
    flatten = flatten
    unflatten = unflatten
    squeeze = squeeze
    unsqueeze = unsqueeze
    permute = permute
    transpose = swapaxes = swapdims = transpose
    movedim = moveaxis = movedim
    expand = expand
    repeat = repeat
    tile = tile
    repeat_interleave = repeat_interleave
    flip = flip
    roll = roll
    split = split
    chunk = chunk
    unbind = unbind
    narrow = narrow
    select = select

    def view_as(self, other):
        """Reshaped to other's shape."""
        return reshape(self, other.shape)

    reshape_as = view_as

    def expand_as(self, other):
        """Broadcast to other's shape."""
        return expand(self, other.shape)

    def broadcast_to(self, shape):
        """Broadcast to `shape` (as expand)."""
        return expand(self, shape)

    def fliplr(self):
        """Reversed along dim 1."""
        return flip(self, 1)

    def flipud(self):
        """Reversed along dim 0."""
        return flip(self, 0)

    def __reversed__(self):
        """Reversed along dim 0 (as torch: a tensor, not an iterator)."""
        return self if self._data.ndim == 0 else flip(self, 0)

    def ravel(self):
        """The elements as one dim."""
        return reshape(self, -1)

    def t(self):
        """The transpose of a tensor of at most 2 dims (0-D and 1-D come back as views)."""
        ndim = self._data.ndim
        if ndim > 2:
            raise ValueError("t() expects a tensor with <= 2 dimensions, got shape %s"
                             % (self.shape,))
        return apply_unary(Permute, self, (1, 0) if ndim == 2 else tuple(range(ndim)))

    @property
    def T(self):
        """The transpose of a 2-D tensor (0-D and 1-D come back unchanged)."""
        if self.ndim > 2:
            raise ValueError(".T needs a tensor of at most 2 dims, got shape %s; use permute()"
                             % (self.shape,))
        return apply_unary(Permute, self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        """The last two dims swapped (batched matrix transpose)."""
        if self.ndim < 2:
            raise ValueError("mT needs a tensor of at least 2 dims, got shape %s"
                             % (self.shape,))
        return transpose(self, -2, -1)

    def clone(self):
        """A copy of the values that gradients flow back through."""
        return apply_unary(Clone, self)

    def contiguous(self):
        return self

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def __iter__(self):
        """The slices along dim 0 (unbind)."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(unbind(self, 0))
