"""Class losses: cross_entropy (fused log_softmax + nll; label smoothing and probability
targets composed) and nll_loss. Pointwise and binary losses live beside this file.

Each Function's forward sits next to its backward. Class targets are validated on the
Python side, before any arithmetic, with errors that name `target`.
"""
import warnings
from typing import Optional

import numpy as np

from .. import ops
from ..autograd import Function, Tensor
from ._util import array_module, check_reduction, check_tensor
from .activation import _log_softmax


# ------------------------------------------------------------------ class targets

def _raw(value):
    return value._data if isinstance(value, Tensor) else value


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
        raise TypeError("target must hold int64 class indices, got dtype %s"
                        % target.dtype)
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
    target, weight = _class_targets(input._data, _raw(target), _raw(weight), int(ignore_index))
    return function.apply(input, target=target, weight=weight, ignore_index=int(ignore_index),
                          reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  size_average: Optional[bool] = None, ignore_index: int = -100,
                  reduce: Optional[bool] = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of raw scores input (N, C, *d) or (C,), as
    torch.nn.functional.cross_entropy.

    target holds int64 class indices (N, *d), or class probabilities shaped like input
    (a float tensor). Optional per-class `weight`, `ignore_index` (class targets only),
    `label_smoothing` in [0, 1] (mixes the target with the uniform distribution), and
    reduction 'mean' (weighted mean over non-ignored elements for class targets, mean
    over elements for probabilities), 'sum' or 'none'. Plain class targets run as one
    fused native Function (log_softmax + nll); smoothing and probability targets are
    compositions of log_softmax and Tensor arithmetic.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError("label_smoothing must be between 0.0 and 1.0, got %r"
                         % (label_smoothing,))
    check_tensor(target, "target")
    if target.dtype.kind == "f":
        return _cross_entropy_probabilities(input, target, weight, reduction,
                                            float(label_smoothing))
    if label_smoothing > 0:
        return _cross_entropy_smoothed(input, target, weight, ignore_index, reduction,
                                       float(label_smoothing))
    return _class_loss(CrossEntropy, input, target, weight, ignore_index, reduction)


def _class_weights(weight: Optional[Tensor], ndim: int) -> Optional[Tensor]:
    """weight (C,) shaped to broadcast along the class axis of an (N, C, *d) input."""
    if weight is None:
        return None
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _cross_entropy_smoothed(input, target, weight, ignore_index, reduction, smoothing):
    """(1 - s) nll(log_softmax(x)) + s / C * sum_c -w_c log_softmax(x)_c (PyTorch's rule,
    ignored elements contributing 0 to both terms)."""
    from .activation import log_softmax
    check_tensor(input, "input")
    if input.ndim == 1:
        input, target = input.reshape(1, -1), target.reshape(1)
        squeeze = reduction == "none"
    else:
        squeeze = False
    logp = log_softmax(input, 1)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    w = _class_weights(weight, input.ndim)
    smooth = -((logp if w is None else logp * w).sum(1))
    keep = _raw(target) != ignore_index
    xp = array_module(keep)
    smooth = smooth * Tensor(keep.astype(input.dtype))
    if reduction == "mean":
        if weight is None:
            denom = keep.sum()
        else:
            denom = _raw(weight)[_raw(target)[keep]].sum()
        smooth = smooth.sum() / Tensor(xp.asarray(denom, dtype=input.dtype))
    elif reduction == "sum":
        smooth = smooth.sum()
    loss = nll * (1 - smoothing) + smooth * (smoothing / input.shape[1])
    return loss.reshape(()) if squeeze else loss


def _cross_entropy_probabilities(input, target, weight, reduction, smoothing):
    """-sum_c w_c t_c log_softmax(x)_c per element; the mean divides by the element
    count (N * d1 * ...), as PyTorch does for probability targets."""
    from .activation import log_softmax
    check_tensor(input, "input")
    check_tensor(weight, "weight", optional=True)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError("probability target must have the input's shape %s, got %s"
                         % (tuple(input.shape), tuple(target.shape)))
    if target.dtype != input.dtype:
        raise TypeError("target (%s) must have the same dtype as input (%s)"
                        % (target.dtype, input.dtype))
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.reshape(1, -1), target.reshape(1, -1)
    classes = input.shape[1]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError("weight must have shape (%d,) (one entry per class), got %s"
                         % (classes, tuple(weight.shape)))
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / classes
    logp = log_softmax(input, 1)
    w = _class_weights(weight, input.ndim)
    terms = logp * target if w is None else logp * target * w
    if reduction == "none":
        loss = -terms.sum(1)
        return loss.reshape(()) if unbatched else loss
    total = -terms.sum()
    if reduction == "sum":
        return total
    return total / (input._data.size // classes)


def legacy_reduction(size_average: Optional[bool], reduce: Optional[bool],
                     reduction: str) -> str:
    """reduction from the deprecated size_average / reduce arguments, as torch maps them
    (with the same deprecation warning); `reduction` when both are None."""
    if size_average is None and reduce is None:
        return check_reduction(reduction)
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='%s' instead." % _legacy(size_average, reduce), stacklevel=3)
    return _legacy(size_average, reduce)


def _legacy(size_average: Optional[bool], reduce: Optional[bool]) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
             size_average: Optional[bool] = None, ignore_index: int = -100,
             reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of log-probabilities input (N, C, *d) or (C,), as torch's."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _class_loss(NLLLoss, input, target, weight, ignore_index, reduction)
