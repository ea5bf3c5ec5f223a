"""Argument checking shared by the raw ops: readable errors before any native code runs."""
from typing import Sequence, Tuple, Union

import numpy as np

IntPair = Union[int, Sequence[int]]
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _is_cupy(a) -> bool:
    return type(a).__module__.startswith("cupy")


def array_module(*arrays):
    """numpy or cupy, whichever all the given arrays belong to; mixing them is a TypeError.

    Other objects are left to float_array / check_out, which name the argument.
    """
    kinds = set()
    for a in arrays:
        if isinstance(a, np.ndarray):
            kinds.add("numpy")
        elif _is_cupy(a):
            kinds.add("cupy")
    if len(kinds) > 1:
        raise TypeError("all arrays must live on one device: got both numpy and cupy arrays")
    if kinds == {"cupy"}:
        import cupy
        return cupy
    return np


def float_array(a, name: str, ndim: int = None):
    """Check that `a` is a float32/float64 array (of rank `ndim`); return it C-contiguous."""
    if not isinstance(a, np.ndarray) and not _is_cupy(a):
        raise TypeError("%s must be a numpy or cupy array, got %s" % (name, type(a).__name__))
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError("%s must have dtype float32 or float64, got %s" % (name, a.dtype))
    if ndim is not None and a.ndim != ndim:
        raise ValueError("%s must be %d-D, got shape %s" % (name, ndim, tuple(a.shape)))
    if not a.flags.c_contiguous:
        a = a.copy(order="C") if not isinstance(a, np.ndarray) else np.ascontiguousarray(a)
    return a


def same_dtype(name_a: str, a, name_b: str, b) -> None:
    if a is not None and b is not None and a.dtype != b.dtype:
        raise TypeError("%s (%s) and %s (%s) must have the same dtype"
                        % (name_a, a.dtype, name_b, b.dtype))


def pair(value: IntPair, name: str, minimum: int) -> Tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a pair."""
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
                     ceil_mode: bool, axis: str) -> int:
    """Output length of a pooling axis, PyTorch's rule (a last window must start inside)."""
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * pad
    if span > padded:
        raise ValueError("pooling window %s extent %d is larger than the padded input %s %d"
                         % (axis, span, axis, padded))
    num = padded - span
    out = (-(-num // stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


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
