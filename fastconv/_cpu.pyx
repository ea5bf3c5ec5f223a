# cython: language_level=3, boundscheck=False, wraparound=False
"""Thin Cython layer over csrc/: check buffers cheaply, release the GIL, call C.

Argument validation with readable messages lives in fastconv.ops; this module only
guards the C code against buffers of the wrong dtype, layout or size (a private API
misused must raise, never crash). Outputs are allocated by the caller (fastconv.ops).
"""
from libc.stdint cimport int64_t, uint8_t
cimport numpy as cnp
import operator

import numpy as np

cnp.import_array()

cdef extern from "fastconv.h" nogil:
    int FC_OK
    int FC_ENOMEM
    int FC_ENOSYS
    int fc_openmp_version()
    const char *fc_compiler()
    int fc_omp_max_threads()
    int fc_cpu_has_avx2_fma()
    const char *fc_gemm_kernel_name()

    int fc_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float beta, float *c, int64_t ldc, int nthreads)
    int fc_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                    double beta, double *c, int64_t ldc, int nthreads)

    ctypedef struct fc_conv2d_params:
        int64_t n, c_in, h, w
        int64_t c_out, kh, kw
        int64_t oh, ow
        int64_t stride_h, stride_w
        int64_t pad_h, pad_w
        int64_t dil_h, dil_w
        int64_t groups

    int fc_conv2d_forward_f32(const fc_conv2d_params *p, const float *x, const float *w,
                              const float *bias, float *y, int relu, int nthreads)
    int fc_conv2d_forward_f64(const fc_conv2d_params *p, const double *x, const double *w,
                              const double *bias, double *y, int relu, int nthreads)
    int fc_conv2d_forward_direct_f32(const fc_conv2d_params *p, const float *x,
                                     const float *w, const float *bias, float *y, int relu,
                                     int nthreads)
    int fc_conv2d_relu_pool2x2_direct_f32(const fc_conv2d_params *p, const float *x,
                                          const float *w, const float *bias, float *pooled,
                                          uint8_t *pos, int nthreads)
    int fc_conv2d_backward_weight_direct_f32(const fc_conv2d_params *p, const float *x,
                                             const float *dy, float *dw, int nthreads)
    int fc_conv2d_backward_data_f32(const fc_conv2d_params *p, const float *dy,
                                    const float *w, float *dx, int nthreads)
    int fc_conv2d_backward_data_f64(const fc_conv2d_params *p, const double *dy,
                                    const double *w, double *dx, int nthreads)
    int fc_conv2d_backward_weight_f32(const fc_conv2d_params *p, const float *x,
                                      const float *dy, float *dw, int nthreads)
    int fc_conv2d_backward_weight_f64(const fc_conv2d_params *p, const double *x,
                                      const double *dy, double *dw, int nthreads)
    int fc_conv2d_uses_winograd(const fc_conv2d_params *p, int pass_)
    int fc_conv2d_set_winograd(int enabled)
    void fc_conv2d_backward_bias_f32(const fc_conv2d_params *p, const float *dy, float *db,
                                     int nthreads)
    void fc_conv2d_backward_bias_f64(const fc_conv2d_params *p, const double *dy, double *db,
                                     int nthreads)

    ctypedef struct fc_pool2d_params:
        int64_t n, c, h, w
        int64_t oh, ow
        int64_t kh, kw
        int64_t stride_h, stride_w
        int64_t pad_h, pad_w
        int64_t dil_h, dil_w

    void fc_max_pool2d_forward_f32(const fc_pool2d_params *p, const float *x, float *y,
                                   int64_t *idx, int nthreads)
    void fc_max_pool2d_forward_f64(const fc_pool2d_params *p, const double *x, double *y,
                                   int64_t *idx, int nthreads)
    void fc_max_pool2d_backward_f32(const fc_pool2d_params *p, const float *dy,
                                    const int64_t *idx, float *dx, int nthreads)
    void fc_max_pool2d_backward_f64(const fc_pool2d_params *p, const double *dy,
                                    const int64_t *idx, double *dx, int nthreads)

    void fc_max_pool2x2_forward_f32(const fc_pool2d_params *p, const float *x, float *y,
                                    uint8_t *pos, int nthreads)
    void fc_max_pool2x2_forward_f64(const fc_pool2d_params *p, const double *x, double *y,
                                    uint8_t *pos, int nthreads)
    void fc_max_pool2x2_relu_backward_f32(const fc_pool2d_params *p, const float *dy,
                                          const float *y, const uint8_t *pos, float *dx,
                                          int nthreads)
    void fc_max_pool2x2_relu_backward_f64(const fc_pool2d_params *p, const double *dy,
                                          const double *y, const uint8_t *pos, double *dx,
                                          int nthreads)

    void fc_relu_forward_f32(int64_t size, const float *x, float *y, int nthreads)
    void fc_relu_forward_f64(int64_t size, const double *x, double *y, int nthreads)
    void fc_relu_backward_f32(int64_t size, const float *dy, const float *y, float *dx,
                              int nthreads)
    void fc_relu_backward_f64(int64_t size, const double *dy, const double *y, double *dx,
                              int nthreads)

    void fc_sgd_update_f32(int64_t size, float *p, const float *g, float *buf, float lr,
                           float momentum, int first)
    void fc_sgd_update_f64(int64_t size, double *p, const double *g, double *buf,
                           double lr, double momentum, int first)
    int64_t fc_class_target_error(int64_t n, const int64_t *t, int64_t classes,
                                  int64_t ignore)
    double fc_cross_entropy_forward_f32(int64_t n, int64_t c, const float *x,
                                        const int64_t *t, int64_t ignore, float *logp,
                                        int64_t *count)
    double fc_cross_entropy_forward_f64(int64_t n, int64_t c, const double *x,
                                        const int64_t *t, int64_t ignore, double *logp,
                                        int64_t *count)
    void fc_cross_entropy_backward_f32(int64_t n, int64_t c, const float *logp,
                                       const int64_t *t, int64_t ignore, float grad,
                                       float denom, float *dx)
    void fc_cross_entropy_backward_f64(int64_t n, int64_t c, const double *logp,
                                       const int64_t *t, int64_t ignore, double grad,
                                       double denom, double *dx)

