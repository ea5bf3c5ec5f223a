"""Argument checking shared by the raw ops: readable errors before any native code runs.

The common case (plain numpy arrays, int options) takes short paths, and the pure
shape/option validators are memoised (cached_geometry), so that checking costs a few
microseconds per call rather than dominating small layers.
"""
import functools
from typing import Sequence, Tuple, Union

import numpy as np

from .. import _xp

IntPair = Union[int, Sequence[int]]
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_F32, _F64 = FLOAT_DTYPES
_ndarray = np.ndarray


# numpy or cupy for the given arrays (mixing them is a TypeError); other objects are
# left to float_array / check_out, which name the argument.
array_module = _xp.array_module
_is_cupy = _xp.is_cupy


def float_array(a, name: str, ndim: int = None):
    """Check that `a` is a float32/float64 array (of rank `ndim`); return it C-contiguous."""
    if type(a) is _ndarray:
        dtype = a.dtype
        if ((dtype is _F32 or dtype is _F64 or dtype in FLOAT_DTYPES)
                and (ndim is None or a.ndim == ndim)):
            return a if a.flags.c_contiguous else np.ascontiguousarray(a)
    if not isinstance(a, np.ndarray) and not _is_cupy(a):
        a = host_array(a, name)
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError("%s must have dtype float32 or float64, got %s" % (name, a.dtype))
    if ndim is not None and a.ndim != ndim:
        raise ValueError("%s must be %d-D, got shape %s" % (name, ndim, tuple(a.shape)))
    if not a.flags.c_contiguous:
        a = a.copy(order="C") if not isinstance(a, np.ndarray) else np.ascontiguousarray(a)
    return a


def host_array(a, name: str) -> np.ndarray:
    """A numpy view (no copy) of an object exposing the buffer protocol (memoryview,
    array.array, ...) or __array_interface__; anything else is a TypeError naming it.
    Lists and scalars are refused as before: the ops take arrays."""
    try:
        if isinstance(a, np.generic):   # numpy scalars expose both, but are not arrays
            raise TypeError
        if hasattr(a, "__array_interface__"):
            return np.asarray(a)
        view = memoryview(a)
    except TypeError:
        raise TypeError("%s must be a numpy or cupy array (or an object with the buffer "
                        "protocol or __array_interface__), got %s"
                        % (name, type(a).__name__)) from None
    return np.asarray(view)


def same_dtype(name_a: str, a, name_b: str, b) -> None:
    if a is not None and b is not None and a.dtype != b.dtype:
        raise TypeError("%s (%s) and %s (%s) must have the same dtype"
                        % (name_a, a.dtype, name_b, b.dtype))


def same_dtype_and_shape(name_a: str, a, name_b: str, b) -> None:
    """same_dtype, then a ValueError naming both when the shapes differ (elementwise
    pairs: a gradient and the output it belongs to, two summands)."""
    same_dtype(name_a, a, name_b, b)
    if a.shape != b.shape:
        raise ValueError("%s %s and %s %s must have the same shape"
                         % (name_a, tuple(a.shape), name_b, tuple(b.shape)))


def pair(value: IntPair, name: str, minimum: int) -> Tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a pair."""
    if type(value) is int and value >= minimum:
        return (value, value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError("%s must be an int or a pair of ints, got %r" % (name, value)) from None
    if len(items) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise TypeError("%s must be an int or a pair of ints, got %r" % (name, value))
    items = (int(items[0]), int(items[1]))
    if min(items) < minimum:
        raise ValueError("%s must be >= %d, got %r" % (name, minimum, value))
    return items


def conv_padding(padding, kernel: Tuple[int, int], stride: Tuple[int, int],
                 dilation: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """PyTorch padding (int, pair, 'same', 'valid') as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' needs stride 1, got stride=%r" % (stride,))
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        raise ValueError("padding must be an int, a pair, 'same' or 'valid', got %r" % padding)
    ph, pw = pair(padding, "padding", 0)
    return (ph, ph, pw, pw)


