"""Array-generic resampling: index gathers (nearest upsampling, padding), separable
linear interpolation (bilinear upsampling) and grid sampling, with their adjoints.

Semantics as csrc/include/fastconv/resample.h states them: images are (planes, h, w)
stacks, index maps come from fastconv.ops (an index of -1 in a gather reads `value`),
grid coordinates are unnormalised, clipped and reflected as PyTorch's CPU kernel does,
taps outside the input read as zero and a NaN coordinate samples zero.
"""
import numpy as np

from ._common import _store, _xp
from .pool import _scatter_add

_BILINEAR, _NEAREST = 0, 1
_ZEROS, _BORDER, _REFLECTION = 0, 1, 2


def _planes(a, geom, out: bool):
    planes, h, w, oh, ow = (int(v) for v in geom)
    return a.reshape(planes, oh, ow) if out else a.reshape(planes, h, w)


# ------------------------------------------------------------------ gather

def gather2d_forward(geom, rows, cols, value, x, y, nthreads=1):
    """y[p, i, j] = x[p, rows[i], cols[j]], or value where rows[i] or cols[j] is -1."""
    xp = _xp(x)
    src = _planes(x, geom, False)
    r = xp.asarray(rows)
    c = xp.asarray(cols)
    picked = src[:, xp.maximum(r, 0)][:, :, xp.maximum(c, 0)]
    outside = (r < 0)[:, None] | (c < 0)[None, :]
    fill = xp.asarray(value, dtype=x.dtype)
    return _store(y, xp.where(outside[None], fill, picked))


def gather2d_backward(geom, rows, cols, dy, dx, nthreads=1):
    """dx = 0, then dy[p, i, j] added at (rows[i], cols[j]) wherever both are >= 0."""
    xp = _xp(dy)
    planes, h, w, oh, ow = (int(v) for v in geom)
    r = xp.asarray(rows)
    c = xp.asarray(cols)
    inside = ((r >= 0)[:, None] & (c >= 0)[None, :]).reshape(-1)
    flat = (xp.maximum(r, 0)[:, None] * w + xp.maximum(c, 0)[None, :]).reshape(-1)[inside]
    values = dy.reshape(planes, oh * ow)[:, inside]
    index = (flat[None, :] + (xp.arange(planes, dtype=np.int64) * (h * w))[:, None])
    acc = xp.zeros(planes * h * w, dtype=dx.dtype)
    _scatter_add(xp, acc, index.reshape(-1), values.reshape(-1))
    return _store(dx, acc)


# ------------------------------------------------------------------ separable linear

def linear2d_forward(geom, rows, cols, row_weights, col_weights, x, y, nthreads=1):
    """Each output row blends two input rows, each interpolated along the width first."""
    xp = _xp(x)
    src = _planes(x, geom, False)
    r, c = xp.asarray(rows), xp.asarray(cols)
    rw, cw = row_weights, col_weights
    horizontal = src[:, :, c[:, 0]] * cw[:, 0] + src[:, :, c[:, 1]] * cw[:, 1]
    out = (horizontal[:, r[:, 0]] * rw[:, 0][:, None]
           + horizontal[:, r[:, 1]] * rw[:, 1][:, None])
    return _store(y, out)


def linear2d_backward(geom, rows, cols, row_weights, col_weights, dy, dx, nthreads=1):
    """The adjoint of linear2d_forward: dx = 0, then each dy spread over its four taps."""
    xp = _xp(dy)
    planes, h, w, oh, ow = (int(v) for v in geom)
    r, c = xp.asarray(rows), xp.asarray(cols)
    g = _planes(dy, geom, True)
    # (planes, oh, ow, 2, 2) contributions at rows r[i, a] and columns c[j, b]
    weight = row_weights[:, None, :, None] * col_weights[None, :, None, :]
    values = g[:, :, :, None, None] * weight[None]
    flat = r[:, None, :, None] * w + c[None, :, None, :]
    first = xp.arange(planes, dtype=np.int64) * (h * w)
    index = flat[None] + first[:, None, None, None, None]
    acc = xp.zeros(planes * h * w, dtype=dx.dtype)
    _scatter_add(xp, acc, xp.broadcast_to(index, values.shape).reshape(-1),
                 values.reshape(-1))
    return _store(dx, acc)


# ------------------------------------------------------------------ grid sampling

def _unnormalize(xp, coord, size: int, align_corners: bool):
    """(pixel coordinate, its derivative) of normalised grid coordinates."""
    dtype = coord.dtype.type
    if align_corners:
        return ((coord + 1) / 2) * dtype(size - 1), dtype(size - 1) / 2
    return ((coord + 1) * dtype(size) - 1) / 2, dtype(size) / 2


def _clip(xp, coord, size: int):
    """Into [0, size - 1]; slope 1 strictly inside, 0 where clipped (PyTorch's rule)."""
    dtype = coord.dtype.type
    top = dtype(size - 1)
    grad = ((coord > 0) & (coord < top)).astype(coord.dtype)
    return xp.where(coord <= 0, dtype(0), xp.where(coord >= top, top, coord)), grad


def _reflect(xp, coord, twice_low: int, twice_high: int):
    """Reflect about twice_low/2 and twice_high/2; slope +-1."""
    dtype = coord.dtype.type
    if twice_low == twice_high:
        return xp.zeros_like(coord), xp.zeros_like(coord)
    low = dtype(twice_low) / 2
    span = dtype(twice_high - twice_low) / 2
    shifted = coord - low
    sign = xp.where(shifted < 0, dtype(-1), dtype(1))
    mag = xp.abs(shifted)
    with np.errstate(invalid="ignore"):   # inf coordinates: NaN, sampled as zero later
        extra = xp.fmod(mag, span)
        even = xp.fmod(xp.floor(mag / span), 2) == 0
    return (xp.where(even, extra + low, span - extra + low),
            xp.where(even, sign, -sign))


