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

/* Below this many elements an update runs on one thread (waking threads costs more);
   elements are independent, so the split never changes a result. */
#define SGD_PAR_MIN 65536

#define FC_TMPL "optim/sgd_tmpl.h"
#include "core/tmpl.h"

void fc_sgd_update(fc_dtype dt, int64_t size, void *p, const void *g, void *buf, double lr,
                   double momentum, int first, int nthreads)
{
    FC_BY_DTYPE(dt, fc_sgd_update, size, p, g, buf, lr, momentum, first, nthreads);
}
