# 2-D max pooling (csrc/include/fastconv/pool.h). Included by _cpu.pyx.
cimport fastconv._c_pool as cpool


cdef cpool.fc_pool2d_params _pool_params(tuple geom) except *:
    """geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)."""
    cdef cpool.fc_pool2d_params p
    if len(geom) != 14:
        raise ValueError("fastconv._cpu: pool geometry needs 14 integers")
    (p.n, p.c, p.h, p.w, p.oh, p.ow, p.kh, p.kw, p.stride_h, p.stride_w,
     p.pad_h, p.pad_w, p.dil_h, p.dil_w) = geom
    if (p.n < 0 or p.c < 1 or p.h < 1 or p.w < 1 or p.oh < 1 or p.ow < 1 or p.kh < 1
            or p.kw < 1 or p.stride_h < 1 or p.stride_w < 1 or p.pad_h < 0 or p.pad_w < 0
            or p.dil_h < 1 or p.dil_w < 1 or 2 * p.pad_h > p.kh or 2 * p.pad_w > p.kw):
        raise ValueError("fastconv._cpu: invalid pool geometry %r" % (geom,))
    n, c, h, w, oh, ow = (int(v) for v in geom[:6])
    _check_ranges(geom, (n * c * h * w, n * c * oh * ow), "pool")
    # every output window must start inside the padded input
    if (p.oh - 1) * p.stride_h >= p.h + p.pad_h or (p.ow - 1) * p.stride_w >= p.w + p.pad_w:
        raise ValueError("fastconv._cpu: output size inconsistent with the input %r" % (geom,))
    return p


cdef cpool.fc_pool2d_params _pool2x2_params(tuple geom) except *:
    """_pool_params, also checking the 2x2, stride 2, unpadded, floor-mode geometry."""
    cdef cpool.fc_pool2d_params p = _pool_params(geom)
    if (p.kh != 2 or p.kw != 2 or p.stride_h != 2 or p.stride_w != 2 or p.pad_h != 0
            or p.pad_w != 0 or p.dil_h != 1 or p.dil_w != 1 or p.oh != p.h // 2
            or p.ow != p.w // 2):
        raise ValueError("fastconv._cpu: not a 2x2 stride-2 pool geometry %r" % (geom,))
    return p


def max_pool2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                       object indices, int nthreads=1):
    """y = max over each window; indices (int64 or None) gets the argmax plane offsets."""
    cdef cpool.fc_pool2d_params p = _pool_params(geom)
    cdef int dt = _dtype_code(x)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    cdef void *py = _out(y, dt, out, "y")
    cdef void *px = _buf(x, dt, p.n * p.c * p.h * p.w, "x")
    cdef int64_t *pidx = NULL
    if indices is not None:
        pidx = <int64_t*> _int_buf(indices, cnp.NPY_INT64, out, True, "indices",
                                   "a C-contiguous int64 array like y")
    cdef int nt = _threads(nthreads)
    with nogil:
        cpool.fc_max_pool2d_forward(<core.fc_dtype> dt, &p, px, py, pidx, nt)
    return y


def max_pool2d_backward(tuple geom, cnp.ndarray dy not None, cnp.ndarray indices not None,
                        cnp.ndarray dx not None,
                        int nthreads=1):
    """dx = dy scattered (added) into the argmax positions; writes into dx."""
    cdef cpool.fc_pool2d_params p = _pool_params(geom)
    cdef int dt = _dtype_code(dy)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    cdef void *pdx = _out(dx, dt, p.n * p.c * p.h * p.w, "dx")
    cdef void *pdy = _buf(dy, dt, out, "grad_output")
    cdef const int64_t *pidx = <const int64_t*> _int_buf(
        indices, cnp.NPY_INT64, out, False, "indices", "a C-contiguous int64 array like dy")
    # indices come from users of fastconv.ops: an index outside its plane would write
    # out of bounds, so check them (one pass, vectorised by numpy, GIL held).
    if out > 0 and (indices.min() < 0 or indices.max() >= p.h * p.w):
        raise ValueError("fastconv._cpu: indices out of range for a %dx%d input plane"
                         % (p.h, p.w))
    cdef int nt = _threads(nthreads)
    with nogil:
        cpool.fc_max_pool2d_backward(<core.fc_dtype> dt, &p, pdy, pidx, pdx, nt)
    return dx


