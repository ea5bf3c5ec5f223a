"""Reductions: sum, mean, max/min (with indices along a dim), argmax/argmin."""
import collections
import math

import numpy as np

from .util import normalize_dim, normalize_dims, takes_tensor
from .function import Function
from .promotion import INT64
from .._xp import array_module as _xp


class Sum(Function):
    """Sum over `dim` (None: all); integers and bools sum to int64 like PyTorch."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        dtype = None if x.dtype.kind == "f" else INT64
        return _xp(x).asarray(x.sum(axis=dim, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        if ctx.dim is not None and not ctx.keepdim:
            grad = _xp(grad).expand_dims(grad, ctx.dim)
        return _xp(grad).broadcast_to(grad, ctx.shape).copy()


@takes_tensor
def sum(x, dim=None, keepdim: bool = False):
    """Sum over dim (int or tuple; None: every element)."""
    return Sum.apply(x, dim=normalize_dims(dim, x.ndim), keepdim=keepdim)


@takes_tensor
def mean(x, dim=None, keepdim: bool = False):
    """Mean over dim (int or tuple; None: every element); float tensors only, like PyTorch."""
    if x.dtype.kind != "f":
        raise TypeError("mean(): input dtype must be floating point, got %s" % x.dtype)
    dims = normalize_dims(dim, x.ndim)
    count = math.prod(x.shape[d] for d in dims) if dims is not None else x.numel()
    with np.errstate(divide="ignore", invalid="ignore"):
        return Sum.apply(x, dim=dims, keepdim=keepdim) / (count if count else float("nan"))


MaxReturn = collections.namedtuple("max", ["values", "indices"])
MinReturn = collections.namedtuple("min", ["values", "indices"])


class MaxMin(Function):
    """max or min. Over all elements, tied extremes share the gradient evenly; along a dim,
    the gradient goes to the index returned (the first extreme). Both as in PyTorch; NaN
    counts as the extreme."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, largest=True):
        xp = _xp(x)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if x.size == 0:
            raise ValueError("%s(): cannot reduce an empty tensor of shape %s"
                             % ("max" if largest else "min", x.shape))
        if dim is None:
            out = xp.asarray(x.max() if largest else x.min())
            ctx.save_for_backward(x, out)
            return out
        ctx.indices = (xp.argmax if largest else xp.argmin)(x, axis=dim, keepdims=True)
        out = xp.take_along_axis(x, ctx.indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        xp = _xp(grad)
        if ctx.dim is None:
            x, out = ctx.saved_tensors
            hit = xp.isnan(x) if bool(xp.isnan(out)) else (x == out)
            return (hit * (grad / hit.sum())).astype(grad.dtype, copy=False)
        g = grad if ctx.keepdim else xp.expand_dims(grad, ctx.dim)
        positions = xp.arange(ctx.shape[ctx.dim]).reshape(
            (-1,) + (1,) * (len(ctx.shape) - ctx.dim - 1))
        return xp.where(positions == ctx.indices, g, 0).astype(grad.dtype, copy=False)


def _extreme(x, dim, keepdim: bool, largest: bool):
    if dim is None:
        return MaxMin.apply(x, largest=largest)
    d = normalize_dim(dim, x.ndim)
    values, ctx = MaxMin.apply_with_context(x, dim=d, keepdim=keepdim, largest=largest)
    indices = ctx.indices if keepdim else ctx.indices.squeeze(d)
    return (MaxReturn if largest else MinReturn)(values, x._new(indices.astype(np.int64)))


@takes_tensor
def max(x, dim=None, keepdim: bool = False):
    """Largest element (a 0-d Tensor), or with dim a namedtuple (values, indices)."""
    return _extreme(x, dim, keepdim, True)


@takes_tensor
def min(x, dim=None, keepdim: bool = False):
    """Smallest element (a 0-d Tensor), or with dim a namedtuple (values, indices)."""
    return _extreme(x, dim, keepdim, False)


def _arg_extreme(x, dim, keepdim: bool, largest: bool):
    xp = _xp(x._data)
    axis = None if dim is None else normalize_dim(dim, x.ndim)
    found = (xp.argmax if largest else xp.argmin)(x._data, axis=axis, keepdims=keepdim)
    return x._new(xp.asarray(found).astype(np.int64))


@takes_tensor
def argmax(x, dim=None, keepdim: bool = False):
    """Index of the first largest element (flat when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, True)


@takes_tensor
def argmin(x, dim=None, keepdim: bool = False):
    """Index of the first smallest element (flat when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, False)


class ReductionOps:
    """Tensor methods that reduce over dims."""

    __slots__ = ()

    sum = sum
    mean = mean
    max = max
    min = min
    argmax = argmax
    argmin = argmin

