# Resampling (csrc/include/fastconv/resample.h). Included by _cpu.pyx.
cimport fastconv._c_resample as crs


cdef void _plane_geometry(tuple geom, int64_t *g) except *:
    """geom = (planes, h, w, oh, ow), every value >= 1, into g[0..4]."""
    if len(geom) != 5:
        raise ValueError("fastconv._cpu: resample geometry needs 5 integers")
    for k in range(5):
        g[k] = geom[k]
        if g[k] < 1:
            raise ValueError("fastconv._cpu: invalid resample geometry %r" % (geom,))
    _check_ranges(geom, (int(geom[0]) * int(geom[1]) * int(geom[2]),
                         int(geom[0]) * int(geom[3]) * int(geom[4])), "resample")


cdef const int64_t* _index_map(object a, int64_t count, int64_t low, int64_t size,
                               str name) except NULL:
    """An int64 index map of `count` entries, each in [low, size): checked here, so that
    no kernel can read or write outside its planes."""
    cdef const int64_t *p = <const int64_t*> _int_buf(
        a, cnp.NPY_INT64, count, False, name, "a C-contiguous int64 array of %d entries"
        % count)
    cdef int64_t i
    for i in range(count):
        if p[i] < low or p[i] >= size:
            raise ValueError("fastconv._cpu: %s[%d] = %d is outside [%d, %d)"
                             % (name, i, p[i], low, size))
    return p


def gather2d_forward(tuple geom, object rows, object cols, double value,
                     cnp.ndarray x not None, cnp.ndarray y not None, int nthreads=1):
    """y[p, i, j] = x[p, rows[i], cols[j]], or value where an index is -1."""
    cdef int64_t g[5]
    _plane_geometry(geom, g)
    cdef const int64_t *pr = _index_map(rows, g[3], -1, g[1], "rows")
    cdef const int64_t *pc = _index_map(cols, g[4], -1, g[2], "cols")
    cdef int dt = _dtype_code(x)
    cdef void *px = _buf(x, dt, g[0] * g[1] * g[2], "x")
    cdef void *py = _out(y, dt, g[0] * g[3] * g[4], "y")
    cdef int nt = _threads(nthreads)
    with nogil:
        crs.fc_gather2d_forward(<core.fc_dtype> dt, g[0], g[1], g[2], g[3], g[4], pr, pc,
                                value, px, py, nt)
    return y


def gather2d_backward(tuple geom, object rows, object cols, cnp.ndarray dy not None,
                      cnp.ndarray dx not None, int nthreads=1):
    """dx = 0, then dy added into the positions gather2d_forward read."""
    cdef int64_t g[5]
    _plane_geometry(geom, g)
    cdef const int64_t *pr = _index_map(rows, g[3], -1, g[1], "rows")
    cdef const int64_t *pc = _index_map(cols, g[4], -1, g[2], "cols")
    cdef int dt = _dtype_code(dy)
    cdef void *pdy = _buf(dy, dt, g[0] * g[3] * g[4], "grad_output")
    cdef void *pdx = _out(dx, dt, g[0] * g[1] * g[2], "dx")
    cdef int nt = _threads(nthreads)
    with nogil:
        crs.fc_gather2d_backward(<core.fc_dtype> dt, g[0], g[1], g[2], g[3], g[4], pr, pc,
                                 pdy, pdx, nt)
    return dx


def linear2d_forward(tuple geom, object rows, object cols, cnp.ndarray row_weights not None,
                     cnp.ndarray col_weights not None, cnp.ndarray x not None,
                     cnp.ndarray y not None, int nthreads=1):
    """Separable linear interpolation with two taps per row and per column."""
    cdef int64_t g[5]
    _plane_geometry(geom, g)
    cdef const int64_t *pr = _index_map(rows, 2 * g[3], 0, g[1], "rows")
    cdef const int64_t *pc = _index_map(cols, 2 * g[4], 0, g[2], "cols")
    cdef int dt = _dtype_code(x)
    cdef void *prw = _buf(row_weights, dt, 2 * g[3], "row_weights")
    cdef void *pcw = _buf(col_weights, dt, 2 * g[4], "col_weights")
    cdef void *px = _buf(x, dt, g[0] * g[1] * g[2], "x")
    cdef void *py = _out(y, dt, g[0] * g[3] * g[4], "y")
    cdef int nt = _threads(nthreads), rc
    with nogil:
        rc = crs.fc_linear2d_forward(<core.fc_dtype> dt, g[0], g[1], g[2], g[3], g[4], pr,
                                     pc, prw, pcw, px, py, nt)
    _check_rc(rc)
    return y


