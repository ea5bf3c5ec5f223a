/*
 * loss/cross_entropy.c - cross entropy of (N, C) scores against int64 class targets: the fused
 * log_softmax + nll forward and its gradient, one pass per row (fastconv.functional's
 * CrossEntropy for 2-D float inputs without class weights). Rows are independent and
 * run on one thread (N x C is a classifier head: small).
 */
#pragma STDC FP_CONTRACT OFF

#include <math.h>
#include <stdint.h>

#include "core/internal.h"
#include "fastconv/loss.h"

int64_t fc_class_target_error(int64_t n, const int64_t *t, int64_t classes, int64_t ignore)
{
    for (int64_t i = 0; i < n; i++)
        if (t[i] != ignore && (t[i] < 0 || t[i] >= classes))
            return i;
    return -1;
}

/* logp = (x - max) - log(sum exp(x - max)) per row (NaN-propagating max, the sum in
 * double), as the numpy path's x - max then minus the log of the summed exps. */
#define CE_DEFINE(T, SUFFIX, EXP)                                                          \
    static double fc_cross_entropy_forward_##SUFFIX(int64_t n, int64_t c, const T *x,             \
                                             const int64_t *t, int64_t ignore, T *logp,    \
                                             int64_t *count)                               \
    {                                                                                      \
        double total = 0;                                                                  \
        int64_t kept = 0;                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                  \
            const T *row = x + i * c;                                                      \
            T *out = logp + i * c;                                                         \
            T m = row[0];                                                                  \
            for (int64_t j = 1; j < c; j++)                                                \
                m = (row[j] > m || row[j] != row[j]) && m == m ? row[j] : m;               \
            double s = 0;                                                                  \
            for (int64_t j = 0; j < c; j++) {                                              \
                out[j] = row[j] - m;                                                       \
                s += (double)EXP(out[j]);                                                  \
            }                                                                              \
            const T lse = (T)log(s);                                                       \
            for (int64_t j = 0; j < c; j++)                                                \
                out[j] = out[j] - lse;                                                     \
            if (t[i] != ignore) {                                                          \
                total -= (double)out[t[i]];                                                \
                kept++;                                                                    \
            }                                                                              \
        }                                                                                  \
        *count = kept;                                                                     \
        return total;                                                                      \
    }                                                                                      \
                                                                                           \
    static void fc_cross_entropy_backward_##SUFFIX(int64_t n, int64_t c, const T *logp,           \
                                            const int64_t *t, int64_t ignore, T grad,      \
                                            T denom, T *dx)                                \
    {                                                                                      \
        for (int64_t i = 0; i < n; i++) {                                                  \
            const int keep = t[i] != ignore;                                               \
            const int64_t hot = keep ? t[i] : 0;                                           \
            const T coef = (grad * (T)keep) / denom;                                       \
            for (int64_t j = 0; j < c; j++) {                                              \
                T v = EXP(logp[i * c + j]);                                                \
                if (j == hot)                                                              \
                    v = v - (T)1;                                                          \
                dx[i * c + j] = v * coef;                                                  \
            }                                                                              \
        }                                                                                  \
    }

CE_DEFINE(float, f32, expf)
CE_DEFINE(double, f64, exp)

double fc_cross_entropy_forward(fc_dtype dt, int64_t n, int64_t c, const void *x,
                                const int64_t *t, int64_t ignore, void *logp, int64_t *count)
{
    return FC_BY_DTYPE(dt, fc_cross_entropy_forward, n, c, x, t, ignore, logp, count);
}

void fc_cross_entropy_backward(fc_dtype dt, int64_t n, int64_t c, const void *logp,
                               const int64_t *t, int64_t ignore, double grad, double denom,
                               void *dx)
{
    FC_BY_DTYPE(dt, fc_cross_entropy_backward, n, c, logp, t, ignore, grad, denom, dx);
}
