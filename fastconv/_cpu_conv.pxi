# 2-D convolution (csrc/include/fastconv/conv.h). Included by _cpu.pyx.
cimport fastconv._c_conv as cconv


cdef cconv.fc_conv2d_params _conv_params(tuple geom) except *:
    """geom = (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups)."""
    cdef cconv.fc_conv2d_params p
    if len(geom) != 16:
        raise ValueError("fastconv._cpu: conv geometry needs 16 integers")
    (p.n, p.c_in, p.h, p.w, p.c_out, p.kh, p.kw, p.oh, p.ow,
     p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w, p.groups) = geom
    if (p.n < 0 or p.c_in < 1 or p.h < 1 or p.w < 1 or p.c_out < 1 or p.kh < 1 or p.kw < 1
            or p.oh < 1 or p.ow < 1 or p.stride_h < 1 or p.stride_w < 1 or p.pad_h < 0
            or p.pad_w < 0 or p.dil_h < 1 or p.dil_w < 1 or p.groups < 1
            or p.c_in % p.groups or p.c_out % p.groups):
        raise ValueError("fastconv._cpu: invalid conv geometry %r" % (geom,))
    n, c_in, h, w, c_out, kh, kw, oh, ow = (int(v) for v in geom[:9])
    _check_ranges(geom, (n * c_in * h * w, n * c_out * oh * ow, c_out * c_in * kh * kw,
                         c_in * kh * kw * oh * ow), "conv")
    return p


cdef inline int64_t _x_size(const cconv.fc_conv2d_params *p) noexcept:
    return p.n * p.c_in * p.h * p.w


cdef inline int64_t _y_size(const cconv.fc_conv2d_params *p) noexcept:
    return p.n * p.c_out * p.oh * p.ow


cdef inline int64_t _w_size(const cconv.fc_conv2d_params *p) noexcept:
    return p.c_out * (p.c_in // p.groups) * p.kh * p.kw


_CONV_PASSES = {"forward": cconv.FC_CONV_FORWARD, "data": cconv.FC_CONV_DATA,
                "weight": cconv.FC_CONV_WEIGHT, "relu_pool2x2": cconv.FC_CONV_RELU_POOL2X2}


def conv2d_algorithm(tuple geom, str pass_, dtype="float32") -> str:
    """The algorithm the native kernels run for that pass of this geometry, in dtype
    (float32 or float64), under the capability record now: "implicit_gemm",
    "gemm_col2im", "winograd", "direct", "direct_blocked_s2", "direct_rows",
    "direct_few_taps", or for pass_ "relu_pool2x2" also "unfused" (conv2d_relu_max_pool2x2
    then returns False). pass_ is "forward", "data", "weight" or "relu_pool2x2"."""
    if pass_ not in _CONV_PASSES:
        raise ValueError("fastconv._cpu: pass_ must be one of %s, got %r"
                         % (sorted(_CONV_PASSES), pass_))
    dt = np.dtype(dtype)
    if dt != np.float32 and dt != np.float64:
        raise TypeError("fastconv._cpu: dtype must be float32 or float64, got %s" % dt)
    cdef cconv.fc_conv2d_params p = _conv_params(geom)
    cdef core.fc_dtype code = core.FC_F32 if dt == np.float32 else core.FC_F64
    return cconv.fc_conv2d_algorithm_name(
        cconv.fc_conv2d_algorithm(&p, _CONV_PASSES[pass_], code)).decode()


def conv2d_uses_winograd(tuple geom, str pass_) -> bool:
    """True when that pass ("forward", "data" or "weight") of this geometry runs on
    Winograd F(2x2, 3x3) (in float64, where no direct kernel competes). Kept for old
    callers: conv2d_algorithm tells every algorithm."""
    if pass_ not in ("forward", "data", "weight"):
        raise ValueError("fastconv._cpu: pass_ must be one of %s, got %r"
                         % (["data", "forward", "weight"], pass_))
    return conv2d_algorithm(geom, pass_, "float64") == "winograd"


def set_conv2d_winograd(bint enabled) -> bool:
    """Allow (the default) or forbid Winograd in later conv2d calls; returns the previous
    setting. Kept for old callers: set_capabilities(winograd=...) is the same."""
    return set_capabilities(winograd=bool(enabled))["winograd"]


def conv2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray w not None, object bias,
                   cnp.ndarray y not None,
                   bint relu=False, int nthreads=1):
    """y = conv2d(x, w) + bias, optionally followed by ReLU; writes into y."""
    cdef cconv.fc_conv2d_params p = _conv_params(geom)
    cdef int dt = _dtype_code(x)
    cdef void *py = _out(y, dt, _y_size(&p), "y")
    cdef void *px = _buf(x, dt, _x_size(&p), "x")
    cdef void *pw = _buf(w, dt, _w_size(&p), "weight")
    cdef void *pb = NULL
    if bias is not None:
        pb = _buf(<cnp.ndarray?> bias, dt, p.c_out, "bias")
    cdef int rc, nt = _threads(nthreads)
    with nogil:
        rc = cconv.fc_conv2d_forward(<core.fc_dtype> dt, &p, px, pw, pb, py, relu, nt)
    _check_rc(rc)
    return y


