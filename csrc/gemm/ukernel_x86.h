/*
 * gemm/ukernel_x86.h - the generator of the x86 GEMM micro-kernels (gemm_avx2.c,
 * gemm_avx512.c): one body for every instruction set, element type and tile height, so
 * that all of them keep the contract of gemm_internal.h the same way:
 *   - each accumulator sums its k products in increasing p with FMA, from zero;
 *   - the store step does alpha, beta, bias and ReLU with separate mul/add/max, in the
 *     order of gemm_tmpl.h's scalar epi_one(), so that edge tiles (computed through a
 *     buffer, then epi_one) match full tiles bit for bit;
 *   - the tile is MR rows x 2 vectors of W lanes (NR = 2 * W), 2 * MR vector accumulators.
 * The row loops have constant bounds and are fully unrolled, so the accumulators live in
 * registers. An instruction set supplies its vector type and operations as macro
 * arguments; a kernel file (compiled with target attributes only, no global -m flags)
 * instantiates one epilogue per element type and one kernel per tile.
 */
#ifndef FC_GEMM_UKERNEL_X86_H
#define FC_GEMM_UKERNEL_X86_H

#include <immintrin.h>
#include <stdint.h>

/* The store step for one vector t of a tile row: VT NAME(VT t, const T *c, epilogue *e,
 * VT bias of the row). */
#define FC_GEMM_EPILOGUE(NAME, TARGET, T, VT, EPITYPE, LOAD, SET1, SET0, MUL, ADD, MAX)    \
    TARGET static inline VT NAME(VT t, const T *c, const EPITYPE *e, VT bias_i)          \
    {                                                                                     \
        if (e->alpha != (T)1)                                                             \
            t = MUL(SET1(e->alpha), t);                                                   \
        if (e->beta != (T)0) {                                                            \
            const VT cv = LOAD(c);                                                        \
            t = (e->beta == (T)1) ? ADD(t, cv) : ADD(t, MUL(SET1(e->beta), cv));          \
        }                                                                                 \
        if (e->bias)                                                                      \
            t = ADD(t, bias_i);                                                           \
        if (e->relu)                                                                      \
            t = MAX(SET0(), t); /* NaN in t passes through */                             \
        return t;                                                                         \
    }

/*
 * The micro-kernel NAME (a fc_ukernel_*, see gemm_decl_tmpl.h) for an MR x 2W tile. The
 * k loop is left to the compiler to unroll (by 4): writing the unrolled steps out, or
 * one copy per way of addressing B, measured 7% slower on AVX2 (register spills among
 * its 16 ymm registers) and no faster on AVX-512.
 */
#define FC_GEMM_UKERNEL(NAME, TARGET, MR, T, VT, W, EPITYPE, EPI, SET0, SET1, LOAD,       \
                        STORE, FMA)                                                       \
    TARGET static void NAME(int64_t k, const T *a, const T *b, const int64_t *boff,        \
                            int64_t bs, T *c, int64_t ldc, const EPITYPE *e)              \
    {                                                                                     \
        VT acc0[MR], acc1[MR];                                                            \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                             \
        {                                                                                 \
            acc0[i] = SET0();                                                             \
            acc1[i] = SET0();                                                             \
            /* C is read (beta != 0) only after the loop: start fetching its rows now */  \
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                       \
            _mm_prefetch((const char *)(c + i * ldc + 2 * (W) - 1), _MM_HINT_T0);         \
        }                                                                                 \
        /* one k step: row br of the B panel times the next MR values of A */             \
        _Pragma("GCC unroll 4") for (int64_t p = 0; p < k; p++) {                         \
            const T *br = boff ? b + boff[p] : b + p * bs;                                \
            const VT b0 = LOAD(br), b1 = LOAD(br + (W));                                  \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                         \
            {                                                                             \
                const VT av = SET1(a[i]);                                                 \
                acc0[i] = FMA(av, b0, acc0[i]);                                           \
                acc1[i] = FMA(av, b1, acc1[i]);                                           \
            }                                                                             \
            a += MR;                                                                      \
        }                                                                                 \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                             \
        {                                                                                 \
            const VT bi = e->bias ? SET1(e->bias[i]) : SET0();                            \
            T *ci = c + i * ldc;                                                          \
            STORE(ci, EPI(acc0[i], ci, e, bi));                                           \
            STORE(ci + (W), EPI(acc1[i], ci + (W), e, bi));                               \
        }                                                                                 \
    }

#endif /* FC_GEMM_UKERNEL_X86_H */
