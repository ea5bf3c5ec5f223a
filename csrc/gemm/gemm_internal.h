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

#define FC_DECLARE_GEMM(T, SFX)                                                            \
    /* Store step of the micro-kernel, applied to each element t of the tile:          \
     * t = alpha*t (if alpha != 1); t = t + beta*c (if beta != 0; c not read when 0);  \
     * t = t + bias[row] (if bias); t = max(0, t) (if relu; NaN passes through). */     \
    typedef struct {                                                                    \
        T alpha, beta;                                                                  \
        const T *bias; /* bias of the tile's first row, or NULL */                      \
        int relu;                                                                       \
    } fc_epilogue_##SFX;                                                                \
                                                                                        \
    /* c[0:mr, 0:nr] (row stride ldc) = epilogue(sum_p a[p*mr + i] * b[boff[p] + j]):  \
     * row p of the B panel starts at b + boff[p] (any readable address for B read in \
     * place, see fc_operand.rows), or with boff NULL at b + p*bs (a packed panel, or \
     * evenly spaced rows: no table load and address dependency per step). */         \
    typedef void (*fc_ukernel_##SFX)(int64_t k, const T *a, const T *b,                 \
                                     const int64_t *boff, int64_t bs, T *c, int64_t ldc, \
                                     const fc_epilogue_##SFX *e);                       \
                                                                                        \
    typedef struct {                                                                    \
        const char *name;                                                               \
        int64_t mr, nr;     /* micro-tile */                                            \
        int64_t mc, kc, nc; /* cache blocks: mc % mr == 0, nc % nr == 0 */              \
        fc_ukernel_##SFX ukernel;                                                       \
    } fc_gemm_kernel_##SFX;                                                             \
                                                                                        \
    struct fc_operand_##SFX;                                                            \
    /* Pack a block of an operand into r-wide panels (zero-padded to a multiple of r). \
     * For A: rows x0..x0+xn, depth k0..k0+kn; panel layout dst[panel][p][i] (r = mr). \
     * For B: depth k0..k0+kn, columns x0..x0+xn; dst[panel][p][j] (r = nr). */         \
    typedef void (*fc_pack_##SFX)(const struct fc_operand_##SFX *op, int64_t x0,       \
                                  int64_t xn, int64_t k0, int64_t kn, int64_t r,        \
                                  T *dst);                                              \
                                                                                        \
    /* B read in place, without packing: fill boff[0:kn] with the offsets of rows      \
     * k0..k0+kn and return the address of column x0 of row "offset 0"; row p, columns \
     * x0..x0+round_up(xn, nr) must then be readable at ret + boff[p] + j. */            \
    typedef const T *(*fc_rows_##SFX)(const struct fc_operand_##SFX *op, int64_t x0,    \
                                      int64_t k0, int64_t kn, int64_t *boff);           \
                                                                                        \
    typedef struct fc_operand_##SFX {                                                   \
        fc_pack_##SFX pack;  /* NULL when `packed` (A) or `rows` (B) is given */        \
        const T *ptr;        /* strided matrix: element (row, col) = ptr[row*rs+col*cs] */ \
        int64_t rs, cs;                                                                 \
        const void *ctx;     /* private data of custom packers */                       \
        int64_t off;         /* custom packers: offset of this operand's first column */ \
        const T *packed;     /* A prepacked by fc_gemm_prepack_a */                      \
        fc_rows_##SFX rows;  /* B read in place (no packing) */                         \
    } fc_operand_##SFX;                                                                 \
                                                                                        \
    /* The micro-kernel for instruction set isa and C with m rows (tile height chosen \
     * by m; for one isa the choice never changes results). */                         \
    const fc_gemm_kernel_##SFX *fc_gemm_select_##SFX(fc_isa isa, int64_t m);            \
                                                                                        \
    /* Strided packers: A's element (i, p) is ptr[i*rs + p*cs]; B's (p, j) likewise. */ \
    void fc_pack_a_strided_##SFX(const fc_operand_##SFX *op, int64_t x0, int64_t xn,   \
                                 int64_t k0, int64_t kn, int64_t r, T *dst);            \
    void fc_pack_b_strided_##SFX(const fc_operand_##SFX *op, int64_t x0, int64_t xn,   \
                                 int64_t k0, int64_t kn, int64_t r, T *dst);            \
                                                                                        \
    /* Elements of the packed form of an m x k A (for fc_gemm_prepack_a). */            \
    int64_t fc_gemm_packed_a_size_##SFX(const fc_gemm_kernel_##SFX *kr, int64_t m,      \
                                        int64_t k);                                     \
    /* Pack all of A (m x k) once, in the layout fc_gemm_serial reads through          \
     * operand.packed: for each KC block, for each MR panel, kc x mr values. */        \
    void fc_gemm_prepack_a_##SFX(const fc_gemm_kernel_##SFX *kr, int64_t m, int64_t k,  \
                                 const fc_operand_##SFX *a, T *dst);                    \
    /* The MR panels of rows [i0, i0 + mn) of fc_gemm_prepack_a's result (i0 a multiple \
     * of MR), written in place: threads may pack disjoint row ranges of one A. */      \
    void fc_gemm_prepack_a_rows_##SFX(const fc_gemm_kernel_##SFX *kr, int64_t m,         \
                                      int64_t k, int64_t i0, int64_t mn,                 \
                                      const fc_operand_##SFX *a, T *dst);                \
    /* Elements of the scratch fc_gemm_serial needs for n columns. */                   \
    int64_t fc_gemm_work_size_##SFX(const fc_gemm_kernel_##SFX *kr, int64_t n);         \
                                                                                        \
    /* C (m x n, row stride ldc) = alpha * A @ B + beta * C, then + bias[row] and       \
     * ReLU when given. Runs serially on the calling thread; `work` has                \
     * fc_gemm_work_size(kr, n) elements, FC_ALIGN-aligned. beta == 0: C not read. */  \
    void fc_gemm_serial_##SFX(const fc_gemm_kernel_##SFX *kr, int64_t m, int64_t n,    \
                              int64_t k, T alpha, const fc_operand_##SFX *a,            \
                              const fc_operand_##SFX *b, T beta, T *c, int64_t ldc,     \
                              const T *bias, int relu, T *work);                       \
                                                                                        \
    /* fc_gemm (fastconv/gemm.h) for one element type, under isa. */                   \
    int fc_gemm_##SFX(fc_isa isa, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, T alpha, \
                      const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c,      \
                      int64_t ldc, int nthreads);

FC_DECLARE_GEMM(float, f32)
FC_DECLARE_GEMM(double, f64)

/* AVX2/FMA kernels (gemm_avx2.c); selected when the ISA is avx2 or better. */
extern const fc_gemm_kernel_f32 fc_gemm_kernel_avx2_f32;
extern const fc_gemm_kernel_f64 fc_gemm_kernel_avx2_f64;
/* AVX-512F kernels (gemm_avx512.c), tallest tile first; selected when the ISA is
 * avx512. */
#define FC_AVX512_VARIANTS 4
extern const fc_gemm_kernel_f32 fc_gemm_kernels_avx512_f32[FC_AVX512_VARIANTS];
extern const fc_gemm_kernel_f64 fc_gemm_kernels_avx512_f64[FC_AVX512_VARIANTS];

#endif /* FC_GEMM_INTERNAL_H */
