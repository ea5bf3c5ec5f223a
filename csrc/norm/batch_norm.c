/*
 * norm/batch_norm.c - batch normalisation forward (training and evaluation) and backward,
 * float and double (semantics and numerics: fastconv/norm.h): the portable variant and
 * the entry points, which pick the AVX-512F or AVX2 build of the same source
 * (batch_norm_avx512.c, batch_norm_avx2.c) when the CPU has it. Every variant computes
 * the same bits.
 *
 * Memory-bound, so the kernels count passes: per channel, the training forward reads x
 * once from memory and twice more from cache (mean; deviations; normalise and write y),
 * and the backward reads dy and x once from memory and once from cache (sum(g) and
 * sum(g * d); write dx), recomputing x - mean instead of keeping a normalised copy.
 * One OpenMP parallel region per call, split over channels, or over (channel, batch
 * chunk) units when the channels are few; small calls run serially.
 */
#pragma STDC FP_CONTRACT OFF

#define ISA generic
#define BN_VBYTES 16   /* SSE2 / NEON */
#include "norm/batch_norm_variant.h"

#include "fastconv/norm.h"

/* 2: AVX-512F, 1: AVX2, 0: portable: the level the capability record allows
 * (csrc/core/caps.c: the CPU's best, capped by FASTCONV_ISA). */
static int bn_isa(void)
{
#ifdef FC_NORM_HAVE_X86
    const fc_isa isa = fc_isa_now();
    return isa == FC_ISA_AVX512 ? 2 : isa == FC_ISA_AVX2 ? 1 : 0;
#else
    return 0;
#endif
}

/* name's variant for the element type dt and the instruction set bn_isa() chose. */
#ifdef FC_NORM_HAVE_X86
#define BN_CALL(dt, name, ...)                                                            \
    (isa == 2 ? FC_BY_DTYPE(dt, bn_##name##_avx512, __VA_ARGS__)                          \
     : isa == 1 ? FC_BY_DTYPE(dt, bn_##name##_avx2, __VA_ARGS__)                          \
                : FC_BY_DTYPE(dt, bn_##name##_generic, __VA_ARGS__))
#else
#define BN_CALL(dt, name, ...) FC_BY_DTYPE(dt, bn_##name##_generic, __VA_ARGS__)
#endif

int fc_batch_norm_forward_train(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *x,
                                const void *weight, const void *bias, double eps,
                                double momentum, void *running_mean, void *running_var,
                                int relu, void *y, void *save_mean, void *save_invstd,
                                int nthreads)
{
    const int isa = bn_isa();
    (void)isa;
    return BN_CALL(dt, forward_train, n, c, s, x, weight, bias, eps, momentum, running_mean,
                   running_var, relu, y, save_mean, save_invstd, nthreads);
}

int fc_batch_norm_forward_eval(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *x,
                               const void *mean, const void *invstd, const void *weight,
                               const void *bias, int relu, void *y, int nthreads)
{
    const int isa = bn_isa();
    (void)isa;
    return BN_CALL(dt, forward_eval, n, c, s, x, mean, invstd, weight, bias, relu, y,
                   nthreads);
}

int fc_batch_norm_backward(fc_dtype dt, int64_t n, int64_t c, int64_t s, const void *dy,
                           const void *x, const void *mean, const void *invstd,
                           const void *weight, const void *bias, int relu, int training,
                           void *dx, void *dweight, void *dbias, int nthreads)
{
    const int isa = bn_isa();
    (void)isa;
    return BN_CALL(dt, backward, n, c, s, dy, x, mean, invstd, weight, bias, relu, training,
                   dx, dweight, dbias, nthreads);
}
