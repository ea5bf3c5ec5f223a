"""Array-generic max pooling, with PyTorch's NaN and tie rules (see the package docstring)."""
import numpy as np

from ._common import _pad, _padded_extent, _store, _windows, _xp


def _pool_unpack(geom):
    return tuple(int(v) for v in geom)


def _first_inside(xp, starts, k, dil, size):
    """Per window start: the first tap coordinate inside [0, size), else the start clamped."""
    taps = starts[:, None] + dil * xp.arange(k)[None, :]         # (windows, k)
    inside = (taps >= 0) & (taps < size)
    first_k = xp.argmax(inside.astype(np.int8), axis=1)          # int8: argmax on bool varies
    first = xp.take_along_axis(taps, first_k[:, None], axis=1)[:, 0]
    return xp.where(inside.any(axis=1), first, xp.clip(starts, 0, size - 1))


def max_pool2d_forward(geom, x, y, indices=None, nthreads=1):
    """y = max over each window (NaN wins); indices, when given, gets the argmax offsets."""
    xp = _xp(x)
    n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw = _pool_unpack(geom)
    x = x.reshape(n, c, h, w)
    hp = _padded_extent(h, ph, oh, sh, dh, kh)
    wp = _padded_extent(w, pw, ow, sw, dw, kw)
    xpad = _pad(xp, x, ph, pw, hp, wp, -np.inf)
    win = _windows(xp, xpad, oh, ow, kh, kw, sh, sw, dh, dw).reshape(n, c, oh, ow, kh * kw)
    isnan = xp.isnan(win)
    has_nan = isnan.any(axis=-1)
    # the last NaN of a window (PyTorch's kernels keep replacing on NaN), else the first max
    last_nan = kh * kw - 1 - xp.argmax(isnan[..., ::-1].astype(np.int8), axis=-1)
    first_max = xp.argmax(xp.where(isnan, -np.inf, win), axis=-1)
    k = xp.where(has_nan, last_nan, first_max)
    ymax = xp.take_along_axis(win, k[..., None], axis=-1)[..., 0]
    _store(y, ymax)
    if indices is None:
        return y
    ti, tj = k // kw, k % kw
    rows = (xp.arange(oh) * sh - ph)[:, None] + ti * dh             # n, c, oh, ow
    cols = (xp.arange(ow) * sw - pw)[None, :] + tj * dw
    idx = rows * w + cols
    # windows whose maximum is -inf may have picked padding: point at the first real tap
    row0 = _first_inside(xp, xp.arange(oh) * sh - ph, kh, dh, h)
    col0 = _first_inside(xp, xp.arange(ow) * sw - pw, kw, dw, w)
    fallback = row0[:, None] * w + col0[None, :]
    idx = xp.where((ymax == -np.inf) & ~has_nan, fallback, idx)
    _store(indices, idx.astype(np.int64, copy=False))
    return y


def max_pool2d_backward(geom, dy, indices, dx, nthreads=1):
    """dx = dy scatter-added into the argmax positions of each input plane."""
    xp = _xp(dy)
    n, c, h, w, oh, ow = _pool_unpack(geom)[:6]
    planes = n * c
    flat = indices.reshape(planes, oh * ow).astype(np.int64, copy=False)
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= h * w):
        raise ValueError("indices out of range for a %dx%d input plane" % (h, w))
    flat = flat + (xp.arange(planes, dtype=np.int64) * (h * w))[:, None]
    acc = xp.zeros(planes * h * w, dtype=dx.dtype)
    _scatter_add(xp, acc, flat.ravel(), dy.reshape(-1).astype(dx.dtype, copy=False))
    return _store(dx, acc)


def _scatter_add(xp, target, index, values):
    """target[index] += values, accumulating repeated indices in order."""
    if xp is np:
        np.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)


