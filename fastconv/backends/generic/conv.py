"""Array-generic conv2d: im2col + matmul forward and weight gradient, col2im data gradient."""
from ._common import _as_strided, _pad, _padded_extent, _store, _windows, _xp  # noqa: F401
from .activation import _relu


def _conv_unpack(geom):
    (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups) = (
        int(v) for v in geom)
    return n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups


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


def conv2d_relu_max_pool2x2(geom, x, w, bias, pooled, positions, nthreads=1):
    """max_pool2x2(relu(conv2d(x, w) + bias)) into pooled and positions (the winners'
    places 0..3), as the native fused kernel; returns True (this backend covers every
    layer)."""
    from .pool import max_pool2x2_forward
    xp = _xp(x)
    n, c_out, oh, ow = int(geom[0]), int(geom[4]), int(geom[7]), int(geom[8])
    y = xp.empty((n, c_out, oh, ow), dtype=x.dtype)
    conv2d_forward(geom, x, w, bias, y, True)
    pool_geom = (n, c_out, oh, ow, oh // 2, ow // 2, 2, 2, 2, 2, 0, 0, 1, 1)
    max_pool2x2_forward(pool_geom, y, pooled, positions)
    return True
