"""Normalising along a dim: softmax, log_softmax and logsumexp, each max-shifted so that
exp never overflows. fastconv.functional's softmax and log_softmax use these Functions."""
import numpy as np

from .conversion import to_dtype
from .function import Function, apply_unary
from .util import normalize_dim, normalize_dims, quietly
from .._xp import array_module as _xp


def log_softmax_array(x, axis):
    """x - logsumexp(x) along axis (an array), shifted by the max."""
    xp = _xp(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return xp.asarray(shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True)))


class Softmax(Function):
    """exp(x) / sum(exp(x)); dx = y * (dy - sum(dy * y))."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = _xp(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        e = xp.exp(shifted)
        y = xp.asarray(e / e.sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_tensors[0]
        return _xp(y).asarray(y * (grad - (grad * y).sum(axis=ctx.axis, keepdims=True))), None


class LogSoftmax(Function):
    """x - logsumexp(x); dx = dy - softmax(x) * sum(dy)."""

    @staticmethod
    def forward(ctx, x, axis):
        y = log_softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        xp, y = _xp(grad), ctx.saved_tensors[0]
        return xp.asarray(grad - xp.exp(y) * grad.sum(axis=ctx.axis, keepdims=True)), None


class LogSumExp(Function):
    """log(sum(exp(x))) over dims; the gradient is softmax(x) * grad."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = _xp(x)
        top = x.max(axis=dims, keepdims=True)
        top = xp.where(xp.isinf(top), 0, top)     # all -inf (or an inf): no shift
        out = quietly(lambda: xp.log(xp.exp(x - top).sum(axis=dims, keepdims=True)) + top)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        out = out.astype(x.dtype, copy=False)
        if not keepdim:
            out = out.reshape([n for i, n in enumerate(out.shape)
                               if not (dims is None or i in dims)])
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if not ctx.keepdim:
            grad = grad.reshape(out.shape)
        return quietly(lambda: grad * _xp(x).exp(x - out)).astype(x.dtype, copy=False), \
            None, None


def _softmax_input(x, dim, dtype, op):
    if dtype is not None:
        x = to_dtype(x, dtype)
    if x._data.dtype.kind != "f":
        raise TypeError("%s: input must be a floating point tensor, got %s (pass dtype=)"
                        % (op, x.dtype))
    return x, (None if x._data.ndim == 0 else normalize_dim(dim, x._data.ndim))


def softmax(x, dim, dtype=None):
    """exp(x) / exp(x).sum(dim), computed stably (in `dtype` when given)."""
    x, axis = _softmax_input(x, dim, dtype, "softmax")
    return apply_unary(Softmax, x, axis)


def log_softmax(x, dim, dtype=None):
    """log(softmax(x, dim)) without forming softmax (in `dtype` when given)."""
    x, axis = _softmax_input(x, dim, dtype, "log_softmax")
    return apply_unary(LogSoftmax, x, axis)


def logsumexp(x, dim, keepdim: bool = False):
    """log(exp(x).sum(dim)), computed stably."""
    if x._data.dtype.kind != "f":
        x = to_dtype(x, np.float32)
    dims = normalize_dims(dim, x._data.ndim) if dim != () else None
    return apply_unary(LogSumExp, x, dims, keepdim)


class SoftmaxOps:
    """Tensor methods that normalise along a dim."""

    __slots__ = ()

    softmax = softmax
    log_softmax = log_softmax
    logsumexp = logsumexp
