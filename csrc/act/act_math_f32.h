/*
 * act/act_math_f32.h - the float transcendental pieces of the activations, written as
 * branch-free arithmetic the compiler vectorises (libm's expf and friends are calls,
 * which keep a loop scalar). Each is accurate to a few float ulps over the range the
 * activations use it on; NaN in gives NaN out. Private to csrc/act.
 *
 * Range reduction: exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in
 * [-ln2/2, ln2/2], with ln 2 split in two so that n * LN2_HI is exact; n is rounded by
 * adding 1.5 * 2^23 (the float's integer unit then sits at its last bit), and 2^n is
 * built from the exponent bits. exp(r) - 1 = r + r^2 q(r), q of degree 4 fitted here to
 * the minimax of the error relative to exp(r) over |r| <= ln2/2 (3e-9 in exact
 * arithmetic, 3e-8 evaluated in float).
 *
 * Multiply-adds go through ACTF_MADD: a fused fmaf where the includer defines
 * ACT_USE_FMA (the AVX2 and AVX-512 builds), a rounded multiply then add elsewhere. So a
 * result may differ by an ulp between a CPU with FMA and one without; never between
 * thread counts, nor between the AVX2 and AVX-512 builds.
 *
 * Every select is a bitwise blend (actf_sel), never c ? a : b: under the default
 * -ftrapping-math GCC will not speculate floating-point arithmetic, and its partial
 * redundancy elimination moves arithmetic that follows a ?: into the arms (x * 2 after
 * x < m ? m : x becomes a constant in one arm and x * 2 in the other), so a ?: stays a
 * branch, and a branch in a loop stops vectorisation.
 */
#ifndef FC_ACT_MATH_F32_H
#define FC_ACT_MATH_F32_H

#include <stdint.h>
#include <string.h>

#ifdef ACT_USE_FMA
#include <math.h>
#define ACTF_MADD(a, b, c) fmaf((a), (b), (c))
#else
#define ACTF_MADD(a, b, c) ((a) * (b) + (c))
#endif

#define ACTF_SHIFT 12582912.0f              /* 1.5 * 2^23 */
#define ACTF_LOG2E 1.44269504088896341f
#define ACTF_LN2_HI 0.693359375f            /* 355 / 512: n * LN2_HI is exact */
#define ACTF_LN2_LO -2.12194440e-4f         /* ln 2 - LN2_HI */
#define ACTF_EXP_MIN -87.0f                 /* exp below this is taken as 0 (2^-125.5) */

static inline uint32_t actf_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float actf_from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* c ? a : b with both already computed, as a blend of their bits. */
static inline float actf_sel(int c, float a, float b)
{
    const uint32_t m = 0u - (uint32_t)c;
    return actf_from_bits((actf_bits(a) & m) | (actf_bits(b) & ~m));
}

/*
 * For x <= 0 (or NaN): *s = 2^n and the return value p with exp(x) = s * (1 + p), so
 * that exp(x) = s + s * p and exp(x) - 1 = s * p + (s - 1), both without cancellation.
 * x below ACTF_EXP_MIN is clamped there (callers flush those results to 0). Positive x
 * give meaningless values (never selected by the callers), never undefined behaviour.
 */
static inline float actf_exp_parts(float x, float *s)
{
    const float xc = actf_sel(x < ACTF_EXP_MIN, ACTF_EXP_MIN, x);   /* NaN stays NaN */
    const float t = ACTF_MADD(xc, ACTF_LOG2E, ACTF_SHIFT);
    const float n = t - ACTF_SHIFT;
    const float r = ACTF_MADD(-n, ACTF_LN2_LO, ACTF_MADD(-n, ACTF_LN2_HI, xc));
    /* t's bits hold n + the shift's bits; shifting n + 127 into the exponent field
       gives 2^n for n in [-126, 0] (other x: any bits, unsigned arithmetic, no overflow;
       NaN: p below is NaN) */
    *s = actf_from_bits((actf_bits(t) - actf_bits(ACTF_SHIFT) + 127u) << 23);
    float q = ACTF_MADD(0.00138146f, r, 0.00836871f);
    q = ACTF_MADD(q, r, 0.04166839f);
    q = ACTF_MADD(q, r, 0.16666521f);
    q = ACTF_MADD(q, r, 0.49999994f);
    return ACTF_MADD(r * r, q, r);
}

/* exp(x) for x <= 0; 0 below ACTF_EXP_MIN; NaN for NaN. */
static inline float actf_exp_neg(float x)
{
    float s;
    const float p = actf_exp_parts(x, &s);
    return actf_sel(x < ACTF_EXP_MIN, 0.0f, ACTF_MADD(s, p, s));
}

