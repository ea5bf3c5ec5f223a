"""Reductions: sum, mean, prod, var/std, norm, max/min (with indices along a dim),
amax/amin, argmax/argmin, all/any, count_nonzero, cumsum.

Each reduces over `dim` (an int, a tuple, or None for every element) with PyTorch's
`keepdim`; every gradient is broadcast back to the input's shape.
"""
import collections
import math

import numpy as np

from .function import Function, apply_unary
from .promotion import INT64
from .tensor_base import TensorBase
from .util import normalize_dim, normalize_dims, quietly
from .._xp import array_module as _xp

_truediv = np.true_divide
_add_reduce, _empty = np.add.reduce, np.empty


def _kept_shape(shape, dims):
    """shape with the reduced dims as 1 (keepdim=True's shape)."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def spread(grad, shape, dims, keepdim, dtype=None):
    """A reduction's gradient broadcast back to the input's `shape` (a new array)."""
    if not keepdim and grad.ndim != len(shape):
        grad = grad.reshape(_kept_shape(shape, dims))
    out = _xp(grad).empty(shape, dtype=grad.dtype if dtype is None else dtype)
    out[...] = grad
    return out


def _count(shape, dims) -> int:
    return math.prod(shape) if dims is None else math.prod(shape[d] for d in dims)


# ==================================================================== sum, mean, prod

class Sum(Function):
    """Sum over dims (None: all); integers and bools sum to int64 like PyTorch."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.reduced = (x.shape, dims, keepdim, x.dtype)
        if dtype is None and x.dtype.kind != "f":
            dtype = INT64
        if type(x) is not np.ndarray:
            return x.sum(axis=dims, dtype=dtype, keepdims=keepdim)
        if dims is None and not keepdim:   # straight into a 0-d array
            return _add_reduce(x, None, dtype, _empty((), dtype or x.dtype))
        return _add_reduce(x, dims, dtype, None, keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape, dims, keepdim, dtype = ctx.reduced
        return spread(grad, shape, dims, keepdim, dtype), None, None, None


class Mean(Function):
    """The sum over dims divided by the count (NaN for an empty reduction)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        count = _count(x.shape, dims)
        ctx.reduced = (x.shape, dims, keepdim, x.dtype, count)
        if type(x) is not np.ndarray:
            total = x.sum(axis=dims, dtype=dtype, keepdims=keepdim)
        elif dims is None and not keepdim:
            total = _add_reduce(x, None, dtype, _empty((), dtype or x.dtype))
        else:
            total = _add_reduce(x, dims, dtype, None, keepdim)
        return _truediv(total, count, out=total) if count and type(total) is np.ndarray \
            else quietly(_truediv, total, count)

    @staticmethod
    def backward(ctx, grad):
        shape, dims, keepdim, dtype, count = ctx.reduced
        grad = grad / count if count else quietly(_truediv, grad, count)
        return spread(grad, shape, dims, keepdim, dtype), None, None, None


def _reduce_dims(x, dim):
    return None if dim is None else normalize_dims(dim, x._data.ndim)


def _sum_dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


def sum(x, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over dim (int or tuple; None: every element), in `dtype` when given."""
    return apply_unary(Sum, x, None if dim is None else normalize_dims(dim, x._data.ndim),
                       keepdim, None if dtype is None else np.dtype(dtype))


def mean(x, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean over dim (int or tuple; None: every element); float tensors only, like PyTorch."""
    if dtype is None and x._data.dtype.kind != "f":
        raise TypeError("mean(): input dtype must be floating point, got %s" % x.dtype)
    return apply_unary(Mean, x, None if dim is None else normalize_dims(dim, x._data.ndim),
                       keepdim, None if dtype is None else np.dtype(dtype))


class Prod(Function):
    """Product over one dim or all; the gradient of each element is the product of the
    others (computed from exclusive cumulative products, so zeros are handled)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return x.prod(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        axis = ctx.dim
        flat = x.reshape(-1) if axis is None else x
        axis = 0 if axis is None else axis
        xp = _xp(flat)
        ones = xp.ones_like(xp.take(flat, [0], axis=axis))
        left = xp.cumprod(xp.concatenate([ones, xp.delete(flat, -1, axis=axis)], axis), axis)
        right = xp.flip(xp.cumprod(xp.flip(xp.concatenate(
            [xp.delete(flat, 0, axis=axis), ones], axis), axis), axis), axis)
        others = (left * right).reshape(x.shape)
        dims = None if ctx.dim is None else (ctx.dim,)
        return spread(grad, x.shape, dims, ctx.keepdim) * others, None, None


def prod(x, dim=None, keepdim: bool = False, *, dtype=None):
    """Product of the elements over one dim (None: all)."""
    if dtype is not None:
        x = x.to(dtype)
    d = None if dim is None else normalize_dim(dim, x._data.ndim)
    return apply_unary(Prod, x, d, keepdim)


# ==================================================================== var, std, norm

class Var(Function):
    """sum((x - mean)^2) / (N - correction) over dims (N - correction clipped at 0)."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        count = _count(x.shape, dims)
        centred = x - x.mean(axis=dims, keepdims=True)
        ctx.save_for_backward(centred)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.divisor = divisor = count - correction if count > correction else 0
        return quietly(_truediv, (centred * centred).sum(axis=dims, keepdims=keepdim),
                       divisor)

    @staticmethod
    def backward(ctx, grad):
        centred = ctx.saved_tensors[0]
        grad = spread(grad, centred.shape, ctx.dims, ctx.keepdim)
        return quietly(lambda: grad * (2 * centred) / ctx.divisor), None, None, None


def _correction(dim, unbiased, correction, op):
    """(dim, correction) from torch's three spellings: var(dim, unbiased, keepdim),
    var(unbiased) and var(dim, *, correction)."""
    if isinstance(dim, bool):             # var(False): the unbiased-only overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("%s: give either unbiased or correction, not both" % op)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over dim with Bessel's `correction` (1 by default; unbiased=False is 0)."""
    dim, correction = _correction(dim, unbiased, correction, "var")
    if x._data.dtype.kind != "f":
        raise TypeError("var(): input dtype must be floating point, got %s" % x.dtype)
    return apply_unary(Var, x, _reduce_dims(x, dim), correction, keepdim)


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation: sqrt(var(...)), with the same arguments."""
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


class Norm(Function):
    """The p-norm over dims: (sum |x|^p)^(1/p); p = inf / -inf: max / min |x|. Like
    PyTorch, where the norm is 0 the gradient is 0, and ties of an inf-norm share it."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = _xp(x)
        a = xp.abs(x)
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            out = a.sum(axis=dims, keepdims=keepdim)
        elif p == math.inf:
            out = a.max(axis=dims, keepdims=keepdim)
        elif p == -math.inf:
            out = a.min(axis=dims, keepdims=keepdim)
        else:
            out = quietly(lambda: (a ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p))
        ctx.save_for_backward(x, out)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p, dims, keepdim, xp = ctx.p, ctx.dims, ctx.keepdim, _xp(grad)
        g = spread(grad, x.shape, dims, keepdim)
        norm = spread(out, x.shape, dims, keepdim)
        if p == 1:
            return g * xp.sign(x), None, None, None
        if p in (math.inf, -math.inf):
            hit = xp.abs(x) == norm
            count = spread(hit.sum(axis=dims, keepdims=keepdim), x.shape, dims, keepdim)
            return g * xp.sign(x) * hit / count, None, None, None
        if p == 2:
            scale = quietly(lambda: xp.where(norm == 0, 0, g / norm))
            return (x * scale).astype(grad.dtype, copy=False), None, None, None
        scale = quietly(lambda: xp.where(norm == 0, 0, g / norm ** (p - 1)))
        return (x * xp.abs(x) ** (p - 2) * scale).astype(grad.dtype, copy=False), None, \
            None, None


def norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """The p-norm (2 / 'fro' by default; 1, inf, -inf, any p > 0) over dim (None: all)."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise TypeError("norm(): input dtype must be floating point, got %s" % x.dtype)
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str) or not p > 0 and p != -math.inf:
        raise ValueError("norm: p must be 'fro', a number > 0, inf or -inf, got %r" % (p,))
    return apply_unary(Norm, x, float(p), _reduce_dims(x, dim), keepdim)


# ==================================================================== max, min

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
    if isinstance(dim, TensorBase):       # max(other): the elementwise maximum
        return x.maximum(dim) if largest else x.minimum(dim)
    if dim is None:
        return MaxMin.apply(x, largest=largest)
    d = normalize_dim(dim, x.ndim)
    values, ctx = MaxMin.apply_with_context(x, dim=d, keepdim=keepdim, largest=largest)
    indices = ctx.indices if keepdim else ctx.indices.squeeze(d)
    return (MaxReturn if largest else MinReturn)(values, x._new(indices.astype(np.int64)))


def max(x, dim=None, keepdim: bool = False):
    """Largest element (a 0-d Tensor), with dim a namedtuple (values, indices), or with a
    Tensor the elementwise maximum."""
    return _extreme(x, dim, keepdim, True)


def min(x, dim=None, keepdim: bool = False):
    """Smallest element (a 0-d Tensor), with dim a namedtuple (values, indices), or with a
    Tensor the elementwise minimum."""
    return _extreme(x, dim, keepdim, False)


class Amax(Function):
    """max (or min) over dims; tied extremes share the gradient evenly (torch.amax)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest):
        if x.size == 0:
            raise ValueError("amax/amin: cannot reduce an empty tensor of shape %s"
                             % (x.shape,))
        out = x.max(axis=dims, keepdims=keepdim) if largest \
            else x.min(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.dims, ctx.keepdim
        hit = x == spread(out, x.shape, dims, keepdim)
        count = spread(hit.sum(axis=dims, keepdims=keepdim), x.shape, dims, keepdim)
        g = spread(grad, x.shape, dims, keepdim)
        return (g * hit / count).astype(grad.dtype, copy=False), None, None, None


def amax(x, dim=(), keepdim: bool = False):
    """Largest values over dim (int or tuple; () or None: all)."""
    return apply_unary(Amax, x, _reduce_dims(x, dim or None), keepdim, True)


def amin(x, dim=(), keepdim: bool = False):
    """Smallest values over dim (int or tuple; () or None: all)."""
    return apply_unary(Amax, x, _reduce_dims(x, dim or None), keepdim, False)


def _arg_extreme(x, dim, keepdim: bool, largest: bool):
    xp = _xp(x._data)
    axis = None if dim is None else normalize_dim(dim, x.ndim)
    found = (xp.argmax if largest else xp.argmin)(x._data, axis=axis, keepdims=keepdim)
    return x._new(xp.asarray(found).astype(np.int64))


def argmax(x, dim=None, keepdim: bool = False):
    """Index of the first largest element (flat when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim: bool = False):
    """Index of the first smallest element (flat when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, False)


# ==================================================================== logic, counting

def _boolean(x, dim, keepdim, reduce):
    dims = _reduce_dims(x, dim)
    data = x._data
    out = reduce(data if data.dtype == np.bool_ else data != 0, axis=dims, keepdims=keepdim)
    return x._new(_xp(data).asarray(out))


def all(x, dim=None, keepdim: bool = False):
    """True where every element (over dim; None: all) is nonzero; a bool Tensor."""
    return _boolean(x, dim, keepdim, np.all)


def any(x, dim=None, keepdim: bool = False):
    """True where some element (over dim; None: all) is nonzero; a bool Tensor."""
    return _boolean(x, dim, keepdim, np.any)


def count_nonzero(x, dim=None):
    """The number of nonzero elements over dim (None: all), as int64."""
    data = x._data
    out = (data != 0).sum(axis=_reduce_dims(x, dim), dtype=np.int64)
    return x._new(_xp(data).asarray(out))


def unique(x, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct values (sorted), optionally with the inverse indices and the counts;
    no gradient. dim=None only (of the flattened tensor)."""
    if dim is not None:
        raise NotImplementedError("unique: only dim=None is supported")
    xp = _xp(x._data)
    found = xp.unique(x._data, return_inverse=return_inverse, return_counts=return_counts)
    if not (return_inverse or return_counts):
        return x._new(found)
    values, rest = found[0], list(found[1:])
    out = [x._new(values)]
    if return_inverse:
        out.append(x._new(rest.pop(0).reshape(x._data.shape).astype(np.int64)))
    if return_counts:
        out.append(x._new(rest.pop(0).astype(np.int64)))
    return tuple(out)


def bincount(x, weights=None, minlength: int = 0):
    """Counts of each value of a 1-D non-negative int tensor (weighted sums with weights)."""
    if x._data.ndim != 1 or x._data.dtype.kind not in "iu":
        raise TypeError("bincount: input must be a 1-D integer tensor, got %s of shape %s"
                        % (x.dtype, x.shape))
    w = None if weights is None else weights._data
    out = _xp(x._data).bincount(x._data, weights=w, minlength=minlength)
    return x._new(out if w is not None else out.astype(np.int64))


class Cumsum(Function):
    """Running sum along a dim; the gradient is the reversed running sum of grad."""

    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim, ctx.dtype = dim, x.dtype
        if dtype is None and x.dtype.kind != "f":
            dtype = INT64
        return _xp(x).cumsum(x, axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        xp, d = _xp(grad), ctx.dim
        return xp.flip(xp.cumsum(xp.flip(grad, d), axis=d), d).astype(ctx.dtype, copy=False), \
            None, None


def cumsum(x, dim, *, dtype=None):
    """Running sum along dim."""
    if x._data.ndim == 0:
        return x.reshape(1).cumsum(0, dtype=dtype).reshape(())
    return apply_unary(Cumsum, x, normalize_dim(dim, x._data.ndim), _sum_dtype(dtype))


class ReductionOps:
    """Tensor methods that reduce over dims."""

    __slots__ = ()

    sum = sum
    mean = mean
    prod = prod
    var = var
    std = std
    norm = norm
    max = max
    min = min
    amax = amax
    amin = amin
    argmax = argmax
    argmin = argmin
    all = all
    any = any
    count_nonzero = count_nonzero
    cumsum = cumsum
    unique = unique
    bincount = bincount
