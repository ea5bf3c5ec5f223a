# Cython declarations of csrc/include/fastconv/resample.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/resample.h" nogil:
    ctypedef enum fc_grid_mode:
        FC_GRID_BILINEAR
        FC_GRID_NEAREST
    ctypedef enum fc_grid_padding:
        FC_GRID_ZEROS
        FC_GRID_BORDER
        FC_GRID_REFLECTION

    void fc_gather2d_forward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                             int64_t ow, const int64_t *rows, const int64_t *cols,
                             double value, const void *x, void *y, int nthreads)
    void fc_gather2d_backward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                              int64_t ow, const int64_t *rows, const int64_t *cols,
                              const void *dy, void *dx, int nthreads)
    int fc_linear2d_forward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                            int64_t ow, const int64_t *rows, const int64_t *cols,
                            const void *rw, const void *cw, const void *x, void *y,
                            int nthreads)
    int fc_linear2d_backward(fc_dtype dt, int64_t planes, int64_t h, int64_t w, int64_t oh,
                             int64_t ow, const int64_t *rows, const int64_t *cols,
                             const void *rw, const void *cw, const void *dy, void *dx,
                             int nthreads)
    int fc_grid_sample2d_forward(fc_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w,
                                 int64_t oh, int64_t ow, fc_grid_mode mode,
                                 fc_grid_padding padding, int align_corners, const void *x,
                                 const void *grid, void *y, int nthreads)
    int fc_grid_sample2d_backward(fc_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w,
                                  int64_t oh, int64_t ow, fc_grid_mode mode,
                                  fc_grid_padding padding, int align_corners, const void *dy,
                                  const void *x, const void *grid, void *dx, void *dgrid,
                                  int nthreads)
