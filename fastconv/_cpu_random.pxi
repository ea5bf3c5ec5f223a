# Random masks (csrc/include/fastconv/random.h). Included by _cpu.pyx.
from libc.stdint cimport uint64_t
cimport fastconv._c_random as crandom


cdef void _dropout_geometry(tuple geom, int64_t *planes, int64_t *plane_size) except *:
    """geom = (planes, plane_size): planes >= 0 masked as a whole, plane_size >= 1 each."""
    if len(geom) != 2:
        raise ValueError("fastconv._cpu: dropout geometry needs 2 integers")
    planes[0], plane_size[0] = geom
    if planes[0] < 0 or plane_size[0] < 1:
        raise ValueError("fastconv._cpu: invalid dropout geometry %r" % (geom,))
    _check_ranges((), (int(geom[0]) * int(geom[1]),), "dropout")


def dropout_forward(tuple geom, cnp.ndarray x not None, double p, uint64_t seed,
                    cnp.ndarray y not None, object mask, int nthreads=1):
    """mask (uint8, one per plane) drawn from seed, y = x * mask / (1 - p)."""
    cdef int64_t planes, ps
    _dropout_geometry(geom, &planes, &ps)
    if not 0.0 <= p <= 1.0:
        raise ValueError("fastconv._cpu: dropout p must be in [0, 1]")
    cdef int dt = _dtype_code(x)
    cdef void *px = _buf(x, dt, planes * ps, "x")
    cdef void *py = _out(y, dt, planes * ps, "y")
    cdef uint8_t *pm = <uint8_t*> _int_buf(mask, cnp.NPY_UINT8, planes, True, "mask",
                                           "a C-contiguous uint8 array of %d" % planes)
    cdef int nt = _threads(nthreads)
    with nogil:
        crandom.fc_dropout_forward(<core.fc_dtype> dt, planes, ps, px, p, seed, py, pm, nt)
    return y


def dropout_backward(tuple geom, cnp.ndarray dy not None, object mask, double scale,
                     cnp.ndarray dx not None, int nthreads=1):
    """dx = dy * (mask ? scale : 0)."""
    cdef int64_t planes, ps
    _dropout_geometry(geom, &planes, &ps)
    cdef int dt = _dtype_code(dy)
    cdef void *pdy = _buf(dy, dt, planes * ps, "grad_output")
    cdef void *pdx = _out(dx, dt, planes * ps, "dx")
    cdef const uint8_t *pm = <const uint8_t*> _int_buf(
        mask, cnp.NPY_UINT8, planes, False, "mask",
        "a C-contiguous uint8 array of %d" % planes)
    cdef int nt = _threads(nthreads)
    with nogil:
        crandom.fc_dropout_backward(<core.fc_dtype> dt, planes, ps, pdy, pm, scale, pdx, nt)
    return dx
