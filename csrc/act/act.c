/*
 * act/act.c - the pointwise activations of fastconv/act.h (leaky_relu, elu, gelu, silu,
 * sigmoid, tanh, softplus, hardtanh, hardswish, hardsigmoid, mish), forward and backward,
 * float and double.
 *
 * One entry point per direction with a kind code rather than one per activation: every
 * kind is the same contiguous element map with the same thread split, so the code that
 * differs is one scalar formula each (act_impl.h), and the binding, the backend contract
 * and the raw op are written once. The switch on the kind runs once per thread, outside
 * the loops; each kind keeps its own vectorised loop.
 *
 * One OpenMP parallel region per call, each thread mapping one contiguous chunk; every
 * element is computed alone, so results never depend on the thread count. Small arrays
 * run serially (cheap kinds from more elements than those calling exp). float runs the
 * AVX-512F or AVX2 build of the maps (act_avx512.c, act_avx2.c, both with FMA) where the
 * capability record allows it (the CPU has it, FASTCONV_ISA does not cap it): 16 or 8
 * lanes instead of SSE2's 4, the same bits in both. double calls libm, one
 * element at a time.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "act/act_internal.h"
#include "core/internal.h"
#include "fastconv/act.h"

#include "act/act_math_f32.h"
#include "act/act_math_f64.h"

/* Below these many elements a call runs on one thread (waking threads costs more). */
#define ACT_PAR_MIN_CHEAP 65536    /* comparisons and a multiply per element */
#define ACT_PAR_MIN 8192           /* an exp or more per element */

static int act_threads(fc_act_kind kind, int64_t size, int nthreads)
{
    const int cheap = kind == FC_ACT_LEAKY_RELU || kind == FC_ACT_HARDTANH
                      || kind == FC_ACT_HARDSWISH || kind == FC_ACT_HARDSIGMOID;
    return (nthreads > 1 && size >= (cheap ? ACT_PAR_MIN_CHEAP : ACT_PAR_MIN)) ? nthreads : 1;
}

/* Thread id's share [lo, hi) of size elements, cut at multiples of 16 (whole vectors). */
static void act_chunk(int64_t size, int id, int nt, int64_t *lo, int64_t *hi)
{
    const int64_t blocks = fc_ceil_div(size, 16);
    int64_t b0, b1;
    fc_split(blocks, id, nt, &b0, &b1);
    *lo = fc_min64(16 * b0, size);
    *hi = fc_min64(16 * b1, size);
}

#define T float
#define U uint32_t
#define SUFFIX f32
#define ACT_EXP_NEG actf_exp_neg
#define ACT_EXPM1_NEG actf_expm1_neg
#define ACT_SIGMOID actf_sigmoid
#define ACT_TANH actf_tanh
#define ACT_LOG1P_01 actf_log1p_01
#define ACT_ERFC_POS actf_erfc_pos
#include "act/act_impl.h"
#undef T
#undef U
#undef SUFFIX
#undef ACT_EXP_NEG
#undef ACT_EXPM1_NEG
#undef ACT_SIGMOID
#undef ACT_TANH
#undef ACT_LOG1P_01
#undef ACT_ERFC_POS

#define T double
#define U uint64_t
#define SUFFIX f64
#define ACT_EXP_NEG actd_exp_neg
#define ACT_EXPM1_NEG actd_expm1_neg
#define ACT_SIGMOID actd_sigmoid
#define ACT_TANH actd_tanh
#define ACT_LOG1P_01 actd_log1p_01
#define ACT_ERFC_POS actd_erfc_pos
#include "act/act_impl.h"
#undef T
#undef U
#undef SUFFIX
#undef ACT_EXP_NEG
#undef ACT_EXPM1_NEG
#undef ACT_SIGMOID
#undef ACT_TANH
#undef ACT_LOG1P_01
#undef ACT_ERFC_POS

/* The float maps of the instruction set the capability record allows (core/caps.c). */
static void act_f32_maps(act_forward_f32_fn *fwd, act_backward_f32_fn *bwd)
{
    int v = 0;   /* 0 portable, 1 AVX2, 2 AVX-512F */
#ifdef FC_ACT_HAVE_X86
    const fc_isa isa = fc_isa_now();
    v = isa == FC_ISA_AVX512 ? 2 : isa == FC_ISA_AVX2 ? 1 : 0;
#endif
    *fwd = act_forward_range_f32;
    *bwd = act_backward_range_f32;
#ifdef FC_ACT_HAVE_X86
    if (v == 1) {
        *fwd = act_forward_range_f32_avx2;
        *bwd = act_backward_range_f32_avx2;
    } else if (v == 2) {
        *fwd = act_forward_range_f32_avx512;
        *bwd = act_backward_range_f32_avx512;
    }
#endif
}

void fc_act_forward(fc_dtype dt, fc_act_kind kind, int64_t size, const void *x, void *y,
                    double p0, double p1, int nthreads)
{
    act_forward_f32_fn fwd32;
    act_backward_f32_fn bwd32;
    act_f32_maps(&fwd32, &bwd32);
    const int nt = act_threads(kind, size, nthreads);
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        int64_t lo, hi;
        act_chunk(size, fc_thread_num(), fc_num_threads(), &lo, &hi);
        if (dt == FC_F32)
            fwd32(kind, (const float *)x, (float *)y, lo, hi, (float)p0, (float)p1);
        else
            act_forward_range_f64(kind, (const double *)x, (double *)y, lo, hi, p0, p1);
    }
}

void fc_act_backward(fc_dtype dt, fc_act_kind kind, int64_t size, const void *src,
                     const void *dy, void *dx, double p0, double p1, int nthreads)
{
    act_forward_f32_fn fwd32;
    act_backward_f32_fn bwd32;
    act_f32_maps(&fwd32, &bwd32);
    const int nt = act_threads(kind, size, nthreads);
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        int64_t lo, hi;
        act_chunk(size, fc_thread_num(), fc_num_threads(), &lo, &hi);
        if (dt == FC_F32)
            bwd32(kind, (const float *)src, (const float *)dy, (float *)dx, lo, hi,
                  (float)p0, (float)p1);
        else
            act_backward_range_f64(kind, (const double *)src, (const double *)dy,
                                   (double *)dx, lo, hi, p0, p1);
    }
}