def max_pool2x2_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                        cnp.ndarray positions not None, int nthreads=1):
    """2x2 stride-2 max pool: y = window maxima, positions = winners' places (0..3)."""
    cdef cpool.fc_pool2d_params p = _pool2x2_params(geom)
    cdef int dt = _dtype_code(x)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    cdef void *py = _out(y, dt, out, "y")
    cdef void *px = _buf(x, dt, p.n * p.c * p.h * p.w, "x")
    cdef uint8_t *pp = <uint8_t*> _int_buf(positions, cnp.NPY_UINT8, out, True, "positions",
                                           "a C-contiguous uint8 array like y")
    cdef int nt = _threads(nthreads)
    with nogil:
        cpool.fc_max_pool2x2_forward(<core.fc_dtype> dt, &p, px, py, pp, nt)
    return y


def max_pool2x2_relu_backward(tuple geom, cnp.ndarray dy not None, cnp.ndarray y not None,
                              cnp.ndarray positions not None, cnp.ndarray dx not None,
                              int nthreads=1):
    """dx = (y > 0 ? dy : 0) at each window's winner, 0 elsewhere; writes all of dx."""
    cdef cpool.fc_pool2d_params p = _pool2x2_params(geom)
    cdef int dt = _dtype_code(dy)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    cdef void *pdx = _out(dx, dt, p.n * p.c * p.h * p.w, "dx")
    cdef void *pdy = _buf(dy, dt, out, "grad_output")
    cdef void *py = _buf(y, dt, out, "output")
    cdef const uint8_t *pp = <const uint8_t*> _int_buf(
        positions, cnp.NPY_UINT8, out, False, "positions",
        "a C-contiguous uint8 array like y")
    cdef int nt = _threads(nthreads)
    with nogil:
        cpool.fc_max_pool2x2_relu_backward(<core.fc_dtype> dt, &p, pdy, py, pp, pdx, nt)
    return dx


# ------------------------------------------------------------------ average pooling

cdef tuple _NO_DILATION = (1, 1)


cdef cpool.fc_pool2d_params _avg_pool_params(tuple geom, int *cip, int64_t *divisor) except *:
    """geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override)."""
    if len(geom) != 14:
        raise ValueError("fastconv._cpu: avg pool geometry needs 14 integers")
    cdef cpool.fc_pool2d_params p = _pool_params(geom[:12] + _NO_DILATION)
    with_pad, override = geom[12], geom[13]
    if (type(with_pad) is not int or type(override) is not int or with_pad not in (0, 1)
            or not -2**31 < override < 2**31):
        raise ValueError("fastconv._cpu: count_include_pad must be 0 or 1 and "
                         "divisor_override an int below 2**31 in %r" % (geom,))
    cip[0] = with_pad
    divisor[0] = override
    return p


def avg_pool2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                       int nthreads=1):
    """y = each window's sum / its divisor (PyTorch's rules)."""
    cdef int cip
    cdef int64_t divisor
    cdef cpool.fc_pool2d_params p = _avg_pool_params(geom, &cip, &divisor)
    cdef int dt = _dtype_code(x)
    cdef void *py = _out(y, dt, p.n * p.c * p.oh * p.ow, "y")
    cdef void *px = _buf(x, dt, p.n * p.c * p.h * p.w, "x")
    cdef int nt = _threads(nthreads)
    cdef int rc
    with nogil:
        rc = cpool.fc_avg_pool2d_forward(<core.fc_dtype> dt, &p, cip, divisor, px, py, nt)
    _check_rc(rc)
    return y


def avg_pool2d_backward(tuple geom, cnp.ndarray dy not None, cnp.ndarray dx not None,
                        int nthreads=1):
    """dx = dy / divisor spread over each window's inputs; writes all of dx."""
    cdef int cip
    cdef int64_t divisor
    cdef cpool.fc_pool2d_params p = _avg_pool_params(geom, &cip, &divisor)
    cdef int dt = _dtype_code(dy)
    cdef void *pdx = _out(dx, dt, p.n * p.c * p.h * p.w, "dx")
    cdef void *pdy = _buf(dy, dt, p.n * p.c * p.oh * p.ow, "grad_output")
    cdef int nt = _threads(nthreads)
    cdef int rc
    with nogil:
        rc = cpool.fc_avg_pool2d_backward(<core.fc_dtype> dt, &p, cip, divisor, pdy, pdx, nt)
    _check_rc(rc)
    return dx


# ------------------------------------------------------------------ adaptive pooling

