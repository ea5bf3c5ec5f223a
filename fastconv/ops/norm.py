"""Batch normalisation on raw arrays: the forward (training or evaluation) and its backward.

An input of shape (N, C, *) is normalised per channel C over the batch and every
trailing position, as torch.batch_norm does. The native kernels (csrc/norm/) take the
statistics in one pass and normalise in another, and the backward recomputes x - mean
from the input rather than keeping a normalised copy; `relu=True` fuses a ReLU into the
forward and masks the backward with it, keeping nothing more.
"""
import numbers
from typing import Sequence, Tuple

import numpy as np

from . import _args
from ._dispatch import backend, nthreads


def batch_norm_geometry(shape: Sequence[int]) -> Tuple[int, int, int]:
    """(n, c, s) of an (N, C, *) input: s values per channel and image."""
    if len(shape) < 2:
        raise ValueError("input must have 2 or more dimensions (N, C, *), got shape %s"
                         % (tuple(shape),))
    s = 1
    for d in shape[2:]:
        s *= int(d)
    return int(shape[0]), int(shape[1]), s


def _per_channel(a, name: str, channels: int, dtype, writable: bool = False):
    """A per-channel array of `channels` elements with the input's dtype, or None."""
    if a is None:
        return None
    if not isinstance(a, np.ndarray) and not _args._is_cupy(a):
        raise TypeError("%s must be a numpy or cupy array, got %s" % (name, type(a).__name__))
    if a.dtype != dtype:
        raise TypeError("%s has dtype %s, but the input has dtype %s" % (name, a.dtype,
                                                                         np.dtype(dtype)))
    if a.ndim != 1 or a.shape[0] != channels:
        raise ValueError("%s should contain %d elements (one per channel), got shape %s"
                         % (name, channels, tuple(a.shape)))
    if writable:   # updated in place: a copy would lose the update
        if not a.flags.c_contiguous or not a.flags.writeable:
            raise ValueError("%s is updated in place and must be C-contiguous and writeable"
                             % name)
        return a
    return _args.float_array(a, name)


def _scalar(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a float, got %r" % (name, value))
    return float(value)


def _check_training_size(shape) -> None:
    n, _, s = batch_norm_geometry(shape)
    if n == 0:
        raise ValueError("input has an empty batch (shape %s); training batch norm needs "
                         "values to take statistics of" % (tuple(shape),))
    if n * s == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         "size %s" % (tuple(shape),))


def batch_norm_forward(input, running_mean=None, running_var=None, weight=None, bias=None,
                       training: bool = False, momentum: float = 0.1, eps: float = 1e-5, *,
                       relu: bool = False, out=None):
    """(output, mean, invstd) of batch normalisation, as torch.native_batch_norm.

    training=True normalises with the batch's mean and biased variance and, when
    running_mean / running_var are given, updates them in place with `momentum` (the
    variance unbiased, as PyTorch does). training=False normalises with the running
    statistics (both required). mean and invstd = 1 / sqrt(var + eps) are what the
    backward needs. relu=True returns max(output, 0) instead, computed in the same pass.
    """
    xp = _args.array_module(input, running_mean, running_var, weight, bias, out)
    x = _args.float_array(input, "input")
    geom = batch_norm_geometry(x.shape)
    c = geom[1]
    momentum = _scalar(momentum, "momentum")
    eps = _scalar(eps, "eps")
    if momentum < 0:
        raise ValueError("momentum must be >= 0, got %r" % momentum)
    if training and not eps > 0:
        raise ValueError("batch_norm eps must be positive during training, but got %r" % eps)
    if not eps >= 0:
        raise ValueError("batch_norm eps must be non-negative, but got %r" % eps)
    weight = _per_channel(weight, "weight", c, x.dtype)
    bias = _per_channel(bias, "bias", c, x.dtype)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must be given together, got %s"
                         % ("only running_mean" if running_var is None else "only running_var"))
    rm = _per_channel(running_mean, "running_mean", c, x.dtype, writable=training)
    rv = _per_channel(running_var, "running_var", c, x.dtype, writable=training)
    y = _args.check_out(out, x.shape, x.dtype, xp)
    if y is not x:   # out=input is fine (each value is read before it is written)
        x = _args.unaliased(x, y, xp)
    if training:
        _check_training_size(x.shape)
        mean, invstd = xp.empty(c, x.dtype), xp.empty(c, x.dtype)
        backend(xp).batch_norm_forward_train(geom, x, weight, bias, eps, momentum, rm, rv,
                                             bool(relu), y, mean, invstd, nthreads())
        return y, mean, invstd
    if rm is None:
        raise ValueError("running_mean must be defined in evaluation mode (training=False)")
    mean = rm.copy()
    invstd = (1.0 / xp.sqrt(rv.astype(xp.float64) + eps)).astype(x.dtype)
    backend(xp).batch_norm_forward_eval(geom, x, mean, invstd, weight, bias, bool(relu), y,
                                        nthreads())
    return y, mean, invstd


def batch_norm_backward(grad_output, input, mean, invstd, weight=None, bias=None,
                        training: bool = True, *, relu: bool = False,
                        output_mask: Sequence[bool] = (True, True, True)):
    """(grad_input, grad_weight, grad_bias) of batch_norm_forward, each None where
    output_mask says it is not needed (grad_weight / grad_bias also when weight / bias is
    None).

    mean and invstd are what the forward returned; training says whether they were the
    batch's own (their gradient then flows into grad_input) or constants. relu=True is
    the backward of the fused forward: grad_output is masked where the normalised value
    was <= 0, recomputed from input, weight and bias (pass the forward's bias).
    """
    xp = _args.array_module(grad_output, input, mean, invstd, weight, bias)
    dy = _args.float_array(grad_output, "grad_output")
    x = _args.float_array(input, "input")
    _args.same_dtype_and_shape("grad_output", dy, "input", x)
    geom = batch_norm_geometry(x.shape)
    c = geom[1]
    mean = _per_channel(mean, "mean", c, x.dtype)
    invstd = _per_channel(invstd, "invstd", c, x.dtype)
    if mean is None or invstd is None:
        raise ValueError("mean and invstd (from batch_norm_forward) are required")
    weight = _per_channel(weight, "weight", c, x.dtype)
    bias = _per_channel(bias, "bias", c, x.dtype)
    if training:
        _check_training_size(x.shape)
    need_x, need_w, need_b = (bool(v) for v in output_mask)
    dx = xp.empty(x.shape, x.dtype) if need_x else None
    dw = xp.empty(c, x.dtype) if need_w and weight is not None else None
    db = xp.empty(c, x.dtype) if need_b and bias is not None else None
    if dx is None and dw is None and db is None:
        return None, None, None
    backend(xp).batch_norm_backward(geom, dy, x, mean, invstd, weight, bias, bool(relu),
                                    bool(training), dx, dw, db, nthreads())
    return dx, dw, db
