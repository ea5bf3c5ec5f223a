# Losses (csrc/include/fastconv/loss.h). Included by _cpu.pyx.
cimport fastconv._c_loss as closs


cdef const int64_t *_targets(object t, int64_t n) except NULL:
    return <const int64_t*> _int_buf(t, cnp.NPY_INT64, n, False, "targets",
                                     "a C-contiguous int64 array of %d" % n)


def class_target_error(cnp.ndarray t not None, int64_t classes, int64_t ignore_index):
    """Position of the first target outside [0, classes) and not ignore_index, or -1."""
    cdef int64_t n = cnp.PyArray_SIZE(t)
    if n == 0:
        return -1
    return closs.fc_class_target_error(n, _targets(t, n), classes, ignore_index)


def cross_entropy_forward(cnp.ndarray x not None, cnp.ndarray t not None,
                          int64_t ignore_index, cnp.ndarray logp not None):
    """logp = log_softmax(x) (x: n x c, t: n validated targets); returns (sum over kept
    rows of -logp[i, t[i]], kept row count)."""
    cdef int dt = _dtype_code(x)
    if cnp.PyArray_NDIM(x) != 2:
        raise ValueError("fastconv._cpu: scores must be 2-D")
    cdef int64_t n = x.shape[0], c = x.shape[1], count = 0
    cdef void *px = _buf(x, dt, n * c, "x")
    cdef void *pl = _out(logp, dt, n * c, "logp")
    cdef const int64_t *pt = _targets(t, n)
    cdef double total = closs.fc_cross_entropy_forward(<core.fc_dtype> dt, n, c, px, pt,
                                                       ignore_index, pl, &count)
    return total, count


def cross_entropy_backward(cnp.ndarray logp not None, cnp.ndarray t not None,
                           int64_t ignore_index, double grad, double denom,
                           cnp.ndarray dx not None):
    """dx = (exp(logp) - onehot(t)) * ((grad * kept) / denom); writes into dx."""
    cdef int dt = _dtype_code(logp)
    if cnp.PyArray_NDIM(logp) != 2:
        raise ValueError("fastconv._cpu: logp must be 2-D")
    cdef int64_t n = logp.shape[0], c = logp.shape[1]
    cdef void *pl = _buf(logp, dt, n * c, "logp")
    cdef void *pd = _out(dx, dt, n * c, "dx")
    cdef const int64_t *pt = _targets(t, n)
    closs.fc_cross_entropy_backward(<core.fc_dtype> dt, n, c, pl, pt, ignore_index, grad,
                                    denom, pd)
    return dx