cdef cpool.fc_adaptive_pool2d_params _adaptive_params(tuple geom) except *:
    """geom = (n, c, h, w, oh, ow)."""
    cdef cpool.fc_adaptive_pool2d_params p
    if len(geom) != 6:
        raise ValueError("fastconv._cpu: adaptive pool geometry needs 6 integers")
    p.n, p.c, p.h, p.w, p.oh, p.ow = geom
    if p.n < 0 or p.c < 1 or p.h < 1 or p.w < 1 or p.oh < 1 or p.ow < 1:
        raise ValueError("fastconv._cpu: invalid adaptive pool geometry %r" % (geom,))
    n, c, h, w, oh, ow = (int(v) for v in geom)
    _check_ranges(geom, (n * c * h * w, n * c * oh * ow), "adaptive pool")
    return p


def adaptive_avg_pool2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                                int nthreads=1):
    """y = the mean of each adaptive window."""
    cdef cpool.fc_adaptive_pool2d_params p = _adaptive_params(geom)
    cdef int dt = _dtype_code(x)
    cdef void *py = _out(y, dt, p.n * p.c * p.oh * p.ow, "y")
    cdef void *px = _buf(x, dt, p.n * p.c * p.h * p.w, "x")
    cdef int nt = _threads(nthreads)
    cdef int rc
    with nogil:
        rc = cpool.fc_adaptive_avg_pool2d_forward(<core.fc_dtype> dt, &p, px, py, nt)
    _check_rc(rc)
    return y


def adaptive_avg_pool2d_backward(tuple geom, cnp.ndarray dy not None,
                                 cnp.ndarray dx not None, int nthreads=1):
    """dx = dy / window count spread over each adaptive window; writes all of dx."""
    cdef cpool.fc_adaptive_pool2d_params p = _adaptive_params(geom)
    cdef int dt = _dtype_code(dy)
    cdef void *pdx = _out(dx, dt, p.n * p.c * p.h * p.w, "dx")
    cdef void *pdy = _buf(dy, dt, p.n * p.c * p.oh * p.ow, "grad_output")
    cdef int nt = _threads(nthreads)
    cdef int rc
    with nogil:
        rc = cpool.fc_adaptive_avg_pool2d_backward(<core.fc_dtype> dt, &p, pdy, pdx, nt)
    _check_rc(rc)
    return dx


def adaptive_max_pool2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                                object indices, int nthreads=1):
    """y = each adaptive window's maximum; indices (int64 or None) its flat plane offset."""
    cdef cpool.fc_adaptive_pool2d_params p = _adaptive_params(geom)
    cdef int dt = _dtype_code(x)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    cdef void *py = _out(y, dt, out, "y")
    cdef void *px = _buf(x, dt, p.n * p.c * p.h * p.w, "x")
    cdef int64_t *pidx = NULL
    if indices is not None:
        pidx = <int64_t*> _int_buf(indices, cnp.NPY_INT64, out, True, "indices",
                                   "a C-contiguous int64 array like y")
    cdef int nt = _threads(nthreads)
    cdef int rc
    with nogil:
        rc = cpool.fc_adaptive_max_pool2d_forward(<core.fc_dtype> dt, &p, px, py, pidx, nt)
    _check_rc(rc)
    return y


def adaptive_max_pool2d_backward(tuple geom, cnp.ndarray dy not None,
                                 cnp.ndarray indices not None, cnp.ndarray dx not None,
                                 int nthreads=1):
    """dx = dy scattered (added) into the argmax positions; writes all of dx."""
    cdef cpool.fc_adaptive_pool2d_params p = _adaptive_params(geom)
    cdef int dt = _dtype_code(dy)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    cdef void *pdx = _out(dx, dt, p.n * p.c * p.h * p.w, "dx")
    cdef void *pdy = _buf(dy, dt, out, "grad_output")
    cdef const int64_t *pidx = <const int64_t*> _int_buf(
        indices, cnp.NPY_INT64, out, False, "indices", "a C-contiguous int64 array like dy")
    # an index outside its plane would write out of bounds (see max_pool2d_backward)
    if out > 0 and (indices.min() < 0 or indices.max() >= p.h * p.w):
        raise ValueError("fastconv._cpu: indices out of range for a %dx%d input plane"
                         % (p.h, p.w))
    cdef int nt = _threads(nthreads)
    with nogil:
        cpool.fc_adaptive_max_pool2d_backward(<core.fc_dtype> dt, &p, pdy, pidx, pdx, nt)
    return dx