# ------------------------------------------------------------------ buffer guards

cdef inline int _dtype_code(cnp.ndarray a) except -1:
    """0 for float32, 1 for float64; anything else raises."""
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return 0
    if t == cnp.NPY_FLOAT64:
        return 1
    raise TypeError("fastconv._cpu: expected float32 or float64, got %s" % a.dtype)


cdef inline void* _buf(cnp.ndarray a, int code, int64_t size, str name) except NULL:
    """Data pointer of `a` after checking dtype code, C-contiguity, size and writability."""
    if a is None:
        raise TypeError("fastconv._cpu: %s must be an array" % name)
    if _dtype_code(a) != code:
        raise TypeError("fastconv._cpu: %s has dtype %s, expected %s"
                        % (name, a.dtype, "float32" if code == 0 else "float64"))
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError("fastconv._cpu: %s must be C-contiguous" % name)
    if cnp.PyArray_SIZE(a) != size:
        raise ValueError("fastconv._cpu: %s has %d elements, expected %d"
                         % (name, cnp.PyArray_SIZE(a), size))
    if size == 0:
        return <void*> 1  # never dereferenced: kernels do nothing for empty work
    return cnp.PyArray_DATA(a)


cdef inline void _writable(cnp.ndarray a, str name) except *:
    if not cnp.PyArray_ISWRITEABLE(a):
        raise ValueError("fastconv._cpu: output %s is read-only" % name)


cdef inline int _threads(int nthreads) noexcept:
    return nthreads if nthreads >= 1 else 1


