"""Dropout on raw arrays: a mask drawn natively from one 64-bit seed, and its backward.

The mask comes from a counter-based generator (csrc/include/fastconv/random.h): draw j
depends only on (seed, j), so a seed gives the same mask on any backend and any thread
count. It is kept as one byte per masked unit (an element, or a whole channel for
Dropout1d/2d) for the backward.
"""
import numbers
from typing import Optional, Tuple

import numpy as np

from .. import random as _random
from . import _args
from ._dispatch import backend, nthreads


def check_probability(p) -> float:
    """p as a float in [0, 1]; anything else raises naming p."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError("dropout probability p must be a float, got %r" % (p,))
    if not 0.0 <= p <= 1.0:
        raise ValueError("dropout probability p has to be between 0 and 1, but got %r" % (p,))
    return float(p)


def draw_seed() -> int:
    """One 64-bit seed from the process-wide generator (fastconv.manual_seed)."""
    return int(_random.generator().integers(0, 2 ** 64, dtype=np.uint64))


def dropout_scale(p: float, dtype) -> float:
    """1 / (1 - p) rounded to dtype as PyTorch rounds it (0 for p = 1)."""
    t = np.dtype(dtype).type
    return float(t(1) / t(1.0 - p)) if p < 1.0 else 0.0


def dropout_forward(input, p: float = 0.5, seed: Optional[int] = None, *,
                    feature_dims: int = 0, out=None) -> Tuple[object, object]:
    """(output, mask): each unit kept with probability 1 - p and scaled by 1 / (1 - p).

    feature_dims trailing dimensions share one draw (0: every element on its own;
    1 and 2: Dropout1d's and Dropout2d's channels), so mask has shape
    input.shape[:ndim - feature_dims] and dtype uint8 (1: kept). seed None draws one from
    fastconv.random.generator(). A dropped NaN stays NaN (x * 0), as in PyTorch.
    """
    xp = _args.array_module(input, out)
    x = _args.float_array(input, "input")
    p = check_probability(p)
    if isinstance(feature_dims, bool) or not isinstance(feature_dims, numbers.Integral) \
            or not 0 <= feature_dims <= x.ndim:
        raise ValueError("feature_dims must be an int in [0, input.ndim], got %r"
                         % (feature_dims,))
    seed = draw_seed() if seed is None else int(seed)
    if not 0 <= seed < 2 ** 64:
        raise ValueError("seed must be in [0, 2**64), got %d" % seed)
    mask_shape = tuple(x.shape[:x.ndim - feature_dims])
    planes = int(np.prod(mask_shape, dtype=np.int64))
    geom = (planes, x.size // planes if planes else 1)
    y = _args.check_out(out, x.shape, x.dtype, xp)
    mask = xp.empty(mask_shape, dtype=xp.uint8)
    if x.size == 0:   # nothing to draw for (zero-sized planes included)
        mask[...] = 1
        return y, mask
    backend(xp).dropout_forward(geom, x, p, seed, y, mask, nthreads())
    return y, mask


def dropout_backward(grad_output, mask, p: float, *, out=None):
    """grad_output * mask / (1 - p), mask as dropout_forward returned it."""
    xp = _args.array_module(grad_output, mask, out)
    dy = _args.float_array(grad_output, "grad_output")
    p = check_probability(p)
    if not hasattr(mask, "dtype") or mask.dtype != np.uint8:
        raise TypeError("mask must be the uint8 array dropout_forward returned")
    if tuple(mask.shape) != tuple(dy.shape[:mask.ndim]):
        raise ValueError("mask of shape %s does not lead grad_output of shape %s"
                         % (tuple(mask.shape), tuple(dy.shape)))
    mask = xp.ascontiguousarray(mask)
    planes = int(mask.size)
    geom = (planes, dy.size // planes if planes else 1)
    dx = _args.check_out(out, dy.shape, dy.dtype, xp)
    if dy.size == 0:
        return dx
    return backend(xp).dropout_backward(geom, dy, mask, dropout_scale(p, dy.dtype), dx,
                                        nthreads())
