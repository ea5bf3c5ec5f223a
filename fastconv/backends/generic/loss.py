"""Array-generic cross-entropy of (N, C) scores against int64 class targets."""
import numpy as np

from ._common import _store, _xp


def class_target_error(t, classes, ignore_index):
    """Position of the first target outside [0, classes) that is not ignore_index, or -1."""
    xp = _xp(t)
    flat = t.reshape(-1)
    bad = (flat != ignore_index) & ((flat < 0) | (flat >= classes))
    return int(xp.argmax(bad)) if flat.size and bool(bad.any()) else -1


def cross_entropy_forward(x, t, ignore_index, logp):
    """logp = log_softmax(x) per row; returns (sum over kept rows of -logp[i, t[i]],
    kept row count) with the sum in float64."""
    xp = _xp(x)
    shifted = x - x.max(axis=1, keepdims=True)
    lse = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True, dtype=np.float64))
    _store(logp, shifted - lse.astype(x.dtype))
    keep = t != ignore_index
    rows = xp.arange(x.shape[0])[keep]
    picked = logp[rows, t[keep]].astype(np.float64)
    return -float(picked.sum()), int(keep.sum())


def cross_entropy_backward(logp, t, ignore_index, grad, denom, dx):
    """dx = (exp(logp) - onehot(t)) * (grad * kept / denom) per row."""
    xp = _xp(logp)
    keep = t != ignore_index
    dtype = logp.dtype.type
    coef = (dtype(grad) * keep.astype(logp.dtype)) / dtype(denom)
    soft = xp.exp(logp)
    soft[xp.arange(logp.shape[0]), xp.where(keep, t, 0)] -= 1
    return _store(dx, soft * coef[:, None])