cdef inline void _check_rc(int rc) except *:
    if rc == FC_ENOMEM:
        raise MemoryError("fastconv: a native kernel could not allocate its scratch memory")
    if rc != FC_OK:
        raise RuntimeError("fastconv: native kernel failed with code %d" % rc)


# ------------------------------------------------------------------ runtime

def openmp_version() -> int:
    """_OPENMP of the build, 0 when the kernels were built without OpenMP."""
    return fc_openmp_version()


def compiler() -> str:
    """The compiler that built the kernels."""
    return fc_compiler().decode()


def omp_max_threads() -> int:
    """omp_get_max_threads(): honours OMP_NUM_THREADS and threadpoolctl."""
    return fc_omp_max_threads()


def cpu_has_avx2_fma() -> bool:
    return bool(fc_cpu_has_avx2_fma())


def gemm_kernel_name() -> str:
    """The GEMM micro-kernel chosen at run time for this CPU."""
    return fc_gemm_kernel_name().decode()


# ------------------------------------------------------------------ gemm

def gemm(bint trans_a, bint trans_b, cnp.ndarray a not None, cnp.ndarray b not None,
         cnp.ndarray c not None,
         double alpha=1.0, double beta=0.0, int nthreads=1):
    """c = alpha * op(a) @ op(b) + beta * c on 2-D C-contiguous arrays of one dtype."""
    if a.ndim != 2 or b.ndim != 2 or c.ndim != 2:
        raise ValueError("fastconv._cpu.gemm: a, b and c must be 2-D")
    cdef int64_t m = a.shape[1] if trans_a else a.shape[0]
    cdef int64_t k = a.shape[0] if trans_a else a.shape[1]
    cdef int64_t kb = b.shape[1] if trans_b else b.shape[0]
    cdef int64_t n = b.shape[0] if trans_b else b.shape[1]
    if kb != k or c.shape[0] != m or c.shape[1] != n:
        raise ValueError("fastconv._cpu.gemm: shapes do not match")
    cdef int code = _dtype_code(c)
    _writable(c, "c")
    cdef void *pa = _buf(a, code, a.size, "a")
    cdef void *pb = _buf(b, code, b.size, "b")
    cdef void *pc = _buf(c, code, c.size, "c")
    cdef int64_t lda = a.shape[1], ldb = b.shape[1], ldc = c.shape[1]
    cdef int rc = FC_OK
    cdef int nt = _threads(nthreads)
    if m == 0 or n == 0:
        return c
    with nogil:
        if code == 0:
            rc = fc_gemm_f32(trans_a, trans_b, m, n, k, <float> alpha, <const float*> pa, lda,
                             <const float*> pb, ldb, <float> beta, <float*> pc, ldc, nt)
        else:
            rc = fc_gemm_f64(trans_a, trans_b, m, n, k, alpha, <const double*> pa, lda,
                             <const double*> pb, ldb, beta, <double*> pc, ldc, nt)
    _check_rc(rc)
    return c


# ------------------------------------------------------------------ conv2d

cdef inline void _check_ranges(tuple geom, tuple sizes, str what) except *:
    """Geometry values below 2**31 and implied buffer sizes below 2**62 (exact Python
    arithmetic), so that no index or coordinate computed by a kernel overflows int64."""
    for v in geom:
        v = operator.index(v)  # integers only: a float would be truncated silently
        if not -2**31 < v < 2**31:
            raise ValueError("fastconv._cpu: %s geometry value %r out of range" % (what, v))
    for s in sizes:
        if s >= 2**62:
            raise ValueError("fastconv._cpu: %s geometry implies a buffer of %d elements"
                             % (what, s))


cdef fc_conv2d_params _conv_params(tuple geom) except *:
    """geom = (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups)."""
    cdef fc_conv2d_params p
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


_CONV_PASSES = {"forward": 0, "data": 1, "weight": 2}


