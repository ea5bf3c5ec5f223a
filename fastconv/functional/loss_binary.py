"""Binary losses: binary_cross_entropy (of probabilities) and
binary_cross_entropy_with_logits (of raw scores, computed stably), forward next to
backward, with PyTorch's clamping and weighting rules."""
from typing import Optional

from ..autograd import Function, Tensor
from ._util import array_module, check_reduction, check_tensor
from .loss import legacy_reduction

_LOG_FLOOR = -100.0   # torch clamps log(p) and log(1 - p) here: loss never infinite
_EPSILON = 1e-12      # torch's floor for p (1 - p) in the gradient


def _reduce(xp, loss, reduction: str, dtype):
    if reduction == "none":
        return loss
    return xp.asarray(dtype.type(loss.sum() if reduction == "sum" else loss.mean()))


def _scale(grad, shape_size: int, reduction: str):
    return grad / shape_size if reduction == "mean" else grad


class BinaryCrossEntropy(Function):
    """-w (t log p + (1 - t) log(1 - p)); dp = w (p - t) / max(p (1 - p), 1e-12)."""

    @staticmethod
    def forward(ctx, p, t, weight=None, reduction="mean"):
        xp = array_module(p)
        log_p = xp.maximum(xp.log(p), _LOG_FLOOR)
        log_q = xp.maximum(xp.log1p(-p), _LOG_FLOOR)
        loss = -(t * log_p + (1 - t) * log_q)
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(p, t, weight)
        ctx.reduction = reduction
        return _reduce(xp, xp.asarray(loss, dtype=p.dtype), reduction, p.dtype)

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(grad)
        p, t, weight = ctx.saved_tensors
        g = _scale(grad, p.size, ctx.reduction)
        dp = g * (p - t) / xp.maximum((1 - p) * p, _EPSILON)
        if weight is not None:
            dp = dp * weight
        dt = None
        if ctx.needs_input_grad[1]:   # d/dt = log(1 - p) - log(p), clamped as forward
            dt = g * (xp.maximum(xp.log1p(-p), _LOG_FLOOR) - xp.maximum(xp.log(p), _LOG_FLOOR))
            if weight is not None:
                dt = dt * weight
        return xp.asarray(dp, dtype=p.dtype), dt


class BinaryCrossEntropyWithLogits(Function):
    """(1 - t) x + (1 + (pw - 1) t) softplus(-x), weighted; never overflows."""

    @staticmethod
    def forward(ctx, x, t, weight=None, pos_weight=None, reduction="mean"):
        xp = array_module(x)
        softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)   # log(1 + e^-x)
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + scale * softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, t, weight, pos_weight)
        ctx.reduction = reduction
        return _reduce(xp, xp.asarray(loss, dtype=x.dtype), reduction, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(grad)
        x, t, weight, pos_weight = ctx.saved_tensors
        g = _scale(grad, x.size, ctx.reduction)
        sig_neg = 1 / (1 + xp.exp(x))                       # sigmoid(-x)
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        dx = g * ((1 - t) - scale * sig_neg)
        dt = None
        if ctx.needs_input_grad[1]:   # d/dt = -x + (pw - 1) softplus(-x)
            softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
            dt = g * (-x + (0 if pos_weight is None else (pos_weight - 1) * softplus_neg))
        if weight is not None:
            dx = dx * weight
            dt = None if dt is None else dt * weight
        return xp.asarray(dx, dtype=x.dtype), dt


def _check(input: Tensor, target: Tensor, reduction: str, **optional) -> None:
    check_tensor(input, "input")
    check_tensor(target, "target")
    check_reduction(reduction)
    if input.dtype.kind != "f":
        raise TypeError("input must be a floating point tensor, got %s" % input.dtype)
    if target.dtype != input.dtype:
        raise TypeError("target (%s) must have the same dtype as input (%s)"
                        % (target.dtype, input.dtype))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError("Using a target size (%s) that is different to the input size "
                         "(%s) is deprecated. Please ensure they have the same size."
                         % (tuple(target.shape), tuple(input.shape)))
    for name, value in optional.items():
        check_tensor(value, name, optional=True)
        if value is not None and value.dtype != input.dtype:
            raise TypeError("%s (%s) must have the same dtype as input (%s)"
                            % (name, value.dtype, input.dtype))


def _raw(value):
    return None if value is None else value._data


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities in [0, 1], as
    torch.nn.functional.binary_cross_entropy (logs clamped at -100)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check(input, target, reduction, weight=weight)
    data = input._data
    if data.size and bool(((data < 0) | (data > 1)).any()):
        raise ValueError("all elements of input should be between 0 and 1")
    if weight is not None:
        _broadcastable(weight, input, "weight")
    return BinaryCrossEntropy.apply(input, target, weight=_raw(weight), reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None,
                                     reduce: Optional[bool] = None,
                                     reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """sigmoid + binary cross entropy in one stable step, as
    torch.nn.functional.binary_cross_entropy_with_logits (pos_weight scales the positive
    term per class, broadcast along the last dimension)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check(input, target, reduction, weight=weight, pos_weight=pos_weight)
    for name, value in (("weight", weight), ("pos_weight", pos_weight)):
        if value is not None:
            _broadcastable(value, input, name)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight=_raw(weight),
                                              pos_weight=_raw(pos_weight),
                                              reduction=reduction)


def _broadcastable(value: Tensor, input: Tensor, name: str) -> None:
    import numpy as np
    try:
        shape = np.broadcast_shapes(value.shape, input.shape)
    except ValueError:
        shape = None
    if shape != tuple(input.shape):
        raise ValueError("%s of shape %s does not broadcast to input of shape %s"
                         % (name, tuple(value.shape), tuple(input.shape)))