def conv2d_relu_max_pool2x2(tuple geom, cnp.ndarray x not None, cnp.ndarray w not None,
                            object bias, cnp.ndarray pooled not None,
                            cnp.ndarray positions not None, int nthreads=1):
    """max_pool2x2(relu(conv2d(x, w) + bias)) in one pass where a fused kernel covers the
    layer (float32 layers of the direct kernel): True, with pooled and positions written;
    False (nothing written) elsewhere."""
    cdef cconv.fc_conv2d_params p = _conv_params(geom)
    cdef int dt = _dtype_code(x)
    cdef int64_t out = p.n * p.c_out * (p.oh // 2) * (p.ow // 2)
    cdef void *pp = _out(pooled, dt, out, "pooled")
    cdef uint8_t *pq = <uint8_t*> _int_buf(positions, cnp.NPY_UINT8, out, True, "positions",
                                           "a C-contiguous uint8 array like y")
    cdef void *px = _buf(x, dt, _x_size(&p), "x")
    cdef void *pw = _buf(w, dt, _w_size(&p), "weight")
    cdef void *pb = NULL
    if bias is not None:
        pb = _buf(<cnp.ndarray?> bias, dt, p.c_out, "bias")
    if cconv.fc_conv2d_algorithm(&p, cconv.FC_CONV_RELU_POOL2X2,
                                 <core.fc_dtype> dt) == cconv.FC_CONV_UNFUSED:
        return False
    cdef int rc, nt = _threads(nthreads)
    with nogil:
        rc = cconv.fc_conv2d_relu_pool2x2(<core.fc_dtype> dt, &p, px, pw, pb, pp, pq, nt)
    if rc == cconv.FC_ENOSYS:   # the settings changed since the question above
        return False
    _check_rc(rc)
    return True


def conv2d_backward_data(tuple geom, cnp.ndarray dy not None, cnp.ndarray w not None,
                         cnp.ndarray dx not None,
                         int nthreads=1):
    """dx = gradient of conv2d with respect to its input; writes into dx."""
    cdef cconv.fc_conv2d_params p = _conv_params(geom)
    cdef int dt = _dtype_code(dy)
    cdef void *pdx = _out(dx, dt, _x_size(&p), "dx")
    cdef void *pdy = _buf(dy, dt, _y_size(&p), "grad_output")
    cdef void *pw = _buf(w, dt, _w_size(&p), "weight")
    cdef int rc, nt = _threads(nthreads)
    with nogil:
        rc = cconv.fc_conv2d_backward_data(<core.fc_dtype> dt, &p, pdy, pw, pdx, nt)
    _check_rc(rc)
    return dx


def conv2d_backward_weight(tuple geom, cnp.ndarray x not None, cnp.ndarray dy not None,
                           cnp.ndarray dw not None,
                           int nthreads=1):
    """dw = gradient of conv2d with respect to its weight; writes into dw."""
    cdef cconv.fc_conv2d_params p = _conv_params(geom)
    cdef int dt = _dtype_code(x)
    cdef void *pdw = _out(dw, dt, _w_size(&p), "dw")
    cdef void *px = _buf(x, dt, _x_size(&p), "x")
    cdef void *pdy = _buf(dy, dt, _y_size(&p), "grad_output")
    cdef int rc, nt = _threads(nthreads)
    with nogil:
        rc = cconv.fc_conv2d_backward_weight(<core.fc_dtype> dt, &p, px, pdy, pdw, nt)
    _check_rc(rc)
    return dw


def conv2d_backward_bias(tuple geom, cnp.ndarray dy not None, cnp.ndarray db not None,
                         int nthreads=1):
    """db = sum of dy over batch and space; writes into db."""
    cdef cconv.fc_conv2d_params p = _conv_params(geom)
    cdef int dt = _dtype_code(dy)
    cdef void *pdb = _out(db, dt, p.c_out, "db")
    cdef void *pdy = _buf(dy, dt, _y_size(&p), "grad_output")
    cdef int nt = _threads(nthreads)
    with nogil:
        cconv.fc_conv2d_backward_bias(<core.fc_dtype> dt, &p, pdy, pdb, nt)
    return db
