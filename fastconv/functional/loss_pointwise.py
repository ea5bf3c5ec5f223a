"""Pointwise regression losses: mse_loss, l1_loss, smooth_l1_loss, huber_loss.

Each is one elementwise function of d = input - target, reduced. One Function serves
them all: forward keeps the derivative of the elementwise loss, backward scales it by
the upstream gradient (divided by the element count for a mean) and sums it back to
each side's shape (both sides may broadcast and both are differentiable).
"""
import warnings
from typing import Callable, Optional, Tuple

import numpy as np

from ..autograd import Function, Tensor
from ..autograd.util import unbroadcast
from ._util import array_module, check_reduction, check_tensor
from .loss import legacy_reduction

# elementwise (loss, derivative) of d for each loss, given its parameter
Pointwise = Callable[[object, object, float], Tuple[object, object]]


def _squared(xp, d, _):
    return d * d, 2 * d


def _absolute(xp, d, _):
    return xp.abs(d), xp.sign(d)


def _smooth_l1(xp, d, beta):
    """0.5 d^2 / beta inside |d| < beta, |d| - 0.5 beta outside (beta = 0: |d|)."""
    if beta == 0:
        return _absolute(xp, d, beta)
    a = xp.abs(d)
    inside = a < beta
    loss = xp.where(inside, 0.5 * d * d / beta, a - 0.5 * beta)
    return loss, xp.where(inside, d / beta, xp.sign(d))


def _huber(xp, d, delta):
    """0.5 d^2 inside |d| < delta, delta (|d| - 0.5 delta) outside."""
    a = xp.abs(d)
    inside = a < delta
    loss = xp.where(inside, 0.5 * d * d, delta * (a - 0.5 * delta))
    return loss, xp.clip(d, -delta, delta)


class PointwiseLoss(Function):
    """f(input - target) reduced, for an elementwise f with a stored derivative."""

    @staticmethod
    def forward(ctx, x, y, kind=None, param=0.0, reduction="mean"):
        xp = array_module(x)
        d = x - y
        loss, slope = kind(xp, d, param)
        dtype = x.dtype.type
        ctx.slope, ctx.shapes, ctx.reduction = slope.astype(x.dtype, copy=False), (
            x.shape, y.shape), reduction
        if reduction == "none":
            return xp.asarray(loss, dtype=x.dtype)
        total = loss.sum() if reduction == "sum" else loss.mean()
        return xp.asarray(dtype(total))

    @staticmethod
    def backward(ctx, grad):
        d = ctx.slope * grad
        if ctx.reduction == "mean":
            d = d / ctx.slope.size
        need_x, need_y = ctx.needs_input_grad
        sx, sy = ctx.shapes
        return (unbroadcast(d, sx) if need_x else None,
                -unbroadcast(d, sy) if need_y else None)


def _pointwise(kind, input: Tensor, target: Tensor, reduction: str, param: float = 0.0):
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
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size."
                      % (tuple(target.shape), tuple(input.shape)), stacklevel=3)
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError("target of shape %s does not broadcast with input of shape %s"
                             % (tuple(target.shape), tuple(input.shape))) from None
    return PointwiseLoss.apply(input, target, kind=kind, param=float(param),
                               reduction=reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
             reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """Mean squared error, as torch.nn.functional.mse_loss (shapes broadcast, with a
    warning when they differ)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _pointwise(_squared, input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
            reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """Mean absolute error, as torch.nn.functional.l1_loss (gradient sign(d), 0 at d = 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _pointwise(_absolute, input, target, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                   reduce: Optional[bool] = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Squared below beta, absolute above, as torch.nn.functional.smooth_l1_loss."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError("smooth_l1_loss: beta must be >= 0, got %r" % (beta,))
    return _pointwise(_smooth_l1, input, target, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """delta * smooth_l1 with beta = delta, as torch.nn.functional.huber_loss."""
    if delta <= 0:
        raise ValueError("huber_loss: delta must be > 0, got %r" % (delta,))
    return _pointwise(_huber, input, target, reduction, delta)
