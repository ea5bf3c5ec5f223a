/*
 * random/dropout.c - dropout's mask and its application, forward and backward, float and
 * double (semantics: fastconv/random.h).
 *
 * The mask is drawn in the same pass that applies it, one counter-based draw per plane,
 * and stored as one byte per plane for the backward. One OpenMP parallel region per call
 * with a static split over planes; every draw depends on (seed, plane) only, so results
 * never depend on the thread count. Small calls run serially. No branch depends on a
 * draw: the factor is mask * scale (0 or scale exactly), so the loops vectorise.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>

#include "core/internal.h"
#include "fastconv/random.h"

/* Below this many values a call runs on one thread (waking threads costs more). */
#define DROPOUT_PAR_MIN 65536

#define DROPOUT_GAMMA 0x9E3779B97F4A7C15ull

/* The high 32 bits of SplitMix64's output for state s + (j + 1) * gamma. */
static inline uint32_t fc_draw32(uint64_t seed, uint64_t j)
{
    uint64_t z = seed + (j + 1) * DROPOUT_GAMMA;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (uint32_t)(z >> 32);
}

/* p * 2^32 rounded down: a draw at or above it keeps its plane (2^32 for p = 1). */
static inline uint64_t dropout_threshold(double p)
{
    return p >= 1.0 ? (uint64_t)1 << 32 : (uint64_t)(p * 4294967296.0);
}

#define DROPOUT_DEFINE(T, SUFFIX)                                                         \
    static void fc_dropout_forward_##SUFFIX(int64_t planes, int64_t ps, const T *x,        \
                                            double p, uint64_t seed, T *y, uint8_t *mask, \
                                            int nthreads)                                 \
    {                                                                                     \
        const uint64_t thr = dropout_threshold(p);                                        \
        const T scale = p < 1.0 ? (T)1 / (T)(1.0 - p) : (T)0;                             \
        const int par = nthreads > 1 && planes * ps >= DROPOUT_PAR_MIN;                   \
        (void)par;                                                                        \
        if (ps == 1) {   /* elementwise: draws, mask and product vectorise together */    \
            _Pragma("omp parallel for num_threads(nthreads) if(par) schedule(static)")    \
            for (int64_t j = 0; j < planes; j++) {                                        \
                const uint8_t keep = (uint64_t)fc_draw32(seed, (uint64_t)j) >= thr;       \
                mask[j] = keep;                                                           \
                y[j] = x[j] * ((T)keep * scale);                                          \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        _Pragma("omp parallel for num_threads(nthreads) if(par) schedule(static)")        \
        for (int64_t j = 0; j < planes; j++) {                                            \
            const uint8_t keep = (uint64_t)fc_draw32(seed, (uint64_t)j) >= thr;           \
            const T m = (T)keep * scale;                                                  \
            mask[j] = keep;                                                               \
            for (int64_t k = 0; k < ps; k++)                                              \
                y[j * ps + k] = x[j * ps + k] * m;                                        \
        }                                                                                 \
    }                                                                                     \
                                                                                          \
    static void fc_dropout_backward_##SUFFIX(int64_t planes, int64_t ps, const T *dy,      \
                                             const uint8_t *mask, T scale, T *dx,         \
                                             int nthreads)                                \
    {                                                                                     \
        const int par = nthreads > 1 && planes * ps >= DROPOUT_PAR_MIN;                   \
        (void)par;                                                                        \
        if (ps == 1) {   /* elementwise */                                                \
            _Pragma("omp parallel for num_threads(nthreads) if(par) schedule(static)")    \
            for (int64_t j = 0; j < planes; j++)                                          \
                dx[j] = dy[j] * ((T)mask[j] * scale);                                     \
            return;                                                                       \
        }                                                                                 \
        _Pragma("omp parallel for num_threads(nthreads) if(par) schedule(static)")        \
        for (int64_t j = 0; j < planes; j++) {                                            \
            const T m = (T)mask[j] * scale;                                               \
            for (int64_t k = 0; k < ps; k++)                                              \
                dx[j * ps + k] = dy[j * ps + k] * m;                                      \
        }                                                                                 \
    }

DROPOUT_DEFINE(float, f32)
DROPOUT_DEFINE(double, f64)

void fc_dropout_forward(fc_dtype dt, int64_t planes, int64_t plane_size, const void *x,
                        double p, uint64_t seed, void *y, uint8_t *mask, int nthreads)
{
    FC_BY_DTYPE(dt, fc_dropout_forward, planes, plane_size, x, p, seed, y, mask, nthreads);
}

void fc_dropout_backward(fc_dtype dt, int64_t planes, int64_t plane_size, const void *dy,
                         const uint8_t *mask, double scale, void *dx, int nthreads)
{
    FC_BY_DTYPE(dt, fc_dropout_backward, planes, plane_size, dy, mask, scale, dx, nthreads);
}
