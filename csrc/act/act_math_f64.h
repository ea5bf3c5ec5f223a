/*
 * act/act_math_f64.h - the double transcendental pieces of the activations, from libm
 * (correctly rounded or nearly; scalar calls: the double activations do not vectorise).
 * Same names and contracts as act_math_f32.h. Private to csrc/act.
 */
#ifndef FC_ACT_MATH_F64_H
#define FC_ACT_MATH_F64_H

#include <math.h>

static inline double actd_exp_neg(double x) { return exp(x); }
static inline double actd_expm1_neg(double x) { return expm1(x); }
static inline double actd_tanh(double x) { return tanh(x); }
static inline double actd_log1p_01(double z) { return log1p(z); }

static inline double actd_sigmoid(double x)
{
    const double e = exp(-fabs(x)), neg = e / (1.0 + e), pos = 1.0 / (1.0 + e);
    return x < 0 ? neg : pos;
}

static inline double actd_erfc_pos(double a, double *e)
{
    *e = exp(-(a * a));
    return erfc(a);
}

#endif /* FC_ACT_MATH_F64_H */
