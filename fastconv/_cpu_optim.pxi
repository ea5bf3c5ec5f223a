# Optimizer updates (csrc/include/fastconv/optim.h). Included by _cpu.pyx.
cimport fastconv._c_optim as coptim


def sgd_update(cnp.ndarray p not None, cnp.ndarray g not None, object buf, double lr,
               double momentum, bint first, int nthreads=1):
    """One SGD step of parameter p in place (see fc_sgd_update); buf None: no momentum."""
    cdef int dt = _dtype_code(p)
    cdef int64_t size = cnp.PyArray_SIZE(p)
    cdef void *pp = _out(p, dt, size, "p")
    cdef void *pg = _buf(g, dt, size, "g")
    cdef void *pb = NULL
    if buf is not None:
        pb = _out(<cnp.ndarray?> buf, dt, size, "buf")
    cdef int nt = _threads(nthreads)
    with nogil:
        coptim.fc_sgd_update(<core.fc_dtype> dt, size, pp, pg, pb, lr, momentum, first, nt)
