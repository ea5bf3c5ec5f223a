"""Helpers shared by the array-generic kernels: array namespace, strided windows, stores."""
import numpy as np  # noqa: F401  (helpers below take the namespace xp as an argument)

from ..._xp import array_module as _xp  # noqa: F401  (numpy, or cupy for cupy arrays)


def _as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def _store(out, value):
    """Write `value` (any shape with out's size) into `out` and return `out`."""
    out[...] = value.reshape(out.shape)
    return out


def _padded_extent(size, pad_before, out, stride, dil, k):
    """Length of the padded axis that holds both the input and every tap of every window."""
    needed = (out - 1) * stride + dil * (k - 1) + 1
    return max(needed, pad_before + size)


def _pad(xp, x, ph, pw, hp, wp, fill):
    """x (n, c, h, w) placed at (ph, pw) inside a new (n, c, hp, wp) array of `fill`."""
    n, c, h, w = x.shape
    xpad = xp.full((n, c, hp, wp), fill, dtype=x.dtype)
    xpad[:, :, ph:ph + h, pw:pw + w] = x
    return xpad


def _windows(xp, xpad, oh, ow, kh, kw, sh, sw, dh, dw):
    """Read-only view (n, c, oh, ow, kh, kw) of every window of a contiguous padded input."""
    n, c, hp, wp = xpad.shape
    s_n, s_c, s_h, s_w = xpad.strides
    return _as_strided(xp, xpad, (n, c, oh, ow, kh, kw),
                       (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw))
