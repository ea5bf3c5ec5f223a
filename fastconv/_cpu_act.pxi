# Activations (csrc/include/fastconv/act.h). Included by _cpu.pyx.
cimport fastconv._c_act as cact


def relu_forward(cnp.ndarray x not None, cnp.ndarray y not None, int nthreads=1):
    """y = max(x, 0); y may be x."""
    cdef int dt = _dtype_code(x)
    cdef int64_t size = x.size
    cdef void *py = _out(y, dt, size, "y")
    cdef void *px = _buf(x, dt, size, "x")
    cdef int nt = _threads(nthreads)
    with nogil:
        cact.fc_relu_forward(<core.fc_dtype> dt, size, px, py, nt)
    return y


def add_relu_forward(cnp.ndarray a not None, cnp.ndarray b not None, cnp.ndarray y not None,
                     int nthreads=1):
    """y = max(a + b, 0); y may be a or b."""
    cdef int dt = _dtype_code(a)
    cdef int64_t size = a.size
    cdef void *py = _out(y, dt, size, "y")
    cdef void *pa = _buf(a, dt, size, "input")
    cdef void *pb = _buf(b, dt, size, "other")
    cdef int nt = _threads(nthreads)
    with nogil:
        cact.fc_add_relu_forward(<core.fc_dtype> dt, size, pa, pb, py, nt)
    return y


def relu_backward(cnp.ndarray dy not None, cnp.ndarray y not None, cnp.ndarray dx not None,
                  int nthreads=1):
    """dx = dy * (y > 0) with y the forward output; dx may be dy."""
    cdef int dt = _dtype_code(dy)
    cdef int64_t size = dy.size
    cdef void *pdx = _out(dx, dt, size, "dx")
    cdef void *pdy = _buf(dy, dt, size, "grad_output")
    cdef void *py = _buf(y, dt, size, "output")
    cdef int nt = _threads(nthreads)
    with nogil:
        cact.fc_relu_backward(<core.fc_dtype> dt, size, pdy, py, pdx, nt)
    return dx


cdef inline cact.fc_act_kind _act_kind(int kind) except *:
    """The fc_act_kind code `kind`, after checking that it names one."""
    if not cact.FC_ACT_LEAKY_RELU <= kind <= cact.FC_ACT_MISH:
        raise ValueError("fastconv._cpu: unknown activation kind %d" % kind)
    return <cact.fc_act_kind> kind


def activation_forward(int kind, cnp.ndarray x not None, cnp.ndarray y not None,
                       double alpha, double beta, int nthreads=1):
    """y = activation `kind` (fastconv/act.h) of x with parameters alpha, beta; y may be x."""
    cdef cact.fc_act_kind k = _act_kind(kind)
    cdef int dt = _dtype_code(x)
    cdef int64_t size = x.size
    cdef void *py = _out(y, dt, size, "y")
    cdef void *px = _buf(x, dt, size, "x")
    cdef int nt = _threads(nthreads)
    with nogil:
        cact.fc_act_forward(<core.fc_dtype> dt, k, size, px, py, alpha, beta, nt)
    return y


def activation_backward(int kind, cnp.ndarray src not None, cnp.ndarray dy not None,
                        cnp.ndarray dx not None, double alpha, double beta, int nthreads=1):
    """dx = dy * the activation's derivative, from src (its input or output, as
    fastconv/act.h says for the kind); dx may be dy."""
    cdef cact.fc_act_kind k = _act_kind(kind)
    cdef int dt = _dtype_code(dy)
    cdef int64_t size = dy.size
    cdef void *pdx = _out(dx, dt, size, "dx")
    cdef void *pdy = _buf(dy, dt, size, "grad_output")
    cdef void *psrc = _buf(src, dt, size, "src")
    cdef int nt = _threads(nthreads)
    with nogil:
        cact.fc_act_backward(<core.fc_dtype> dt, k, size, psrc, pdy, pdx, alpha, beta, nt)
    return dx