def max_pool2x2_forward(geom, x, y, positions, nthreads=1):
    """2x2 stride-2 max pool: y as max_pool2d_forward, positions = each winner's place
    in its window (row * 2 + column) as uint8."""
    xp = _xp(x)
    w = int(geom[3])
    idx = xp.empty(y.shape, dtype=np.int64)
    max_pool2d_forward(geom, x, y, idx)
    _store(positions, ((idx // w) % 2 * 2 + idx % w % 2).astype(np.uint8))
    return y


def max_pool2x2_relu_backward(geom, dy, y, positions, dx, nthreads=1):
    """relu_backward(dy, y) routed to each window's winner (positions from
    max_pool2x2_forward), 0 elsewhere; a position above 3 routes nowhere."""
    xp = _xp(dy)
    n, c, h, w, oh, ow = _pool_unpack(geom)[:6]
    pos = positions.reshape(n, c, oh, ow).astype(np.int64)
    rows = 2 * xp.arange(oh)[:, None] + pos // 2
    cols = 2 * xp.arange(ow)[None, :] + pos % 2
    g = xp.where((y > 0) & (pos <= 3), dy, xp.zeros((), dtype=dy.dtype)).reshape(pos.shape)
    max_pool2d_backward(geom, g, xp.minimum(rows * w + cols, h * w - 1), dx)
    return dx


# ------------------------------------------------------------------ average pooling

def _avg_unpack(geom):
    """(n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw) and the divisor rule's two ints."""
    g = _pool_unpack(geom)
    return g[:12], bool(g[12]), g[13]


def _avg_counts(xp, out, k, s, pad, size, count_include_pad):
    """Per window along one axis: the count PyTorch's divisor uses (a ceil-mode overhang
    past the padding never counts; the padding counts when count_include_pad)."""
    start = xp.arange(out) * s - pad
    end = xp.minimum(start + k, size + pad)
    if count_include_pad:
        return end - start
    return xp.minimum(end, size) - xp.maximum(start, 0)


def _avg_divisors(xp, geom, dtype):
    """(oh, ow) divisors of avg_pool2d's outputs, in dtype."""
    (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw), cip, override = _avg_unpack(geom)
    if override:
        return xp.full((oh, ow), override, dtype=dtype)
    hc = _avg_counts(xp, oh, kh, sh, ph, h, cip)
    wc = _avg_counts(xp, ow, kw, sw, pw, w, cip)
    return (hc[:, None] * wc[None, :]).astype(dtype)


def avg_pool2d_forward(geom, x, y, nthreads=1):
    """y = each window's sum (zero padding) / its divisor (PyTorch's rules)."""
    xp = _xp(x)
    (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw), _, _ = _avg_unpack(geom)
    x = x.reshape(n, c, h, w)
    hp = _padded_extent(h, ph, oh, sh, 1, kh)
    wp = _padded_extent(w, pw, ow, sw, 1, kw)
    win = _windows(xp, _pad(xp, x, ph, pw, hp, wp, 0), oh, ow, kh, kw, sh, sw, 1, 1)
    return _store(y, win.sum(axis=(4, 5)) / _avg_divisors(xp, geom, x.dtype))


def avg_pool2d_backward(geom, dy, dx, nthreads=1):
    """dx = dy / divisor added to every input of its window (padding dropped)."""
    xp = _xp(dy)
    (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw), _, _ = _avg_unpack(geom)
    g = dy.reshape(n, c, oh, ow) / _avg_divisors(xp, geom, dy.dtype)
    hp = _padded_extent(h, ph, oh, sh, 1, kh)
    wp = _padded_extent(w, pw, ow, sw, 1, kw)
    acc = xp.zeros((n, c, hp, wp), dtype=dx.dtype)
    for i in range(kh):          # one strided add per tap, not per element
        for j in range(kw):
            acc[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += g
    return _store(dx, acc[:, :, ph:ph + h, pw:pw + w])


# ------------------------------------------------------------------ adaptive pooling

def _adaptive_bounds(xp, size, out):
    """PyTorch's adaptive windows along one axis: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = xp.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def _adaptive_matrix(xp, size, out, dtype):
    """(out, size) 0/1 matrix: row i marks the inputs of window i."""
    lo, hi = _adaptive_bounds(xp, size, out)
    pos = xp.arange(size)[None, :]
    return ((pos >= lo[:, None]) & (pos < hi[:, None])).astype(dtype)


def _adaptive_avg_terms(xp, geom, dtype):
    """The row and column window matrices and the (oh, ow) window sizes."""
    n, c, h, w, oh, ow = _pool_unpack(geom)
    rows, cols = _adaptive_matrix(xp, h, oh, dtype), _adaptive_matrix(xp, w, ow, dtype)
    counts = rows.sum(axis=1)[:, None] * cols.sum(axis=1)[None, :]
    return rows, cols, counts


def adaptive_avg_pool2d_forward(geom, x, y, nthreads=1):
    """y = each adaptive window's mean: rows @ x @ cols.T / window sizes."""
    xp = _xp(x)
    n, c, h, w, oh, ow = _pool_unpack(geom)
    rows, cols, counts = _adaptive_avg_terms(xp, geom, x.dtype)
    return _store(y, rows @ x.reshape(n, c, h, w) @ cols.T / counts)


def adaptive_avg_pool2d_backward(geom, dy, dx, nthreads=1):
    """dx = rows.T @ (dy / window sizes) @ cols: each gradient spread over its window."""
    xp = _xp(dy)
    n, c, h, w, oh, ow = _pool_unpack(geom)
    rows, cols, counts = _adaptive_avg_terms(xp, geom, dy.dtype)
    return _store(dx, rows.T @ (dy.reshape(n, c, oh, ow) / counts) @ cols)


def _adaptive_taps(xp, size, out):
    """(out, k) tap coordinates of each window (k = the widest window), clipped into the
    axis, and which of them belong to their window."""
    lo, hi = _adaptive_bounds(xp, size, out)
    k = int((hi - lo).max())
    taps = lo[:, None] + xp.arange(k)[None, :]
    return xp.minimum(taps, size - 1), taps < hi[:, None]


def adaptive_max_pool2d_forward(geom, x, y, indices=None, nthreads=1):
    """y = each adaptive window's maximum with max_pool2d's rule (a NaN wins, the last one;
    the first of equal maxima); indices, when given, gets the flat argmax offsets."""
    xp = _xp(x)
    n, c, h, w, oh, ow = _pool_unpack(geom)
    rows, row_in = _adaptive_taps(xp, h, oh)                 # (oh, kh)
    cols, col_in = _adaptive_taps(xp, w, ow)                 # (ow, kw)
    kh, kw = rows.shape[1], cols.shape[1]
    win = x.reshape(n, c, h, w)[:, :, rows[:, :, None, None], cols[None, None, :, :]]
    inside = row_in[:, :, None, None] & col_in[None, None, :, :]
    win = xp.where(inside, win, -np.inf)                     # (n, c, oh, kh, ow, kw)
    win = win.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
    isnan = xp.isnan(win)
    last_nan = kh * kw - 1 - xp.argmax(isnan[..., ::-1].astype(np.int8), axis=-1)
    first_max = xp.argmax(xp.where(isnan, -np.inf, win), axis=-1)
    k = xp.where(isnan.any(axis=-1), last_nan, first_max)
    _store(y, xp.take_along_axis(win, k[..., None], axis=-1)[..., 0])
    if indices is not None:
        r = rows[xp.arange(oh)[:, None], k // kw]           # (n, c, oh, ow)
        col = cols[xp.arange(ow)[None, :], k % kw]
        _store(indices, (r * w + col).astype(np.int64, copy=False))
    return y


def adaptive_max_pool2d_backward(geom, dy, indices, dx, nthreads=1):
    """dx = dy scatter-added into the argmax positions (max_pool2d's backward, which
    reads only the sizes of its geometry)."""
    return max_pool2d_backward(tuple(geom) + (1, 1, 1, 1, 0, 0, 1, 1), dy, indices, dx)
