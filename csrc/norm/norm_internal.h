/*
 * norm/norm_internal.h - what the batch-norm variants share (not part of the public API):
 * the lane and block sizes every per-channel sum uses, the thread and chunking rules,
 * and the kernels each instruction-set variant defines (batch_norm_impl.h).
 */
#ifndef FC_NORM_INTERNAL_H
#define FC_NORM_INTERNAL_H

#include <stdint.h>

#include "core/internal.h"

/* Lanes of every per-channel sum, and values per lane summed in the element type before
   the block is added into the double lanes. */
#define BN_L 16
#define BN_BLOCK 16

/* Below this many elements a call runs on one thread (waking threads costs more). */
#define BN_PAR_MIN 32768

/* Most values per image in a group of short-row channels (rows of S < BN_L values are
   summed per position across the batch; fastconv/norm.h). */
#define BN_PMAX 256

/* Channels per group: one for rows of BN_L values or more, else as many as fill BN_PMAX
   positions. */
static inline int64_t bn_group_channels(int64_t s)
{
    return s >= BN_L ? 1 : BN_PMAX / s;
}

/* What a short-row sum adds per value: x; d, d * d (d = x - shift); g, g * (x - mean). */
enum { BN_SUM_X, BN_SUM_DEV, BN_SUM_GRAD };

/* Units wanted when groups are few, and the fewest values of a batch chunk. */
#define BN_UNITS 16
#define BN_CHUNK_MIN 1024

/* Batch chunks of n images for g groups of s values per image: 1 with BN_UNITS groups
   or more; else enough for BN_UNITS units, at most one per image, each of BN_CHUNK_MIN
   values or more. A function of the shape only, so that no sum depends on the thread
   count. */
static inline int64_t bn_chunks(int64_t n, int64_t g, int64_t s)
{
    if (g >= BN_UNITS)
        return 1;
    int64_t k = fc_min64(fc_ceil_div(BN_UNITS, g), n);
    k = fc_min64(k, n * s / BN_CHUNK_MIN);
    return k < 1 ? 1 : k;
}

/* The kernels of one variant ISA (generic, avx2, avx512) for element type T. */
#define BN_DECLARE(ISA, SUFFIX, T)                                                        \
    int bn_forward_train_##ISA##_##SUFFIX(int64_t n, int64_t c, int64_t s, const T *x,    \
                                          const T *w, const T *b, double eps,             \
                                          double momentum, T *rm, T *rv, int relu, T *y,  \
                                          T *save_mean, T *save_invstd, int nthreads);    \
    int bn_forward_eval_##ISA##_##SUFFIX(int64_t n, int64_t c, int64_t s, const T *x,    \
                                          const T *mean, const T *invstd, const T *w,     \
                                          const T *b, int relu, T *y, int nthreads);      \
    int bn_backward_##ISA##_##SUFFIX(int64_t n, int64_t c, int64_t s, const T *dy,        \
                                     const T *x, const T *mean, const T *invstd,          \
                                     const T *w, const T *b, int relu, int training,      \
                                     T *dx, T *dw, T *db, int nthreads);

BN_DECLARE(generic, f32, float)
BN_DECLARE(generic, f64, double)

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define FC_NORM_HAVE_X86 1
BN_DECLARE(avx2, f32, float)
BN_DECLARE(avx2, f64, double)
BN_DECLARE(avx512, f32, float)
BN_DECLARE(avx512, f64, double)
#endif

#endif /* FC_NORM_INTERNAL_H */