/* exp(x) - 1 for x <= 0 (relative accuracy near 0 too); -1 below ACTF_EXP_MIN. */
static inline float actf_expm1_neg(float x)
{
    float s;
    const float p = actf_exp_parts(x, &s);
    return actf_sel(x < ACTF_EXP_MIN, -1.0f, ACTF_MADD(s, p, s - 1.0f));
}

/* -|x|, by setting the sign bit. */
static inline float actf_neg_abs(float x)
{
    return actf_from_bits(actf_bits(x) | 0x80000000u);
}

/* 1 / (1 + exp(-x)) from exp(-|x|), which never overflows. */
static inline float actf_sigmoid(float x)
{
    const float e = actf_exp_neg(actf_neg_abs(x));
    const float q = 1.0f / (1.0f + e);
    return actf_sel(x < 0, e * q, q);
}

/* tanh(|x|) from m = exp(-2|x|) - 1: -m / (2 + m) below |x| = 0.55 (exact near 0), else
   1 - 2 (m + 1) / (2 + m) (the 1 - tiny form, near correctly rounded as tanh nears 1);
   the sign from x. One division serves both. */
static inline float actf_tanh(float x)
{
    const float a2 = 2.0f * actf_neg_abs(x);   /* -2|x| */
    float s;
    const float p = actf_exp_parts(a2, &s);
    const float m = actf_sel(a2 < ACTF_EXP_MIN, -1.0f, ACTF_MADD(s, p, s - 1.0f));
    const float e2 = 2.0f * actf_sel(a2 < ACTF_EXP_MIN, 0.0f, ACTF_MADD(s, p, s));
    const int small = a2 > -1.1f;
    const float r = actf_sel(small, -m, e2) / (2.0f + m);
    const float t = actf_sel(small, r, 1.0f - r);
    return actf_sel(x < 0, -t, t);
}

/*
 * log(1 + z) for z in [0, 1]: u = 1 + z = 2^k * f1 with f1 in [sqrt(1/2), sqrt(2)),
 * log(f1) = 2 atanh(s), s = (f1 - 1) / (f1 + 1), |s| <= 0.1716, by its series to s^9;
 * then scaled by z / (u - 1), which restores the low bits of z that 1 + z rounded
 * away (u - 1 is exact), unless u == 1, where log(1 + z) rounds to z.
 */
static inline float actf_log1p_01(float z)
{
    const float u = 1.0f + z;
    const int big = u > 1.41421356f;
    const float f1 = actf_sel(big, 0.5f * u, u);
    const float s = (f1 - 1.0f) / (f1 + 1.0f);
    const float s2 = s * s;
    float q = ACTF_MADD(s2, 1.0f / 9, 1.0f / 7);
    q = ACTF_MADD(q, s2, 1.0f / 5);
    q = ACTF_MADD(q, s2, 1.0f / 3);
    q = ACTF_MADD(q, s2, 1.0f);
    const float lg = ACTF_MADD(2.0f * s, q, actf_sel(big, 0.693147181f, 0.0f));
    const float d = u - 1.0f;
    return actf_sel(d == 0.0f, z, lg * (z / d));   /* d == 0: inf or NaN, not taken */
}

/*
 * erfc(a) for a >= 0 (NaN for NaN) and, in *e, exp(-a^2): erfc(a) = e * t * P(t) with
 * t = 1 / (1 + 0.4 a). P is a degree-8 polynomial fitted here to erfc(a) exp(a^2) / t
 * over a in [0, 9.3] (reweighted least squares toward the minimax relative error: 6e-8
 * in exact arithmetic, about 1.5e-7 evaluated in float); past a = 9.3, erfc is below
 * float's range.
 */
static inline float actf_erfc_pos(float a, float *e)
{
    const float t = 1.0f / ACTF_MADD(0.4f, a, 1.0f);
    float p = ACTF_MADD(0.04091512f, t, -0.13866034f);
    p = ACTF_MADD(p, t, 0.08052413f);
    p = ACTF_MADD(p, t, 0.09196952f);
    p = ACTF_MADD(p, t, 0.07695755f);
    p = ACTF_MADD(p, t, 0.19460009f);
    p = ACTF_MADD(p, t, 0.20157488f);
    p = ACTF_MADD(p, t, 0.22648752f);
    p = ACTF_MADD(p, t, 0.2256316f);
    *e = actf_exp_neg(-(a * a));
    return *e * t * p;
}

#endif /* FC_ACT_MATH_F32_H */
