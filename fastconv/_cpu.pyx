# cython: language_level=3, boundscheck=False, wraparound=False
"""Thin Cython layer over csrc/: check buffers cheaply, release the GIL, call C.

Argument validation with readable messages lives in fastconv.ops; this module only
guards the C code against buffers of the wrong dtype, layout or size (a private API
misused must raise, never crash). Outputs are allocated by the caller (fastconv.ops).

Layout: this file holds the buffer guards every wrapper uses; each family of ops has
    fastconv/_c_<family>.pxd    the declarations of csrc/include/fastconv/<family>.h
    fastconv/_cpu_<family>.pxi  its Python wrappers
and one `include` line at the end of this file.

Why dtype-generic C entry points (an fc_dtype code and void pointers) rather than Cython
fused types: a fused wrapper still has to pick fc_x_f32 or fc_x_f64 by hand in every
function (Cython cannot name a C function after a fused type), so the dtype branch would
stay here, once per op. With the choice made in C (one FC_BY_DTYPE line per entry point,
next to the kernels it picks from), a wrapper only checks each buffer against the first
one's dtype code, passes pointers and returns: marshalling only. The same C entry point
is also what a future non-Python caller would use.
"""
from libc.stdint cimport int64_t, uint8_t
cimport numpy as cnp
import operator

import numpy as np

cimport fastconv._c_core as core

cnp.import_array()

# ------------------------------------------------------------------ buffer guards

cdef inline int _dtype_code(cnp.ndarray a) except -1:
    """The fc_dtype of `a`: FC_F32 for float32, FC_F64 for float64; anything else raises."""
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return core.FC_F32
    if t == cnp.NPY_FLOAT64:
        return core.FC_F64
    raise TypeError("fastconv._cpu: expected float32 or float64, got %s" % a.dtype)


cdef inline void* _buf(cnp.ndarray a, int code, int64_t size, str name) except NULL:
    """Data pointer of `a` after checking dtype code, C-contiguity and size."""
    if a is None:
        raise TypeError("fastconv._cpu: %s must be an array" % name)
    if _dtype_code(a) != code:
        raise TypeError("fastconv._cpu: %s has dtype %s, expected %s"
                        % (name, a.dtype, "float32" if code == core.FC_F32 else "float64"))
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


cdef inline void* _out(cnp.ndarray a, int code, int64_t size, str name) except NULL:
    """_buf for an output: also writable."""
    if a is not None:
        _writable(a, name)
    return _buf(a, code, size, name)


cdef inline void* _int_buf(object a, int npy_type, int64_t size, bint write, str name,
                           str expected) except NULL:
    """Data pointer of an integer array (indices, positions, targets) after checking its
    type, C-contiguity, size and, to be written, writability."""
    if not isinstance(a, cnp.ndarray) or cnp.PyArray_TYPE(<cnp.ndarray> a) != npy_type \
            or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray> a) \
            or cnp.PyArray_SIZE(<cnp.ndarray> a) != size:
        raise ValueError("fastconv._cpu: %s must be %s" % (name, expected))
    if write:
        _writable(<cnp.ndarray> a, name)
    if size == 0:
        return <void*> 1  # never dereferenced
    return cnp.PyArray_DATA(<cnp.ndarray> a)


cdef inline int _threads(int nthreads) noexcept:
    return nthreads if nthreads >= 1 else 1


cdef inline void _check_rc(int rc) except *:
    if rc == core.FC_ENOMEM:
        raise MemoryError("fastconv: a native kernel could not allocate its scratch memory")
    if rc == core.FC_EINVAL:
        raise ValueError("fastconv: a native call was given a setting it cannot take")
    if rc != core.FC_OK:
        raise RuntimeError("fastconv: native kernel failed with code %d" % rc)


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


# ------------------------------------------------------------------ families

include "_cpu_core.pxi"
include "_cpu_gemm.pxi"
include "_cpu_conv.pxi"
include "_cpu_pool.pxi"
include "_cpu_act.pxi"
include "_cpu_loss.pxi"
include "_cpu_optim.pxi"
include "_cpu_norm.pxi"
include "_cpu_random.pxi"
include "_cpu_resample.pxi"
include "_cpu_rnn.pxi"
