/*
 * loss/cross_entropy.c - cross entropy of (N, C) scores against int64 class targets: the
 * fused log_softmax + nll forward and its gradient, one pass per row (fastconv's
 * cross_entropy for 2-D float inputs without class weights), float and double
 * (cross_entropy_tmpl.h). Rows are independent and run on one thread (N x C is a
 * classifier head: small).
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

#define FC_TMPL "loss/cross_entropy_tmpl.h"
#include "core/tmpl.h"

double fc_cross_entropy_forward(fc_dtype dt, int64_t n, int64_t c, const void *x,
                                const int64_t *t, int64_t ignore, void *logp,
                                int64_t *count)
{
    return FC_BY_DTYPE(dt, fc_cross_entropy_forward, n, c, x, t, ignore, logp, count);
}

void fc_cross_entropy_backward(fc_dtype dt, int64_t n, int64_t c, const void *logp,
                               const int64_t *t, int64_t ignore, double grad, double denom,
                               void *dx)
{
    FC_BY_DTYPE(dt, fc_cross_entropy_backward, n, c, logp, t, ignore, grad, denom, dx);
}
