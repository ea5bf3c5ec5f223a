/*
 * optim/sgd.c - the SGD update in one pass per parameter, rounding exactly as the numpy
 * expressions it replaces (fastconv.optim.SGD): with momentum,
 *     buf = g (first step) or buf * momentum + g;  p = p - buf * lr
 * else p = p - g * lr; every product and sum rounded to T (no contraction into FMA).
 */
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>

#include "core/internal.h"
#include "fastconv/optim.h"

#define SGD_DEFINE(T, SUFFIX)                                                              \
    static void fc_sgd_update_##SUFFIX(int64_t size, T *p, const T *g, T *buf, T lr, T momentum, \
                                int first)                                                 \
    {                                                                                      \
        if (!buf) {                                                                        \
            for (int64_t i = 0; i < size; i++)                                             \
                p[i] = p[i] - g[i] * lr;                                                   \
            return;                                                                        \
        }                                                                                  \
        for (int64_t i = 0; i < size; i++) {                                               \
            const T b = first ? g[i] : buf[i] * momentum + g[i];                           \
            buf[i] = b;                                                                    \
            p[i] = p[i] - b * lr;                                                          \
        }                                                                                  \
    }

SGD_DEFINE(float, f32)
SGD_DEFINE(double, f64)

void fc_sgd_update(fc_dtype dt, int64_t size, void *p, const void *g, void *buf, double lr,
                   double momentum, int first)
{
    FC_BY_DTYPE(dt, fc_sgd_update, size, p, g, buf, lr, momentum, first);
}
