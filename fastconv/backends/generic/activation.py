"""Array-generic ReLU (NaN kept, as the native kernels and PyTorch do)."""
import numpy as np

from ._common import _store, _xp


def _relu(xp, x):
    """max(x, 0) with NaN kept (x where x > 0 or x is NaN, else +0)."""
    keep = (x > 0) | (x != x)
    return xp.where(keep, x, xp.zeros((), dtype=x.dtype))


def relu_forward(x, y, nthreads=1):
    """y = max(x, 0), NaN kept; y may be x."""
    return _store(y, _relu(_xp(x), x))


def relu_backward(dy, y, dx, nthreads=1):
    """dx = dy where the forward output y > 0, else 0; dx may be dy."""
    xp = _xp(dy)
    return _store(dx, xp.where(y > 0, dy, xp.zeros((), dtype=dy.dtype)))