def _source(xp, coord, size: int, padding: int, align_corners: bool):
    """The pixel coordinate each grid value reads, and its derivative."""
    coord, grad = _unnormalize(xp, coord, size, align_corners)
    grad = xp.full(coord.shape, grad, dtype=coord.dtype)
    if padding == _BORDER:
        coord, g_clip = _clip(xp, coord, size)
        grad = grad * g_clip
    elif padding == _REFLECTION:
        if align_corners:
            coord, g_refl = _reflect(xp, coord, 0, 2 * (size - 1))
        else:
            coord, g_refl = _reflect(xp, coord, -1, 2 * size - 1)
        coord, g_clip = _clip(xp, coord, size)
        grad = grad * g_refl * g_clip
    return coord, grad


def _taps(xp, grid, h: int, w: int, mode: int, padding: int, align_corners: bool):
    """Per output pixel (n, oh*ow): the taps' plane offsets, in-bounds masks and
    weights [(offset, inside, weight)], the four distances and the two slopes."""
    n = grid.shape[0]
    g = grid.reshape(n, -1, 2)
    ix, gmx = _source(xp, g[..., 0], w, padding, align_corners)
    iy, gmy = _source(xp, g[..., 1], h, padding, align_corners)
    dtype = grid.dtype.type
    if mode == _NEAREST:
        rx, ry = xp.rint(ix), xp.rint(iy)
        inside = (rx >= 0) & (rx < w) & (ry >= 0) & (ry < h)
        at = (xp.where(inside, ry, 0).astype(np.int64) * w
              + xp.where(inside, rx, 0).astype(np.int64))
        return [(at, inside, xp.ones_like(ix))], None, gmx, gmy
    near = (ix > -2) & (ix < w + 1) & (iy > -2) & (iy < h + 1)   # False for NaN
    ix = xp.where(near, ix, dtype(0))   # far pixels: every tap outside, distances 0
    iy = xp.where(near, iy, dtype(0))
    fx, fy = xp.floor(ix), xp.floor(iy)
    zero = xp.zeros((), dtype=grid.dtype)
    tx0, tx1 = xp.where(near, (fx + 1) - ix, zero), xp.where(near, ix - fx, zero)
    ty0, ty1 = xp.where(near, (fy + 1) - iy, zero), xp.where(near, iy - fy, zero)
    x0, y0 = fx.astype(np.int64), fy.astype(np.int64)
    taps = []
    for k, weight in enumerate((tx0 * ty0, tx1 * ty0, tx0 * ty1, tx1 * ty1)):
        xx, yy = x0 + (k & 1), y0 + (k >> 1)
        inside = near & (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        taps.append((xp.where(inside, yy * w + xx, 0), inside, weight))
    return taps, (tx0, tx1, ty0, ty1), gmx, gmy


def _tap_values(xp, planes, at, inside):
    """planes (n, c, h*w) read at each image's offsets `at` (n, P): (n, c, P), zero where
    the tap lies outside."""
    vals = xp.take_along_axis(planes, at[:, None, :], axis=2)
    return xp.where(inside[:, None, :], vals, xp.zeros((), dtype=planes.dtype))


def grid_sample2d_forward(geom, mode, padding_mode, align_corners, x, grid, y, nthreads=1):
    """y[n, c, p] = sum over the taps of grid pixel p of weight * x[n, c, tap]."""
    xp = _xp(x)
    n, c, h, w, oh, ow = (int(v) for v in geom)
    taps = _taps(xp, grid, h, w, int(mode), int(padding_mode), bool(align_corners))[0]
    planes = x.reshape(n, c, h * w)
    out = xp.zeros((n, c, oh * ow), dtype=x.dtype)
    for at, inside, weight in taps:
        out = out + _tap_values(xp, planes, at, inside) * weight[:, None, :]
    return _store(y, out)


def grid_sample2d_backward(geom, mode, padding_mode, align_corners, dy, x, grid, dx, dgrid,
                           nthreads=1):
    """dx: each tap's weight times dy added at the tap; dgrid: d(out)/d(grid) . dy summed
    over channels (zero for nearest). dx or dgrid may be None."""
    xp = _xp(x)
    n, c, h, w, oh, ow = (int(v) for v in geom)
    mode = int(mode)
    taps, dist, gmx, gmy = _taps(xp, grid, h, w, mode, int(padding_mode), bool(align_corners))
    g = dy.reshape(n, c, oh * ow)
    if dx is not None:
        acc = xp.zeros(n * c * h * w, dtype=dx.dtype)
        base = (xp.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1)
        for at, inside, weight in taps:
            values = xp.where(inside[:, None, :], g * weight[:, None, :],
                              xp.zeros((), dtype=dx.dtype))
            index = xp.broadcast_to(at[:, None, :] + base, values.shape)
            _scatter_add(xp, acc, index.reshape(-1), values.reshape(-1))
        _store(dx, acc)
    if dgrid is not None:
        if mode == _NEAREST:
            dgrid[...] = 0
        else:
            v = [_tap_values(xp, x.reshape(n, c, h * w), at, inside)
                 for at, inside, _ in taps]
            tx0, tx1, ty0, ty1 = (d[:, None, :] for d in dist)
            gx = (g * (ty0 * (v[1] - v[0]) + ty1 * (v[3] - v[2]))).sum(axis=1)
            gy = (g * (tx0 * (v[2] - v[0]) + tx1 * (v[3] - v[1]))).sum(axis=1)
            _store(dgrid, xp.stack([gx * gmx, gy * gmy], axis=-1))
    return dx, dgrid
