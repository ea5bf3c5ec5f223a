# Cython declarations of csrc/include/fastconv/core.h (semantics: see that header).
from libc.stdint cimport int64_t

cdef extern from "fastconv/core.h" nogil:
    ctypedef enum fc_dtype:
        FC_F32
        FC_F64
    int FC_OK
    int FC_ENOMEM
    int FC_EINVAL

    int fc_openmp_version()
    const char *fc_compiler()
    int fc_omp_max_threads()

    ctypedef enum fc_isa:
        FC_ISA_GENERIC
        FC_ISA_AVX2
        FC_ISA_AVX512
    ctypedef enum fc_direct_mode:
        FC_DIRECT_OFF
        FC_DIRECT_ON
        FC_DIRECT_FORCE
    ctypedef struct fc_caps:
        fc_isa isa
        fc_isa cpu_isa
        fc_direct_mode direct
        int winograd

    fc_caps fc_caps_get()
    int fc_caps_set(const fc_caps *c, fc_caps *previous)
    const char *fc_isa_name(fc_isa isa)
    const char *fc_cpu_features()
    const char *fc_caps_env_errors()