def conv_output_size(size: int, pad_before: int, pad_after: int, kernel: int, stride: int,
                     dilation: int, axis: str) -> int:
    """Output length along one axis; a kernel larger than the padded input is a ValueError."""
    span = dilation * (kernel - 1) + 1
    padded = size + pad_before + pad_after
    if span > padded:
        raise ValueError("kernel %s extent %d (kernel %d, dilation %d) is larger than the "
                         "padded input %s %d" % (axis, span, kernel, dilation, axis, padded))
    return (padded - span) // stride + 1


def pool_output_size(size: int, pad: int, kernel: int, stride: int, dilation: int,
                     ceil_mode: bool, axis: str, overhang: bool = False) -> int:
    """Output length of a pooling axis, PyTorch's rule (a last window must start inside).

    overhang=True also accepts, as PyTorch does, a ceil-mode window longer than the padded
    input (for kernels that clip every window)."""
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * pad
    if span > padded and not (overhang and ceil_mode and span - padded < stride):
        raise ValueError("pooling window %s extent %d is larger than the padded input %s %d"
                         % (axis, span, axis, padded))
    num = padded - span
    out = (-(-num // stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def unused_to_one(out: int, kernel: int, stride: int, dilation: int) -> Tuple[int, int]:
    """(stride, dilation) of one axis, where a value too large for the kernels (>= 2**31)
    cannot change any result, set to 1: the stride of an axis with a single output, the
    dilation of a one-tap kernel. PyTorch accepts any size there. (Smaller values are
    kept: the kernels' choice of algorithm reads them.)"""
    if stride >= 2**31 and out == 1:
        stride = 1
    if dilation >= 2**31 and kernel == 1:
        dilation = 1
    return stride, dilation


def below_2_31(**named: Sequence[int]) -> None:
    """Refuse, naming the argument, a geometry value the kernels cannot take (>= 2**31:
    a stride or dilation that matters, or a padding, that large)."""
    for name, values in named.items():
        for v in values:
            if v >= 2**31:
                raise ValueError("%s value %d is too large: at most 2**31 - 1 where it "
                                 "changes the result" % (name, v))


def nonempty_batch(x, name: str) -> None:
    if x.shape[0] == 0:
        raise ValueError("%s has an empty batch (shape %s); batch size must be >= 1"
                         % (name, tuple(x.shape)))


def check_out(out, shape, dtype, xp, name: str = "out"):
    """Allocate an output, or check a user's `out=` buffer; return the buffer to write."""
    if out is None:
        return xp.empty(shape, dtype=dtype)
    if not isinstance(out, xp.ndarray):
        raise TypeError("%s must be a %s array like the inputs, got %s"
                        % (name, xp.__name__, type(out).__name__))
    if tuple(out.shape) != tuple(shape) or out.dtype != dtype:
        raise ValueError("%s must have shape %s and dtype %s, got %s %s"
                         % (name, tuple(shape), np.dtype(dtype), tuple(out.shape), out.dtype))
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("%s must be C-contiguous and writeable" % name)
    return out


def unaliased(a, out, xp):
    """`a`, or a copy of it when it shares memory with `out` (kernels write out while they
    still read their inputs)."""
    if a is not None and out is not None and xp.may_share_memory(a, out):
        return a.copy()
    return a


def _plain(values) -> bool:
    """True when every value is an int, bool, str, None or a tuple of ints.

    For such values equality means the same options (no 1 == 1.0 == True inside tuples;
    lru_cache(typed=True) tells the top-level types apart), so they can key a cache.
    """
    for v in values:
        t = type(v)
        if t is tuple:
            for item in v:
                if type(item) is not int:
                    return False
        elif t is not int and t is not str and t is not bool and v is not None:
            return False
    return True


def cached_geometry(validate):
    """Memoise a pure shape/option validator: a layer calls it with the same shapes and
    options on every step. Calls with other argument types (lists, numpy ints, floats)
    run it uncached, so they get exactly the same checks and messages. Errors are never
    cached."""
    cached = functools.lru_cache(maxsize=1024, typed=True)(validate)

    @functools.wraps(validate)
    def wrapper(*args, **kwargs):
        if _plain(args) and (not kwargs or _plain(kwargs.values())):
            return cached(*args, **kwargs)
        return validate(*args, **kwargs)

    wrapper.cache_info = cached.cache_info
    wrapper.cache_clear = cached.cache_clear
    return wrapper
