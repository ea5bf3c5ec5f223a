# Matrix products (csrc/include/fastconv/gemm.h). Included by _cpu.pyx.
cimport fastconv._c_gemm as cgemm


def gemm_kernel_name() -> str:
    """The GEMM micro-kernel chosen at run time for this CPU."""
    return cgemm.fc_gemm_kernel_name().decode()


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
    cdef int dt = _dtype_code(c)
    cdef void *pc = _out(c, dt, c.size, "c")
    cdef void *pa = _buf(a, dt, a.size, "a")
    cdef void *pb = _buf(b, dt, b.size, "b")
    cdef int64_t lda = a.shape[1], ldb = b.shape[1], ldc = c.shape[1]
    cdef int rc, nt = _threads(nthreads)
    with nogil:
        rc = cgemm.fc_gemm(<core.fc_dtype> dt, trans_a, trans_b, m, n, k, alpha, pa, lda,
                           pb, ldb, beta, pc, ldc, nt)
    _check_rc(rc)
    return c