def conv2d_uses_winograd(tuple geom, str pass_) -> bool:
    """True when that pass ("forward", "data" or "weight") of this geometry runs on
    Winograd F(2x2, 3x3) rather than implicit GEMM (so tests know what they exercise)."""
    if pass_ not in _CONV_PASSES:
        raise ValueError("fastconv._cpu: pass_ must be one of %s, got %r"
                         % (sorted(_CONV_PASSES), pass_))
    cdef fc_conv2d_params p = _conv_params(geom)
    return fc_conv2d_uses_winograd(&p, _CONV_PASSES[pass_]) != 0


def set_conv2d_winograd(bint enabled) -> bool:
    """Allow (the default) or forbid Winograd in later conv2d calls; returns the previous
    setting. Process-wide: for tests and benchmarks that compare the algorithms."""
    return fc_conv2d_set_winograd(enabled) != 0


def conv2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray w not None, object bias,
                   cnp.ndarray y not None,
                   bint relu=False, int nthreads=1):
    """y = conv2d(x, w) + bias, optionally followed by ReLU; writes into y."""
    cdef fc_conv2d_params p = _conv_params(geom)
    cdef int code = _dtype_code(x)
    _writable(y, "y")
    cdef void *px = _buf(x, code, p.n * p.c_in * p.h * p.w, "x")
    cdef void *pw = _buf(w, code, p.c_out * (p.c_in // p.groups) * p.kh * p.kw, "weight")
    cdef void *py = _buf(y, code, p.n * p.c_out * p.oh * p.ow, "y")
    cdef void *pb = NULL
    if bias is not None:
        pb = _buf(<cnp.ndarray?> bias, code, p.c_out, "bias")
    cdef int rc = FC_OK
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        return y
    with nogil:
        if code == 0:
            # the direct kernel where it covers the layer (FC_ENOSYS: it does not)
            rc = fc_conv2d_forward_direct_f32(&p, <const float*> px, <const float*> pw,
                                              <const float*> pb, <float*> py, relu, nt)
            if rc == FC_ENOSYS:
                rc = fc_conv2d_forward_f32(&p, <const float*> px, <const float*> pw,
                                           <const float*> pb, <float*> py, relu, nt)
        else:
            rc = fc_conv2d_forward_f64(&p, <const double*> px, <const double*> pw,
                                       <const double*> pb, <double*> py, relu, nt)
    _check_rc(rc)
    return y


def conv2d_relu_max_pool2x2(tuple geom, cnp.ndarray x not None, cnp.ndarray w not None,
                            object bias, cnp.ndarray pooled not None,
                            cnp.ndarray positions not None, int nthreads=1):
    """max_pool2x2(relu(conv2d(x, w) + bias)) in one pass where a fused kernel covers the
    layer (float32 layers of the direct kernel): True, with pooled and positions written;
    False (nothing written) elsewhere."""
    cdef fc_conv2d_params p = _conv_params(geom)
    cdef int code = _dtype_code(x)
    if code != 0 or p.n == 0:
        return False
    _writable(pooled, "pooled")
    cdef int64_t out = p.n * p.c_out * (p.oh // 2) * (p.ow // 2)
    cdef void *px = _buf(x, code, p.n * p.c_in * p.h * p.w, "x")
    cdef void *pw = _buf(w, code, p.c_out * (p.c_in // p.groups) * p.kh * p.kw, "weight")
    cdef void *pp = _buf(pooled, code, out, "pooled")
    cdef uint8_t *pq = _positions(positions, out, True)
    cdef void *pb = NULL
    if bias is not None:
        pb = _buf(<cnp.ndarray?> bias, code, p.c_out, "bias")
    cdef int rc
    cdef int nt = _threads(nthreads)
    with nogil:
        rc = fc_conv2d_relu_pool2x2_direct_f32(&p, <const float*> px, <const float*> pw,
                                               <const float*> pb, <float*> pp, pq, nt)
    if rc == FC_ENOSYS:
        return False
    _check_rc(rc)
    return True


def conv2d_backward_data(tuple geom, cnp.ndarray dy not None, cnp.ndarray w not None,
                         cnp.ndarray dx not None,
                         int nthreads=1):
    """dx = gradient of conv2d with respect to its input; writes into dx."""
    cdef fc_conv2d_params p = _conv_params(geom)
    cdef int code = _dtype_code(dy)
    _writable(dx, "dx")
    cdef void *pdy = _buf(dy, code, p.n * p.c_out * p.oh * p.ow, "grad_output")
    cdef void *pw = _buf(w, code, p.c_out * (p.c_in // p.groups) * p.kh * p.kw, "weight")
    cdef void *pdx = _buf(dx, code, p.n * p.c_in * p.h * p.w, "dx")
    cdef int rc = FC_OK
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        return dx
    with nogil:
        if code == 0:
            rc = fc_conv2d_backward_data_f32(&p, <const float*> pdy, <const float*> pw,
                                             <float*> pdx, nt)
        else:
            rc = fc_conv2d_backward_data_f64(&p, <const double*> pdy, <const double*> pw,
                                             <double*> pdx, nt)
    _check_rc(rc)
    return dx


def conv2d_backward_weight(tuple geom, cnp.ndarray x not None, cnp.ndarray dy not None,
                           cnp.ndarray dw not None,
                           int nthreads=1):
    """dw = gradient of conv2d with respect to its weight; writes into dw."""
    cdef fc_conv2d_params p = _conv_params(geom)
    cdef int code = _dtype_code(x)
    _writable(dw, "dw")
    cdef void *px = _buf(x, code, p.n * p.c_in * p.h * p.w, "x")
    cdef void *pdy = _buf(dy, code, p.n * p.c_out * p.oh * p.ow, "grad_output")
    cdef void *pdw = _buf(dw, code, p.c_out * (p.c_in // p.groups) * p.kh * p.kw, "dw")
    cdef int rc = FC_OK
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        dw.fill(0)
        return dw
    with nogil:
        if code == 0:
            rc = fc_conv2d_backward_weight_direct_f32(&p, <const float*> px,
                                                      <const float*> pdy, <float*> pdw, nt)
            if rc == FC_ENOSYS:
                rc = fc_conv2d_backward_weight_f32(&p, <const float*> px,
                                                   <const float*> pdy, <float*> pdw, nt)
        else:
            rc = fc_conv2d_backward_weight_f64(&p, <const double*> px, <const double*> pdy,
                                               <double*> pdw, nt)
    _check_rc(rc)
    return dw


def conv2d_backward_bias(tuple geom, cnp.ndarray dy not None, cnp.ndarray db not None,
                         int nthreads=1):
    """db = sum of dy over batch and space; writes into db."""
    cdef fc_conv2d_params p = _conv_params(geom)
    cdef int code = _dtype_code(dy)
    _writable(db, "db")
    cdef void *pdy = _buf(dy, code, p.n * p.c_out * p.oh * p.ow, "grad_output")
    cdef void *pdb = _buf(db, code, p.c_out, "db")
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        db.fill(0)
        return db
    with nogil:
        if code == 0:
            fc_conv2d_backward_bias_f32(&p, <const float*> pdy, <float*> pdb, nt)
        else:
            fc_conv2d_backward_bias_f64(&p, <const double*> pdy, <double*> pdb, nt)
    return db


# ------------------------------------------------------------------ max_pool2d

cdef fc_pool2d_params _pool_params(tuple geom) except *:
    """geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)."""
    cdef fc_pool2d_params p
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


def max_pool2d_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                       object indices, int nthreads=1):
    """y = max over each window; indices (int64 or None) gets the argmax plane offsets."""
    cdef fc_pool2d_params p = _pool_params(geom)
    cdef int code = _dtype_code(x)
    _writable(y, "y")
    cdef void *px = _buf(x, code, p.n * p.c * p.h * p.w, "x")
    cdef void *py = _buf(y, code, p.n * p.c * p.oh * p.ow, "y")
    cdef int64_t *pidx = NULL
    cdef cnp.ndarray idx
    if indices is not None:
        idx = <cnp.ndarray?> indices
        if cnp.PyArray_TYPE(idx) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(idx) \
                or cnp.PyArray_SIZE(idx) != p.n * p.c * p.oh * p.ow:
            raise ValueError("fastconv._cpu: indices must be a C-contiguous int64 array like y")
        _writable(idx, "indices")
        pidx = <int64_t*> cnp.PyArray_DATA(idx)
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        return y
    with nogil:
        if code == 0:
            fc_max_pool2d_forward_f32(&p, <const float*> px, <float*> py, pidx, nt)
        else:
            fc_max_pool2d_forward_f64(&p, <const double*> px, <double*> py, pidx, nt)
    return y


def max_pool2d_backward(tuple geom, cnp.ndarray dy not None, cnp.ndarray indices not None,
                        cnp.ndarray dx not None,
                        int nthreads=1):
    """dx = dy scattered (added) into the argmax positions; writes into dx."""
    cdef fc_pool2d_params p = _pool_params(geom)
    cdef int code = _dtype_code(dy)
    _writable(dx, "dx")
    cdef void *pdy = _buf(dy, code, p.n * p.c * p.oh * p.ow, "grad_output")
    cdef void *pdx = _buf(dx, code, p.n * p.c * p.h * p.w, "dx")
    if cnp.PyArray_TYPE(indices) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(indices) \
            or cnp.PyArray_SIZE(indices) != p.n * p.c * p.oh * p.ow:
        raise ValueError("fastconv._cpu: indices must be a C-contiguous int64 array like dy")
    cdef const int64_t *pidx = <const int64_t*> cnp.PyArray_DATA(indices)
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        return dx
    # indices come from users of fastconv.ops: an index outside its plane would write
    # out of bounds, so check them (one pass, vectorised by numpy, GIL held).
    if p.oh * p.ow > 0 and indices.size and (indices.min() < 0 or indices.max() >= p.h * p.w):
        raise ValueError("fastconv._cpu: indices out of range for a %dx%d input plane"
                         % (p.h, p.w))
    with nogil:
        if code == 0:
            fc_max_pool2d_backward_f32(&p, <const float*> pdy, pidx, <float*> pdx, nt)
        else:
            fc_max_pool2d_backward_f64(&p, <const double*> pdy, pidx, <double*> pdx, nt)
    return dx


cdef fc_pool2d_params _pool2x2_params(tuple geom) except *:
    """_pool_params, also checking the 2x2, stride 2, unpadded, floor-mode geometry."""
    cdef fc_pool2d_params p = _pool_params(geom)
    if (p.kh != 2 or p.kw != 2 or p.stride_h != 2 or p.stride_w != 2 or p.pad_h != 0
            or p.pad_w != 0 or p.dil_h != 1 or p.dil_w != 1 or p.oh != p.h // 2
            or p.ow != p.w // 2):
        raise ValueError("fastconv._cpu: not a 2x2 stride-2 pool geometry %r" % (geom,))
    return p


cdef uint8_t *_positions(cnp.ndarray pos, int64_t size, bint write) except NULL:
    """Data pointer of a C-contiguous uint8 array of `size` window positions."""
    if cnp.PyArray_TYPE(pos) != cnp.NPY_UINT8 or not cnp.PyArray_IS_C_CONTIGUOUS(pos) \
            or cnp.PyArray_SIZE(pos) != size:
        raise ValueError("fastconv._cpu: positions must be a C-contiguous uint8 array like y")
    if write:
        _writable(pos, "positions")
    return <uint8_t*> cnp.PyArray_DATA(pos)


def max_pool2x2_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray y not None,
                        cnp.ndarray positions not None, int nthreads=1):
    """2x2 stride-2 max pool: y = window maxima, positions = winners' places (0..3)."""
    cdef fc_pool2d_params p = _pool2x2_params(geom)
    cdef int code = _dtype_code(x)
    _writable(y, "y")
    cdef void *px = _buf(x, code, p.n * p.c * p.h * p.w, "x")
    cdef void *py = _buf(y, code, p.n * p.c * p.oh * p.ow, "y")
    cdef uint8_t *pp = _positions(positions, p.n * p.c * p.oh * p.ow, True)
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        return y
    with nogil:
        if code == 0:
            fc_max_pool2x2_forward_f32(&p, <const float*> px, <float*> py, pp, nt)
        else:
            fc_max_pool2x2_forward_f64(&p, <const double*> px, <double*> py, pp, nt)
    return y


def max_pool2x2_relu_backward(tuple geom, cnp.ndarray dy not None, cnp.ndarray y not None,
                              cnp.ndarray positions not None, cnp.ndarray dx not None,
                              int nthreads=1):
    """dx = (y > 0 ? dy : 0) at each window's winner, 0 elsewhere; writes all of dx."""
    cdef fc_pool2d_params p = _pool2x2_params(geom)
    cdef int code = _dtype_code(dy)
    cdef int64_t out = p.n * p.c * p.oh * p.ow
    _writable(dx, "dx")
    cdef void *pdy = _buf(dy, code, out, "grad_output")
    cdef void *py = _buf(y, code, out, "output")
    cdef void *pdx = _buf(dx, code, p.n * p.c * p.h * p.w, "dx")
    cdef const uint8_t *pp = _positions(positions, out, False)
    cdef int nt = _threads(nthreads)
    if p.n == 0:
        return dx
    with nogil:
        if code == 0:
            fc_max_pool2x2_relu_backward_f32(&p, <const float*> pdy, <const float*> py, pp,
                                             <float*> pdx, nt)
        else:
            fc_max_pool2x2_relu_backward_f64(&p, <const double*> pdy, <const double*> py,
                                             pp, <double*> pdx, nt)
    return dx


# ------------------------------------------------------------------ relu

def relu_forward(cnp.ndarray x not None, cnp.ndarray y not None, int nthreads=1):
    """y = max(x, 0); y may be x."""
    cdef int code = _dtype_code(x)
    cdef int64_t size = x.size
    _writable(y, "y")
    cdef void *px = _buf(x, code, size, "x")
    cdef void *py = _buf(y, code, size, "y")
    cdef int nt = _threads(nthreads)
    if size == 0:
        return y
    with nogil:
        if code == 0:
            fc_relu_forward_f32(size, <const float*> px, <float*> py, nt)
        else:
            fc_relu_forward_f64(size, <const double*> px, <double*> py, nt)
    return y


def relu_backward(cnp.ndarray dy not None, cnp.ndarray y not None, cnp.ndarray dx not None,
                  int nthreads=1):
    """dx = dy * (y > 0) with y the forward output; dx may be dy."""
    cdef int code = _dtype_code(dy)
    cdef int64_t size = dy.size
    _writable(dx, "dx")
    cdef void *pdy = _buf(dy, code, size, "grad_output")
    cdef void *py = _buf(y, code, size, "output")
    cdef void *pdx = _buf(dx, code, size, "dx")
    cdef int nt = _threads(nthreads)
    if size == 0:
        return dx
    with nogil:
        if code == 0:
            fc_relu_backward_f32(size, <const float*> pdy, <const float*> py, <float*> pdx, nt)
        else:
            fc_relu_backward_f64(size, <const double*> pdy, <const double*> py,
                                 <double*> pdx, nt)
    return dx


# ------------------------------------------------------------------ optimizers

def sgd_update(cnp.ndarray p not None, cnp.ndarray g not None, object buf, double lr,
               double momentum, bint first):
    """One SGD step of parameter p in place (see fc_sgd_update); buf None: no momentum."""
    cdef int code = _dtype_code(p)
    cdef int64_t size = cnp.PyArray_SIZE(p)
    _writable(p, "p")
    cdef void *pp = _buf(p, code, size, "p")
    cdef void *pg = _buf(g, code, size, "g")
    cdef void *pb = NULL
    if buf is not None:
        _writable(<cnp.ndarray?> buf, "buf")
        pb = _buf(<cnp.ndarray?> buf, code, size, "buf")
    if size == 0:
        return
    with nogil:
        if code == 0:
            fc_sgd_update_f32(size, <float*> pp, <const float*> pg, <float*> pb, <float> lr,
                              <float> momentum, first)
        else:
            fc_sgd_update_f64(size, <double*> pp, <const double*> pg, <double*> pb, lr,
                              momentum, first)


# ------------------------------------------------------------------ losses

cdef const int64_t *_targets(cnp.ndarray t, int64_t n) except NULL:
    if cnp.PyArray_TYPE(t) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(t) \
            or cnp.PyArray_SIZE(t) != n:
        raise ValueError("fastconv._cpu: targets must be a C-contiguous int64 array of %d"
                         % n)
    return <const int64_t*> cnp.PyArray_DATA(t)


def class_target_error(cnp.ndarray t not None, int64_t classes, int64_t ignore_index):
    """Position of the first target outside [0, classes) and not ignore_index, or -1."""
    cdef int64_t n = cnp.PyArray_SIZE(t)
    if n == 0:
        return -1
    return fc_class_target_error(n, _targets(t, n), classes, ignore_index)


def cross_entropy_forward(cnp.ndarray x not None, cnp.ndarray t not None,
                          int64_t ignore_index, cnp.ndarray logp not None):
    """logp = log_softmax(x) (x: n x c, t: n validated targets); returns (sum over kept
    rows of -logp[i, t[i]], kept row count)."""
    cdef int code = _dtype_code(x)
    if cnp.PyArray_NDIM(x) != 2:
        raise ValueError("fastconv._cpu: scores must be 2-D")
    cdef int64_t n = x.shape[0], c = x.shape[1], count = 0
    cdef void *px = _buf(x, code, n * c, "x")
    _writable(logp, "logp")
    cdef void *pl = _buf(logp, code, n * c, "logp")
    cdef const int64_t *pt = _targets(t, n)
    cdef double total = 0
    if n == 0:
        return 0.0, 0
    if code == 0:
        total = fc_cross_entropy_forward_f32(n, c, <const float*> px, pt, ignore_index,
                                             <float*> pl, &count)
    else:
        total = fc_cross_entropy_forward_f64(n, c, <const double*> px, pt, ignore_index,
                                             <double*> pl, &count)
    return total, count


def cross_entropy_backward(cnp.ndarray logp not None, cnp.ndarray t not None,
                           int64_t ignore_index, double grad, double denom,
                           cnp.ndarray dx not None):
    """dx = (exp(logp) - onehot(t)) * ((grad * kept) / denom); writes into dx."""
    cdef int code = _dtype_code(logp)
    if cnp.PyArray_NDIM(logp) != 2:
        raise ValueError("fastconv._cpu: logp must be 2-D")
    cdef int64_t n = logp.shape[0], c = logp.shape[1]
    cdef void *pl = _buf(logp, code, n * c, "logp")
    _writable(dx, "dx")
    cdef void *pd = _buf(dx, code, n * c, "dx")
    cdef const int64_t *pt = _targets(t, n)
    if n == 0:
        return dx
    if code == 0:
        fc_cross_entropy_backward_f32(n, c, <const float*> pl, pt, ignore_index,
                                      <float> grad, <float> denom, <float*> pd)
    else:
        fc_cross_entropy_backward_f64(n, c, <const double*> pl, pt, ignore_index, grad,
                                      denom, <double*> pd)
    return dx
