/*
 * gemm/gemm_internal.h - the GEMM engine behind fc_gemm and the convolutions.
 *
 * BLIS/Goto structure: C is computed in MR x NR tiles by one micro-kernel that reads
 * A packed in MR-row panels and B packed in NR-column panels; the driver blocks the
 * problem by NC (columns of B), KC (depth) and MC (rows of A) so that a B panel sits in
 * L1, an A block in L2 and a B block in L3. All blocking parameters of one CPU family
 * live in one fc_gemm_kernel_* record (gemm_tmpl.h for the portable kernel, gemm_avx2.c
 * for AVX2/FMA, gemm_avx512.c for AVX-512F).
 *
 * Operands are described by an fc_operand_*: a packing function plus what it reads
 * (a strided matrix, or a private context such as a convolution's input for implicit
 * im2col), or an already packed A (fc_gemm_prepack_a_*). fc_gemm_serial_* runs on the
 * calling thread only, so that convolution kernels call it from inside their own
 * OpenMP region.
 *
 * Determinism: every C element is reduced over k in KC blocks in increasing order
 * whatever the tiling or thread split; full tiles and edge tiles do the same
 * floating-point operations in the same order, so results never depend on how the
 * columns or rows were divided between threads.
 */
#ifndef FC_GEMM_INTERNAL_H
#define FC_GEMM_INTERNAL_H

#include <stdint.h>

#include "fastconv/core.h"

/* Largest micro-tile of any kernel (the edge-tile buffer is sized with these). */
#define FC_MR_MAX 16
#define FC_NR_MAX 32
/* Largest KC of any kernel (the row-offset table is sized with it). */
#define FC_KC_MAX 512

#define FC_TMPL "gemm/gemm_decl_tmpl.h"
#include "core/tmpl.h"

/* Inside a template (core/tmpl.h): short names of T's kernel record, operand and
 * epilogue. */
#define GKR FC_T(fc_gemm_kernel)
#define OPD FC_T(fc_operand)
#define EPI FC_T(fc_epilogue)

/* AVX2/FMA kernels (gemm_avx2.c); selected when the ISA is avx2 or better. */
extern const fc_gemm_kernel_f32 fc_gemm_kernel_avx2_f32;
extern const fc_gemm_kernel_f64 fc_gemm_kernel_avx2_f64;
/* AVX-512F kernels (gemm_avx512.c), tallest tile first; selected when the ISA is
 * avx512. */
#define FC_AVX512_VARIANTS 4
extern const fc_gemm_kernel_f32 fc_gemm_kernels_avx512_f32[FC_AVX512_VARIANTS];
extern const fc_gemm_kernel_f64 fc_gemm_kernels_avx512_f64[FC_AVX512_VARIANTS];

#endif /* FC_GEMM_INTERNAL_H */
