"""Shape ops: reshape/view, flatten, squeeze/unsqueeze, permute/transpose, expand, clone,
and joining tensors (cat, stack)."""
import math

import numpy as np

from .util import normalize_dim, normalize_dims, shape_args, takes_tensor, unbroadcast
from .conversion import promoted
from .function import Function
from .tensor_base import TensorBase
from .._xp import array_module as _xp


class Reshape(Function):
    """reshape/view/flatten/squeeze/unsqueeze: same elements, new shape."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


@takes_tensor
def reshape(x, *shape):
    """x with a new shape (one size may be -1). Like PyTorch's reshape it shares memory
    when it can and copies otherwise; view() is the same op here."""
    shape = shape_args(shape, "reshape")
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        bad = True
    elif -1 in shape:
        bad = known == 0 or x.numel() % known != 0
    else:
        bad = known != x.numel()
    if bad:
        raise ValueError("reshape: shape %s is invalid for a tensor of shape %s (%d elements)"
                         % (shape, x.shape, x.numel()))
    return Reshape.apply(x, shape=shape)


@takes_tensor
def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim (inclusive) into one; a 0-d tensor becomes shape (1,)."""
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    if start > end:
        raise ValueError("flatten: start_dim %d comes after end_dim %d" % (start_dim, end_dim))
    s = x.shape
    return Reshape.apply(x, shape=s[:start] + (math.prod(s[start:end + 1]),) + s[end + 1:])


@takes_tensor
def squeeze(x, dim=None):
    """Drop size-1 dims (all, or those among `dim` int/tuple; others are left, as in torch)."""
    dims = range(x.ndim) if dim is None else (normalize_dims(dim, x.ndim) or ())
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return Reshape.apply(x, shape=shape)


@takes_tensor
def unsqueeze(x, dim: int):
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim])."""
    d = normalize_dim(dim, x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:])


class Permute(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(tuple(int(i) for i in np.argsort(ctx.dims)))


@takes_tensor
def permute(x, *dims):
    """Reorder the dims: output dim i is input dim dims[i]."""
    dims = tuple(normalize_dim(d, x.ndim) for d in shape_args(dims, "permute"))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError("permute: dims %r are not a permutation of the %d dims of shape %s"
                         % (dims, x.ndim, x.shape))
    return Permute.apply(x, dims=dims)


@takes_tensor
def transpose(x, dim0: int, dim1: int):
    """Swap two dims."""
    dims = list(range(x.ndim))
    d0, d1 = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    if x.ndim:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, dims=tuple(dims))


class Expand(Function):
    """x broadcast to a larger shape (a read-only view); the gradient sums back."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return _xp(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


@takes_tensor
def expand(x, *sizes):
    """x broadcast to `sizes`; -1 keeps an existing dim's size."""
    sizes = shape_args(sizes, "expand")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if lead < 0 or any(n < 0 for n in shape) or any(
            m != 1 and m != n for m, n in zip(x.shape, shape[lead:])):
        raise ValueError("expand: a tensor of shape %s cannot be expanded to %s"
                         % (x.shape, sizes))
    return Expand.apply(x, shape=shape)


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
    squeeze = squeeze
    unsqueeze = unsqueeze
    permute = permute
    transpose = transpose
    expand = expand

    def view_as(self, other):
        """Reshaped to other's shape."""
        return reshape(self, other.shape)

    def expand_as(self, other):
        """Broadcast to other's shape."""
        return expand(self, other.shape)

    def broadcast_to(self, shape):
        """Broadcast to `shape` (as expand)."""
        return expand(self, shape)

    @property
    def T(self):
        """The transpose of a 2-D tensor (0-D and 1-D come back unchanged)."""
        if self.ndim > 2:
            raise ValueError(".T needs a tensor of at most 2 dims, got shape %s; use permute()"
                             % (self.shape,))
        return Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    def clone(self):
        """A copy of the values that gradients flow back through."""
        return Clone.apply(self)

    def contiguous(self):
        return self

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)
