# Batch normalisation (csrc/include/fastconv/norm.h). Included by _cpu.pyx.
cimport fastconv._c_norm as cnorm


cdef void _bn_geometry(tuple geom, int64_t *n, int64_t *c, int64_t *s) except *:
    """geom = (n, c, s): n >= 0 images, c >= 1 channels, s >= 1 values per channel."""
    if len(geom) != 3:
        raise ValueError("fastconv._cpu: batch-norm geometry needs 3 integers")
    n[0], c[0], s[0] = geom
    if n[0] < 0 or c[0] < 1 or s[0] < 1:
        raise ValueError("fastconv._cpu: invalid batch-norm geometry %r" % (geom,))
    _check_ranges((), (int(geom[0]) * int(geom[1]) * int(geom[2]),), "batch-norm")


cdef void* _opt_buf(object a, int code, int64_t size, str name, bint write) except? NULL:
    """_buf / _out for an optional per-channel array: NULL for None."""
    if a is None:
        return NULL
    if write:
        return _out(<cnp.ndarray?> a, code, size, name)
    return _buf(<cnp.ndarray?> a, code, size, name)


def batch_norm_forward_train(tuple geom, cnp.ndarray x not None, object weight, object bias,
                             double eps, double momentum, object running_mean,
                             object running_var, bint relu, cnp.ndarray y not None,
                             cnp.ndarray mean not None, cnp.ndarray invstd not None,
                             int nthreads=1):
    """Batch statistics, y = normalised x (+ ReLU), running stats updated in place."""
    cdef int64_t n, c, s
    _bn_geometry(geom, &n, &c, &s)
    if n * s < 2:
        raise ValueError("fastconv._cpu: training batch norm needs 2 or more values per "
                         "channel")
    cdef int dt = _dtype_code(x)
    cdef void *px = _buf(x, dt, n * c * s, "x")
    cdef void *py = _out(y, dt, n * c * s, "y")
    cdef void *pw = _opt_buf(weight, dt, c, "weight", False)
    cdef void *pb = _opt_buf(bias, dt, c, "bias", False)
    cdef void *prm = _opt_buf(running_mean, dt, c, "running_mean", True)
    cdef void *prv = _opt_buf(running_var, dt, c, "running_var", True)
    cdef void *pm = _out(mean, dt, c, "mean")
    cdef void *pi = _out(invstd, dt, c, "invstd")
    cdef int nt = _threads(nthreads), rc
    with nogil:
        rc = cnorm.fc_batch_norm_forward_train(<core.fc_dtype> dt, n, c, s, px, pw, pb, eps,
                                               momentum, prm, prv, relu, py, pm, pi, nt)
    _check_rc(rc)
    return y


def batch_norm_forward_eval(tuple geom, cnp.ndarray x not None, cnp.ndarray mean not None,
                            cnp.ndarray invstd not None, object weight, object bias,
                            bint relu, cnp.ndarray y not None, int nthreads=1):
    """y = (x - mean) * invstd * weight + bias (+ ReLU) with given statistics, one pass."""
    cdef int64_t n, c, s
    _bn_geometry(geom, &n, &c, &s)
    cdef int dt = _dtype_code(x)
    cdef void *px = _buf(x, dt, n * c * s, "x")
    cdef void *py = _out(y, dt, n * c * s, "y")
    cdef void *pm = _buf(mean, dt, c, "mean")
    cdef void *pi = _buf(invstd, dt, c, "invstd")
    cdef void *pw = _opt_buf(weight, dt, c, "weight", False)
    cdef void *pb = _opt_buf(bias, dt, c, "bias", False)
    cdef int nt = _threads(nthreads), rc
    with nogil:
        rc = cnorm.fc_batch_norm_forward_eval(<core.fc_dtype> dt, n, c, s, px, pm, pi, pw,
                                              pb, relu, py, nt)
    _check_rc(rc)
    return y


def batch_norm_backward(tuple geom, cnp.ndarray dy not None, cnp.ndarray x not None,
                        cnp.ndarray mean not None, cnp.ndarray invstd not None,
                        object weight, object bias, bint relu, bint training, object dx,
                        object dweight, object dbias, int nthreads=1):
    """Gradients of either forward into dx, dweight, dbias (each optional: None skips it);
    returns dx."""
    cdef int64_t n, c, s
    _bn_geometry(geom, &n, &c, &s)
    cdef int dt = _dtype_code(dy)
    cdef void *pdy = _buf(dy, dt, n * c * s, "grad_output")
    cdef void *px = _buf(x, dt, n * c * s, "x")
    cdef void *pm = _buf(mean, dt, c, "mean")
    cdef void *pi = _buf(invstd, dt, c, "invstd")
    cdef void *pw = _opt_buf(weight, dt, c, "weight", False)
    cdef void *pb = _opt_buf(bias, dt, c, "bias", False)
    cdef void *pdx = _opt_buf(dx, dt, n * c * s, "dx", True)
    cdef void *pdw = _opt_buf(dweight, dt, c, "dweight", True)
    cdef void *pdb = _opt_buf(dbias, dt, c, "dbias", True)
    cdef int nt = _threads(nthreads), rc
    if training and n * s < 1:
        raise ValueError("fastconv._cpu: training batch norm needs values in each channel")
    with nogil:
        rc = cnorm.fc_batch_norm_backward(<core.fc_dtype> dt, n, c, s, pdy, px, pm, pi, pw,
                                          pb, relu, training, pdx, pdw, pdb, nt)
    _check_rc(rc)
    return dx
