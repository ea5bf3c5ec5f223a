/*
 * fastconv/core.h - what every family shares: status codes, element types, what the
 * build offers, and the capability record that every kernel family consults for the
 * instruction set it may use and the algorithm switches. Conventions: see fastconv.h.
 */
#ifndef FASTCONV_CORE_H
#define FASTCONV_CORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FC_OK 0
#define FC_ENOMEM 1
#define FC_EINVAL 3  /* a setting or call this build or CPU cannot take */
/* 2 is FC_ENOSYS (fastconv/conv.h) */

/* The element type of an op's arrays. */
typedef enum { FC_F32 = 0, FC_F64 = 1 } fc_dtype;

/* _OPENMP of the build (e.g. 201511), 0 when built without OpenMP. */
int fc_openmp_version(void);
/* The compiler that built the kernels, e.g. "GCC 12.2.0". */
const char *fc_compiler(void);
/* omp_get_max_threads() (honours OMP_NUM_THREADS and threadpoolctl), 1 without OpenMP. */
int fc_omp_max_threads(void);
/* ---------------------------------------------------------------- capabilities */

/* Instruction-set levels, each including the ones below: portable C only; AVX2 with
 * FMA; AVX-512F (the pools' AVX-512 kernels also need BW and VL, see fc_cpu_features). */
typedef enum { FC_ISA_GENERIC = 0, FC_ISA_AVX2 = 1, FC_ISA_AVX512 = 2 } fc_isa;

/* The direct convolution kernels (conv/direct_*.c): never; where they measured faster
 * than the other algorithms (the default); or on every layer they cover. */
typedef enum { FC_DIRECT_OFF = 0, FC_DIRECT_ON = 1, FC_DIRECT_FORCE = 2 } fc_direct_mode;

/*
 * The capability record. Every kernel family reads it for the instruction set it may use,
 * and the convolution chooser (fastconv/conv.h) for the algorithm switches; nothing else
 * probes the CPU or reads these variables.
 *   isa       the level the kernels use: the best this CPU runs, capped by FASTCONV_ISA
 *             (generic, avx2 or avx512; the old FASTCONV_GEMM_KERNEL=generic|avx2 and
 *             FASTCONV_POOL_KERNEL=generic are read as caps too when FASTCONV_ISA is
 *             unset, and now cap every family)
 *   cpu_isa   the best level this CPU runs (probed once)
 *   direct    FASTCONV_CONV_DIRECT: 0 (off), 1 (on, the default) or force
 *   winograd  FASTCONV_WINOGRAD: 0 (off) or 1 (on, the default)
 * The CPU is probed and the environment read once, at the first call of any fc_caps_*
 * function; a value not understood is ignored (the default stays) and reported by
 * fc_caps_env_errors. Results depend on isa and on the switches (each algorithm and
 * instruction set rounds its sums its own way), never on nthreads.
 */
typedef struct {
    fc_isa isa;
    fc_isa cpu_isa;
    fc_direct_mode direct;
    int winograd;
} fc_caps;

/* The record now (a consistent snapshot: one atomic read). */
fc_caps fc_caps_get(void);
/*
 * Replaces isa, direct and winograd by those of *c (cpu_isa is ignored) for all later
 * calls, from any thread; *previous (when not NULL) gets the record before. FC_EINVAL,
 * changing nothing, when c->isa is above cpu_isa or a field is out of range. Calls
 * already running keep the record they started with. For tests and benchmarks.
 */
int fc_caps_set(const fc_caps *c, fc_caps *previous);
/* "generic", "avx2" or "avx512". */
const char *fc_isa_name(fc_isa isa);
/* The x86 features this CPU has among those the kernels use, e.g.
 * "avx avx2 fma avx512f avx512bw avx512vl" ("" elsewhere). */
const char *fc_cpu_features(void);
/* "" when every FASTCONV_* setting was understood, else one line per value ignored,
 * e.g. "FASTCONV_ISA='sse': expected generic, avx2 or avx512". */
const char *fc_caps_env_errors(void);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_CORE_H */
