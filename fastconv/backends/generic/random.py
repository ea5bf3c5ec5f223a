"""Array-generic dropout: the same counter-based draws as the native kernels
(csrc/include/fastconv/random.h), so both backends draw the very same mask."""
from ._common import _store, _xp

_GAMMA = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB


def draws32(xp, seed: int, count: int):
    """u_j for j < count: the high 32 bits of splitmix64(seed + (j + 1) * gamma), as
    uint64 (integer arithmetic wraps modulo 2**64)."""
    u64 = xp.uint64
    z = (xp.arange(1, count + 1, dtype=u64) * u64(_GAMMA)) + u64(seed)
    z = (z ^ (z >> u64(30))) * u64(_MIX1)
    z = (z ^ (z >> u64(27))) * u64(_MIX2)
    z = z ^ (z >> u64(31))
    return z >> u64(32)


def _threshold(p: float) -> int:
    return 1 << 32 if p >= 1.0 else int(p * 4294967296.0)


def dropout_forward(geom, x, p, seed, y, mask, nthreads=1):
    """mask[j] = (u_j >= p * 2^32), y = x * (mask ? 1 / (1 - p) : 0) per plane."""
    xp = _xp(x)
    planes, plane_size = geom
    keep = draws32(xp, seed, planes) >= xp.uint64(_threshold(p)) if p < 1.0 else \
        xp.zeros(planes, dtype=bool)
    mask[...] = keep.reshape(mask.shape)
    one = x.dtype.type(1)
    scale = one / x.dtype.type(1.0 - p) if p < 1.0 else x.dtype.type(0)
    factor = xp.where(keep, scale, x.dtype.type(0)).astype(x.dtype)
    return _store(y, x.reshape(planes, plane_size) * factor[:, None])


def dropout_backward(geom, dy, mask, scale, dx, nthreads=1):
    """dx = dy * (mask ? scale : 0) per plane."""
    xp = _xp(dy)
    planes, plane_size = geom
    factor = xp.where(mask.reshape(-1).astype(bool), dy.dtype.type(scale), dy.dtype.type(0))
    return _store(dx, dy.reshape(planes, plane_size) * factor.astype(dy.dtype)[:, None])
