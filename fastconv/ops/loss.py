"""Cross-entropy of (N, C) scores against int64 class targets, on raw arrays.

The forward keeps log_softmax(x) for the backward: one pass per row each way.
"""
from typing import Tuple

import numpy as np

from . import _args
from ._dispatch import backend


def _targets(targets, n: int, xp, name: str = "target"):
    """Class targets as a C-contiguous int64 array of n entries."""
    if not _args._xp.is_array(targets) or targets.dtype.kind not in "iu":
        raise TypeError("%s must be an integer array of class indices, got %s"
                        % (name, getattr(targets, "dtype", type(targets).__name__)))
    if targets.ndim != 1 or targets.shape[0] != n:
        raise ValueError("%s must have shape (%d,), got %s" % (name, n, tuple(targets.shape)))
    return xp.ascontiguousarray(targets, dtype=np.int64)


def class_target_error(targets, classes: int, ignore_index: int = -100) -> int:
    """Position (in C order) of the first target outside [0, classes) that is not
    ignore_index, or -1 when every target is valid."""
    xp = _args.array_module(targets)
    if not _args._xp.is_array(targets) or targets.dtype.kind not in "iu":
        raise TypeError("targets must be an integer array, got %s"
                        % getattr(targets, "dtype", type(targets).__name__))
    flat = xp.ascontiguousarray(targets.reshape(-1), dtype=np.int64)
    if flat.size == 0:
        return -1
    return int(backend(xp).class_target_error(flat, int(classes), int(ignore_index)))


def cross_entropy_forward(scores, targets, ignore_index: int = -100
                          ) -> Tuple[object, float, int]:
    """(log_softmax(scores), sum over kept rows of -logp[i, t[i]], kept row count).

    scores (N, C) float32/float64; targets (N,) valid class indices or ignore_index
    (check them with class_target_error first: out-of-range targets are refused).
    """
    xp = _args.array_module(scores, targets)
    scores = _args.float_array(scores, "scores", 2)
    targets = _targets(targets, scores.shape[0], xp)
    bad = class_target_error(targets, scores.shape[1], ignore_index)
    if bad >= 0:
        raise ValueError("target contains class index %d, out of range [0, %d)"
                         % (int(targets[bad]), scores.shape[1]))
    logp = xp.empty_like(scores)
    if scores.shape[0] == 0:
        return logp, 0.0, 0
    total, count = backend(xp).cross_entropy_forward(scores, targets, int(ignore_index), logp)
    return logp, float(total), int(count)


def cross_entropy_backward(logp, targets, grad: float, denom: float,
                           ignore_index: int = -100, *, out=None):
    """d(loss)/d(scores) = (exp(logp) - onehot(t)) * grad / denom on kept rows, 0 on
    ignored ones (denom: the kept count for a mean, 1 for a sum)."""
    xp = _args.array_module(logp, targets, out)
    logp = _args.float_array(logp, "logp", 2)
    targets = _targets(targets, logp.shape[0], xp)
    dx = _args.check_out(out, logp.shape, logp.dtype, xp)
    if logp.shape[0] == 0:
        return dx
    return backend(xp).cross_entropy_backward(logp, targets, int(ignore_index), float(grad),
                                              float(denom), dx)
