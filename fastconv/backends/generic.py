"""Array-generic kernels: the same functions as fastconv._cpu, on any numpy-like namespace.

Every function takes the geometry tuple and preallocated outputs that fastconv.ops builds,
writes the result into the output and returns it; `nthreads` is accepted and ignored.
The namespace `xp` comes from the arrays themselves (numpy, or cupy for cupy arrays), so
this module is both the CPU test oracle for the native kernels and the body of the CuPy
backend. CuPy is never imported here unless a non-numpy array arrives.

Conventions follow csrc/fastconv.h: pad_top/pad_left are given, bottom/right padding is
whatever oh/ow imply (taps outside the input read as zero for convolution and as -inf for
pooling); max pooling returns the flat (row * w + col) argmax in the input plane, a NaN
wins its window (the last NaN, as PyTorch's kernels do), the first maximum wins ties, and
a window holding no finite maximum points at its first in-bounds tap (or, when it has
none, the input element nearest to its start).
"""
import numpy as np

__all__ = [
    "gemm", "conv2d_forward", "conv2d_backward_data", "conv2d_backward_weight",
    "conv2d_backward_bias", "max_pool2d_forward", "max_pool2d_backward",
    "max_pool2x2_forward", "max_pool2x2_relu_backward", "relu_forward", "relu_backward",
]


# ------------------------------------------------------------------ helpers

def _xp(a):
    """The array namespace of `a`: numpy for numpy arrays, else cupy (imported lazily)."""
    if isinstance(a, np.ndarray):
        return np
    import cupy
    return cupy.get_array_module(a)


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


def _conv_unpack(geom):
    (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups) = (
        int(v) for v in geom)
    return n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups


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


def _im2col(xp, geom, x):
    """Columns (groups, n*oh*ow, c_in/groups*kh*kw) of input x for convolution `geom`."""
    n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, g = _conv_unpack(geom)
    cg = c_in // g
    x = x.reshape(n, c_in, h, w)
    hp = _padded_extent(h, ph, oh, sh, dh, kh)
    wp = _padded_extent(w, pw, ow, sw, dw, kw)
    xpad = _pad(xp, x, ph, pw, hp, wp, 0)
    win = _windows(xp, xpad, oh, ow, kh, kw, sh, sw, dh, dw)     # n, c_in, oh, ow, kh, kw
    win = win.reshape(n, g, cg, oh, ow, kh, kw)                  # a view: c_in splits evenly
    cols = win.transpose(1, 0, 3, 4, 2, 5, 6)                    # g, n, oh, ow, cg, kh, kw
    return xp.ascontiguousarray(cols).reshape(g, n * oh * ow, cg * kh * kw)


def _dy_rows(geom, dy):
    """dy (n, c_out, oh, ow) as (groups, n*oh*ow, c_out/groups) matrices."""
    n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, g = _conv_unpack(geom)
    dy = dy.reshape(n, g, c_out // g, oh, ow)
    return dy.transpose(1, 0, 3, 4, 2).reshape(g, n * oh * ow, c_out // g)


# ------------------------------------------------------------------ gemm

def gemm(trans_a, trans_b, a, b, c, alpha=1.0, beta=0.0, nthreads=1):
    """c = alpha * op(a) @ op(b) + beta * c; beta == 0 never reads c (NaN-safe)."""
    xp = _xp(c)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    prod = xp.matmul(op_a, op_b)
    if alpha != 1.0:
        prod = prod * c.dtype.type(alpha)
    if beta != 0.0:
        prod = prod + c.dtype.type(beta) * c
    return _store(c, prod.astype(c.dtype, copy=False))


# ------------------------------------------------------------------ conv2d

def conv2d_forward(geom, x, w, bias, y, relu=False, nthreads=1):
    """y = conv2d(x, w) + bias (cross-correlation), then max(., 0) when relu is true."""
    xp = _xp(x)
    n, c_in, h, wd, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, g = _conv_unpack(geom)
    cols = _im2col(xp, geom, x)                                  # g, n*oh*ow, cg*kh*kw
    wmat = w.reshape(g, c_out // g, (c_in // g) * kh * kw)
    out = xp.matmul(cols, wmat.transpose(0, 2, 1))               # g, n*oh*ow, c_out/g
    out = out.reshape(g, n, oh, ow, c_out // g).transpose(1, 0, 4, 2, 3)
    out = out.reshape(n, c_out, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, c_out, 1, 1)
    if relu:
        out = _relu(xp, out)
    return _store(y, out)


def conv2d_backward_data(geom, dy, w, dx, nthreads=1):
    """dx = gradient of conv2d with respect to its input (matmul, then col2im)."""
    xp = _xp(dy)
    n, c_in, h, wd, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, g = _conv_unpack(geom)
    cg = c_in // g
    wmat = w.reshape(g, c_out // g, cg * kh * kw)
    dcols = xp.matmul(_dy_rows(geom, dy), wmat)                  # g, n*oh*ow, cg*kh*kw
    dcols = dcols.reshape(g, n, oh, ow, cg, kh, kw).transpose(1, 0, 4, 5, 6, 2, 3)
    dcols = dcols.reshape(n, c_in, kh, kw, oh, ow)
    hp = _padded_extent(h, ph, oh, sh, dh, kh)
    wp = _padded_extent(wd, pw, ow, sw, dw, kw)
    dxpad = xp.zeros((n, c_in, hp, wp), dtype=dx.dtype)
    # col2im: one strided add per kernel tap; taps never overlap within one (i, j)
    for i in range(kh):
        r0 = i * dh
        for j in range(kw):
            c0 = j * dw
            dxpad[:, :, r0:r0 + sh * (oh - 1) + 1:sh, c0:c0 + sw * (ow - 1) + 1:sw] += \
                dcols[:, :, i, j]
    return _store(dx, dxpad[:, :, ph:ph + h, pw:pw + wd])


def conv2d_backward_weight(geom, x, dy, dw, nthreads=1):
    """dw = gradient of conv2d with respect to its weight: dy^T @ im2col(x) per group."""
    xp = _xp(x)
    n, c_in, h, wd, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dil_w, g = _conv_unpack(geom)
    if n == 0:
        dw[...] = 0
        return dw
    cols = _im2col(xp, geom, x)                                  # g, n*oh*ow, cg*kh*kw
    grad = xp.matmul(_dy_rows(geom, dy).transpose(0, 2, 1), cols)  # g, c_out/g, cg*kh*kw
    return _store(dw, grad)


def conv2d_backward_bias(geom, dy, db, nthreads=1):
    """db[c] = sum of dy over batch and space."""
    n, c_in, h, w, c_out, kh, kw, oh, ow = (int(v) for v in geom[:9])
    return _store(db, dy.reshape(n, c_out, oh * ow).sum(axis=(0, 2)))


# ------------------------------------------------------------------ max_pool2d

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


# ------------------------------------------------------------------ relu

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

from .generic_optim import sgd_update  # noqa: E402  (optimizer kernels, own file)
__all__ += ["sgd_update"]
