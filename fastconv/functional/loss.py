"""Losses: cross_entropy (fused log_softmax + nll), nll_loss and mse_loss.

Each Function's forward sits next to its backward. Class targets are validated on the
Python side, before any arithmetic, with errors that name `target`.
"""
import warnings
from typing import Optional

import numpy as np

from .. import ops
from ..autograd import Function, Tensor
from ..autograd.math_ops import unbroadcast
from ._util import array_module, check_reduction, check_tensor
from .activation import _log_softmax


# ------------------------------------------------------------------ class targets

def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _class_targets(x, target, weight, ignore_index: int):
    """Validate integer class targets for scores x (N, C, *d) or (C,); return raw arrays.

    Returns (target, weight): target as an int64 array of x's namespace, weight as an
    array or None.
    """
    xp = array_module(x)
    if x.ndim < 1:
        raise ValueError("input must be (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    if not hasattr(target, "dtype") or not hasattr(target, "shape"):
        raise TypeError("target must be a Tensor of int64 class indices, got %s"
                        % type(target).__name__)
    if target.dtype.kind not in "iu":
        raise TypeError("target must hold int64 class indices, got dtype %s (probability "
                        "targets are not supported)" % target.dtype)
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    expected = () if x.ndim == 1 else (x.shape[0],) + tuple(x.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError("target must have shape %s for input of shape %s, got %s"
                         % (expected, tuple(x.shape), tuple(target.shape)))
    target = xp.asarray(target).astype(np.int64, copy=False)
    first = _first_bad_target(xp, target, classes, ignore_index)
    if first is not None:
        raise ValueError("target contains class index %d, out of range [0, %d) for input "
                         "with %d classes" % (first, classes, classes))
    if weight is not None:
        if weight.ndim != 1 or weight.shape[0] != classes:
            raise ValueError("weight must have shape (%d,) (one entry per class), got %s"
                             % (classes, tuple(weight.shape)))
        if weight.dtype != x.dtype:
            raise TypeError("weight (%s) and input (%s) must have the same dtype"
                            % (weight.dtype, x.dtype))
    return target, weight


def _first_bad_target(xp, target, classes: int, ignore_index: int):
    """The first target outside [0, classes) that is not ignore_index, or None."""
    if type(target) is np.ndarray and target.flags.c_contiguous:   # one native pass
        at = ops.class_target_error(target, classes, ignore_index)
        return None if at < 0 else int(target.reshape(-1)[at])
    bad = (target != ignore_index) & ((target < 0) | (target >= classes))
    return int(target[bad].reshape(-1)[0]) if target.size and bool(bad.any()) else None


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _native_cross_entropy(x, target, weight, reduction: str) -> bool:
    """True where the native kernels compute the loss: numpy (N, C) float scores,
    C-contiguous int64 targets, no class weights, a reduced (mean or sum) loss."""
    return (type(x) is np.ndarray and x.ndim == 2 and weight is None
            and reduction != "none" and x.dtype in _FLOATS and x.flags.c_contiguous
            and type(target) is np.ndarray and target.dtype == np.int64
            and target.flags.c_contiguous)


def _element_weights(xp, target, weight, ignore_index: int, dtype):
    """(safe target with ignored entries set to 0, per-element weight, 0 where ignored)."""
    keep = target != ignore_index
    safe = xp.where(keep, target, 0)
    if weight is None:
        w = keep.astype(dtype)
    else:
        w = xp.where(keep, weight[safe], xp.zeros((), dtype=dtype))
    return safe, w


def _reduce(xp, losses, w, reduction: str):
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return xp.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        return xp.asarray(total / w.sum())


def _coefficients(grad, w, reduction: str):
    """d(loss)/d(per-element loss) times each element's weight."""
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return grad * w / w.sum()
    return grad * w


def _one_hot(xp, safe, classes: int, dtype):
    """(N, C, *d) one-hot of safe targets (N, *d) along axis 1."""
    shape = (1, classes) + (1,) * (safe.ndim - 1)
    return (xp.arange(classes).reshape(shape) == safe[:, None]).astype(dtype)


def _pick(xp, scores, safe):
    """scores[n, safe[n], ...]: each element's score of its target class."""
    if scores.ndim == 2:   # the common (N, C) case: plain indexing, same values
        return scores[xp.arange(scores.shape[0]), safe]
    return xp.take_along_axis(scores, safe[:, None], axis=1)[:, 0]


def _batch(x, target):
    """Add a batch axis to unbatched (C,) scores and their () target."""
    return (x[None], target[None], True) if x.ndim == 1 else (x, target, False)


class CrossEntropy(Function):
    """-w[t] * log_softmax(x)[t], reduced; dx = (softmax(x) - onehot(t)) * w[t] * dL."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, target=None, weight=None, ignore_index=-100, reduction="mean"):
        xp = array_module(x)
        x, target, ctx.unbatched = _batch(x, target)
        ctx.reduction, ctx.native = reduction, None
        if _native_cross_entropy(x, target, weight, reduction):
            return CrossEntropy._native_forward(ctx, x, target, ignore_index)
        logp = _log_softmax(x, 1)
        safe, w = _element_weights(xp, target, weight, ignore_index, x.dtype)
        picked = _pick(xp, logp, safe)
        losses = xp.where(w != 0, -picked * w, xp.zeros((), dtype=x.dtype))
        ctx.logp, ctx.safe, ctx.w = logp, safe, w
        out = _reduce(xp, losses, w, reduction)
        return out[0, ...] if ctx.unbatched and reduction == "none" else out

    @staticmethod
    def _native_forward(ctx, x, target, ignore_index):
        """One native pass: log_softmax rows kept for backward, the loss reduced."""
        ctx.logp, total, count = ops.cross_entropy_forward(x, target, ignore_index)
        denom = count if ctx.reduction == "mean" else 1
        ctx.native = (target, ignore_index, denom)
        real = x.dtype.type
        with np.errstate(invalid="ignore", divide="ignore"):   # all ignored: 0 / 0
            return np.asarray(real(total) / real(denom))

    @staticmethod
    def backward(ctx, grad):
        if ctx.native is not None:
            target, ignore_index, denom = ctx.native
            dx = ops.cross_entropy_backward(ctx.logp, target, float(grad), float(denom),
                                            ignore_index)
            return dx[0, ...] if ctx.unbatched else dx
        xp = array_module(ctx.logp)
        if ctx.unbatched and ctx.reduction == "none":
            grad = grad[None]
        coef = _coefficients(grad, ctx.w, ctx.reduction)
        if ctx.logp.ndim == 2 and coef.dtype == ctx.logp.dtype:
            # softmax - onehot without building the one-hot: subtracting 0 elsewhere is exact
            dx = xp.exp(ctx.logp)
            dx[xp.arange(dx.shape[0]), ctx.safe] -= 1
            dx *= coef[:, None]
        else:
            onehot = _one_hot(xp, ctx.safe, ctx.logp.shape[1], ctx.logp.dtype)
            dx = (xp.exp(ctx.logp) - onehot) * coef[:, None]
        return dx[0, ...] if ctx.unbatched else dx


class NLLLoss(Function):
    """-w[t] * x[t] for log-probabilities x, reduced; dx = -onehot(t) * w[t] * dL."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, target=None, weight=None, ignore_index=-100, reduction="mean"):
        xp = array_module(x)
        x, target, ctx.unbatched = _batch(x, target)
        safe, w = _element_weights(xp, target, weight, ignore_index, x.dtype)
        picked = _pick(xp, x, safe)
        losses = xp.where(w != 0, -picked * w, xp.zeros((), dtype=x.dtype))
        ctx.shape, ctx.safe, ctx.w, ctx.reduction = x.shape, safe, w, reduction
        out = _reduce(xp, losses, w, reduction)
        return out[0, ...] if ctx.unbatched and reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(ctx.w)
        if ctx.unbatched and ctx.reduction == "none":
            grad = grad[None]
        coef = _coefficients(grad, ctx.w, ctx.reduction)
        dx = -_one_hot(xp, ctx.safe, ctx.shape[1], ctx.w.dtype) * coef[:, None]
        return dx[0, ...] if ctx.unbatched else dx


def _class_loss(function, input, target, weight, ignore_index, reduction):
    check_tensor(input, "input")
    if input.dtype.kind != "f":
        raise TypeError("input must be a floating point tensor, got %s" % input.dtype)
    check_tensor(weight, "weight", optional=True)
    check_reduction(reduction)
    target, weight = _class_targets(input.data, _raw(target), _raw(weight), int(ignore_index))
    return function.apply(input, target=target, weight=weight, ignore_index=int(ignore_index),
                          reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Cross entropy of raw scores input (N, C, *d) or (C,) against int64 class targets.

    One fused Function (log_softmax + nll). As torch.nn.functional.cross_entropy with
    class-index targets: optional per-class `weight`, `ignore_index`, and reduction
    'mean' (weighted mean over non-ignored elements), 'sum' or 'none'.
    """
    return _class_loss(CrossEntropy, input, target, weight, ignore_index, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of log-probabilities input (N, C, *d) or (C,), as torch's."""
    return _class_loss(NLLLoss, input, target, weight, ignore_index, reduction)


# ------------------------------------------------------------------ regression

class MSELoss(Function):
    """(x - y)^2 reduced; both sides are differentiable and may broadcast."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        diff = x - y
        ctx.diff, ctx.shapes, ctx.reduction = diff, (x.shape, y.shape), reduction
        sq = diff * diff
        xp = array_module(sq)
        if reduction == "none":
            return sq
        return xp.asarray(sq.sum() if reduction == "sum" else sq.mean())

    @staticmethod
    def backward(ctx, grad):
        d = 2 * ctx.diff * grad
        if ctx.reduction == "mean":
            d = d / ctx.diff.size
        need_x, need_y = ctx.needs_input_grad
        sx, sy = ctx.shapes
        return (unbroadcast(d, sx) if need_x else None,
                -unbroadcast(d, sy) if need_y else None)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error, as torch.nn.functional.mse_loss (shapes broadcast, with a warning
    when they differ)."""
    check_tensor(input, "input")
    check_tensor(target, "target")
    check_reduction(reduction)
    if input.dtype.kind != "f":
        raise TypeError("input must be a floating point tensor, got %s" % input.dtype)
    if target.dtype != input.dtype:
        raise TypeError("target (%s) must have the same dtype as input (%s)"
                        % (target.dtype, input.dtype))
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn("Using a target size (%s) that is different to the input size (%s). "
                      "This will likely lead to incorrect results due to broadcasting."
                      % (tuple(target.shape), tuple(input.shape)), stacklevel=2)
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError("target of shape %s does not broadcast with input of shape %s"
                             % (tuple(target.shape), tuple(input.shape))) from None
    return MSELoss.apply(input, target, reduction=reduction)
