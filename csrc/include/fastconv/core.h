/*
 * fastconv/core.h - what every family shares: status codes, element types, and what the
 * build and the CPU offer. Conventions: see fastconv.h.
 */
#ifndef FASTCONV_CORE_H
#define FASTCONV_CORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FC_OK 0
#define FC_ENOMEM 1

/* The element type of an op's arrays. */
typedef enum { FC_F32 = 0, FC_F64 = 1 } fc_dtype;

/* _OPENMP of the build (e.g. 201511), 0 when built without OpenMP. */
int fc_openmp_version(void);
/* The compiler that built the kernels, e.g. "GCC 12.2.0". */
const char *fc_compiler(void);
/* omp_get_max_threads() (honours OMP_NUM_THREADS and threadpoolctl), 1 without OpenMP. */
int fc_omp_max_threads(void);
/* 1 when this CPU supports AVX2 and FMA (checked at run time). */
int fc_cpu_has_avx2_fma(void);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_CORE_H */