def linear2d_backward(tuple geom, object rows, object cols,
                      cnp.ndarray row_weights not None, cnp.ndarray col_weights not None,
                      cnp.ndarray dy not None, cnp.ndarray dx not None, int nthreads=1):
    """The adjoint of linear2d_forward: dx = 0, then every dy spread over its taps."""
    cdef int64_t g[5]
    _plane_geometry(geom, g)
    cdef const int64_t *pr = _index_map(rows, 2 * g[3], 0, g[1], "rows")
    cdef const int64_t *pc = _index_map(cols, 2 * g[4], 0, g[2], "cols")
    cdef int dt = _dtype_code(dy)
    cdef void *prw = _buf(row_weights, dt, 2 * g[3], "row_weights")
    cdef void *pcw = _buf(col_weights, dt, 2 * g[4], "col_weights")
    cdef void *pdy = _buf(dy, dt, g[0] * g[3] * g[4], "grad_output")
    cdef void *pdx = _out(dx, dt, g[0] * g[1] * g[2], "dx")
    cdef int nt = _threads(nthreads), rc
    with nogil:
        rc = crs.fc_linear2d_backward(<core.fc_dtype> dt, g[0], g[1], g[2], g[3], g[4], pr,
                                      pc, prw, pcw, pdy, pdx, nt)
    _check_rc(rc)
    return dx


cdef void _grid_geometry(tuple geom, int mode, int padding, int64_t *g) except *:
    """geom = (n, c, h, w, oh, ow), every value >= 1; mode 0/1, padding 0/1/2."""
    if len(geom) != 6:
        raise ValueError("fastconv._cpu: grid_sample geometry needs 6 integers")
    for k in range(6):
        g[k] = geom[k]
        if g[k] < 1:
            raise ValueError("fastconv._cpu: invalid grid_sample geometry %r" % (geom,))
    if mode not in (0, 1) or padding not in (0, 1, 2):
        raise ValueError("fastconv._cpu: grid_sample mode %r / padding %r out of range"
                         % (mode, padding))
    n, c, h, w, oh, ow = (int(v) for v in geom)
    _check_ranges(geom, (n * c * h * w, n * c * oh * ow, n * oh * ow * 2), "grid_sample")


def grid_sample2d_forward(tuple geom, int mode, int padding_mode, bint align_corners,
                          cnp.ndarray x not None, cnp.ndarray grid not None,
                          cnp.ndarray y not None, int nthreads=1):
    """y = x sampled at grid (PyTorch's grid_sample, 4-D)."""
    cdef int64_t g[6]
    _grid_geometry(geom, mode, padding_mode, g)
    cdef int dt = _dtype_code(x)
    cdef void *px = _buf(x, dt, g[0] * g[1] * g[2] * g[3], "x")
    cdef void *pg = _buf(grid, dt, g[0] * g[4] * g[5] * 2, "grid")
    cdef void *py = _out(y, dt, g[0] * g[1] * g[4] * g[5], "y")
    cdef int nt = _threads(nthreads), rc
    with nogil:
        rc = crs.fc_grid_sample2d_forward(<core.fc_dtype> dt, g[0], g[1], g[2], g[3], g[4],
                                          g[5], <crs.fc_grid_mode> mode,
                                          <crs.fc_grid_padding> padding_mode, align_corners,
                                          px, pg, py, nt)
    _check_rc(rc)
    return y


def grid_sample2d_backward(tuple geom, int mode, int padding_mode, bint align_corners,
                           cnp.ndarray dy not None, cnp.ndarray x not None,
                           cnp.ndarray grid not None, object dx, object dgrid,
                           int nthreads=1):
    """Gradients of grid_sample2d_forward into dx and dgrid (either may be None)."""
    cdef int64_t g[6]
    _grid_geometry(geom, mode, padding_mode, g)
    cdef int dt = _dtype_code(x)
    cdef void *pdy = _buf(dy, dt, g[0] * g[1] * g[4] * g[5], "grad_output")
    cdef void *px = _buf(x, dt, g[0] * g[1] * g[2] * g[3], "x")
    cdef void *pg = _buf(grid, dt, g[0] * g[4] * g[5] * 2, "grid")
    cdef void *pdx = NULL
    cdef void *pdg = NULL
    if dx is not None:
        pdx = _out(<cnp.ndarray?> dx, dt, g[0] * g[1] * g[2] * g[3], "dx")
    if dgrid is not None:
        pdg = _out(<cnp.ndarray?> dgrid, dt, g[0] * g[4] * g[5] * 2, "dgrid")
    cdef int nt = _threads(nthreads), rc
    with nogil:
        rc = crs.fc_grid_sample2d_backward(<core.fc_dtype> dt, g[0], g[1], g[2], g[3],
                                           g[4], g[5], <crs.fc_grid_mode> mode,
                                           <crs.fc_grid_padding> padding_mode,
                                           align_corners, pdy, px, pg, pdx, pdg, nt)
    _check_rc(rc)
    return dx, dgrid
