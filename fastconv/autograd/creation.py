"""Tensor creation: zeros, ones, full, empty, arange, linspace, eye, rand, randn, randint, *_like.

Float creation defaults to float32 (PyTorch's default dtype). Random values come from the
process-wide generator of fastconv.random (drawn on the host, then moved to `device`), so
fastconv.manual_seed makes them reproducible on every device.
"""
import math
import numbers

import numpy as np

from .. import random as _random
from .tensor import Tensor

_FLOAT32 = np.dtype(np.float32)


def _size(size, op):
    """(2, 3), ((2, 3),) or ([2, 3],) as a tuple of non-negative ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in size):
        raise TypeError("%s: size must be ints, got %r" % (op, size))
    if any(n < 0 for n in size):
        raise ValueError("%s: sizes must be >= 0, got %r" % (op, size))
    return tuple(int(n) for n in size)


def _dtype(dtype, default=_FLOAT32):
    dtype = np.dtype(default if dtype is None else dtype)
    if dtype.kind not in "fiub":
        raise TypeError("dtype must be a bool, integer or float dtype, got %s" % dtype)
    return dtype


def _xp(device):
    if device is None or str(device).split(":")[0] == "cpu":
        return np
    if str(device).split(":")[0] == "cuda":
        from ..backends.cuda import require_cupy
        return require_cupy()
    raise ValueError("device must be 'cpu' or 'cuda', got %r" % (device,))


def _tensor(array, device, requires_grad) -> Tensor:
    return Tensor(_xp(device).asarray(array), requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros, float32 unless `dtype` says otherwise."""
    return Tensor(_xp(device).zeros(_size(size, "zeros"), dtype=_dtype(dtype)),
                  requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones, float32 unless `dtype` says otherwise."""
    return Tensor(_xp(device).ones(_size(size, "ones"), dtype=_dtype(dtype)),
                  requires_grad=requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor (its values are whatever the memory held)."""
    return Tensor(_xp(device).empty(_size(size, "empty"), dtype=_dtype(dtype)),
                  requires_grad=requires_grad)


def _fill_dtype(fill_value):
    """full()'s dtype from its value, like PyTorch: bool, int64 or float32."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    return np.dtype(np.int64) if isinstance(fill_value, numbers.Integral) else _FLOAT32


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (dtype inferred from it when None)."""
    size = _size(size if isinstance(size, (tuple, list)) else (size,), "full")
    dtype = _dtype(dtype, _fill_dtype(fill_value))
    return Tensor(_xp(device).full(size, fill_value, dtype=dtype), requires_grad=requires_grad)


def _like(input, dtype, device):
    if not isinstance(input, Tensor):
        raise TypeError("expected a Tensor, got %s" % type(input).__name__)
    return (input.shape, input.dtype if dtype is None else _dtype(dtype),
            input.device if device is None else device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return empty(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values start, start + step, ... below end (arange(n): 0..n-1). int64 when every
    argument is an int, else float32; computed in float64 and then cast."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError("arange: %s must be a number, got %s" % (name, type(v).__name__))
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError("arange: step %r goes away from end %r (start %r)" % (step, end, start))
    integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dtype = _dtype(dtype, np.int64 if integral else _FLOAT32)
    if integral:
        values = np.arange(int(start), int(end), int(step), dtype=np.int64)
    else:
        count = math.ceil((end - start) / step)
        values = start + step * np.arange(count, dtype=np.float64)
    return _tensor(values.astype(dtype), device, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (float32 by default)."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError("linspace: steps must be an int >= 0, got %r" % (steps,))
    values = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _tensor(values.astype(_dtype(dtype)), device, requires_grad)


def eye(n: int, m: int = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An n x m (default n x n) matrix with ones on the diagonal."""
    m = n if m is None else m
    _size((n, m), "eye")
    return Tensor(_xp(device).eye(n, m, dtype=_dtype(dtype)), requires_grad=requires_grad)


def _random_dtype(dtype, op):
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        raise TypeError("%s: dtype must be a floating point dtype, got %s" % (op, dtype))
    return dtype


def _draw(draw, dtype):
    """Draw in dtype when numpy's generator supports it (float32/64), else float64 and cast."""
    native = dtype if dtype in (np.dtype(np.float32), np.dtype(np.float64)) else np.float64
    return draw(_random.generator(), native).astype(dtype, copy=False)


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples from [0, 1)."""
    size, dtype = _size(size, "rand"), _random_dtype(dtype, "rand")
    return _tensor(_draw(lambda g, d: g.random(size, dtype=d), dtype), device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Samples from the standard normal distribution."""
    size, dtype = _size(size, "randn"), _random_dtype(dtype, "randn")
    return _tensor(_draw(lambda g, d: g.standard_normal(size, dtype=d), dtype), device,
                   requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform in [low, high): randint(high, size) or randint(low, high, size),
    like PyTorch; int64 unless `dtype` says otherwise."""
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint: use randint(high, size) or randint(low, high, size)")
    low, high = (0, args[0]) if len(args) == 1 else args
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (low, high)):
        raise TypeError("randint: low and high must be ints, got %r and %r" % (low, high))
    if low >= high:
        raise ValueError("randint: low (%d) must be below high (%d)" % (low, high))
    values = _random.generator().integers(low, high, _size((size,), "randint"), dtype=np.int64)
    return _tensor(values.astype(_dtype(dtype, np.int64)), device, requires_grad)
