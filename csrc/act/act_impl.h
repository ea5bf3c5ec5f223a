/*
 * act_impl.h - the activations of fastconv/act.h written once for one element type.
 *
 * Included with T, U (an unsigned integer as wide as T), SUFFIX and the math pieces
 * ACT_EXP_NEG, ACT_EXPM1_NEG, ACT_SIGMOID, ACT_TANH, ACT_LOG1P_01 and ACT_ERFC_POS defined
 * (see act_math_f32.h): by act.c for float and double, and by act_avx2.c and
 * act_avx512.c for float under their target ISA. It defines act_forward_range_SUFFIX and
 * act_backward_range_SUFFIX, the maps over one thread's chunk. Each kind is a scalar
 * formula inlined into its own loop, so every loop is a plain element map the compiler
 * vectorises; a formula picks between its computed pieces with bitwise blends (sel),
 * never branches. Only the math pieces fuse multiply-adds (ACTF_MADD); ISO C mode
 * (-ffp-contract=off) keeps the compiler from fusing anything else.
 */

#define ACT_FN(name) ACT_CAT(ACT_CAT(act_, name), ACT_CAT(_, SUFFIX))

#ifndef ACT_RANGE_LINKAGE
#define ACT_RANGE_LINKAGE static   /* the includer may make the two maps external */
#endif

static const T ACT_FN(sqrt1_2) = (T)0.70710678118654752440;     /* 1 / sqrt(2) */
static const T ACT_FN(inv_sqrt_2pi) = (T)0.39894228040143267794; /* 1 / sqrt(2 pi) */
static const T ACT_FN(gelu_beta) = (T)0.79788456080286535588;    /* sqrt(2 / pi) */
static const T ACT_FN(gelu_kappa) = (T)0.044715;

/* c ? a : b with both already computed, as a blend of their bits: see act_math_f32.h for
   why no formula here uses ?: on floating-point values. */
static inline T ACT_FN(sel)(int c, T a, T b)
{
    U ua, ub;
    memcpy(&ua, &a, sizeof(T));
    memcpy(&ub, &b, sizeof(T));
    const U m = (U)0 - (U)c;
    const U r = (ua & m) | (ub & ~m);
    T out;
    memcpy(&out, &r, sizeof(T));
    return out;
}

static inline T ACT_FN(abs)(T x) { return ACT_FN(sel)(x < 0, -x, x); }

/* clamp(v, lo, hi) as torch.clamp: the lower bound first; NaN stays NaN. */
static inline T ACT_FN(clamp)(T v, T lo, T hi)
{
    const T a = ACT_FN(sel)(v < lo, lo, v);
    return ACT_FN(sel)(a > hi, hi, a);
}

/* Phi(x), the standard normal CDF, from erfc(|x| / sqrt 2) (no cancellation in either
   tail), and in *e = exp(-x^2 / 2), which its density needs. */
static inline T ACT_FN(normal_cdf)(T x, T *e)
{
    const T c = ACT_ERFC_POS(ACT_FN(abs)(x) * ACT_FN(sqrt1_2), e);
    const T lower = (T)0.5 * c;
    return ACT_FN(sel)(x < 0, lower, (T)1 - lower);
}

/* sigmoid(2 u), u = sqrt(2/pi) (x + 0.044715 x^3): 0.5 (1 + tanh(u)) without the
   cancellation of 1 + tanh(u) for negative u. */
static inline T ACT_FN(gelu_tanh_cdf)(T x)
{
    return ACT_SIGMOID(2 * (ACT_FN(gelu_beta) * (x + ACT_FN(gelu_kappa) * (x * x * x))));
}

/* softplus with beta b, threshold th: b x > th ? x : (max(bx, 0) + log1p(exp(-|bx|))) / b,
   which is log(1 + exp(bx)) / b rearranged never to overflow. */
static inline T ACT_FN(softplus)(T x, T b, T th)
{
    const T bx = b * x;
    const T pos = ACT_FN(sel)(bx > 0, bx, (T)0);
    const T soft = (pos + ACT_LOG1P_01(ACT_EXP_NEG(-ACT_FN(abs)(bx)))) / b;
    return ACT_FN(sel)(bx > th, x, soft);
}

/* tanh(softplus(x)), and in *sig sigmoid(x) and in *sech2 1 - tanh(softplus(x))^2, from
   q = exp(-|x|) alone: with E = exp(x), tanh(log(1 + E)) = (E^2 + 2E) / (E^2 + 2E + 2),
   written in q for x > 0 (divided by E^2) so that nothing overflows or cancels. */
static inline T ACT_FN(mish_parts)(T x, T *sig, T *sech2)
{
    const T q = ACT_EXP_NEG(-ACT_FN(abs)(x)), q2 = q * q, inv = 1 / (1 + q);
    const T n = q * (q + 2), dn = n + 2;                /* x <= 0: E = q */
    const T m = 1 + 2 * q, dm = m + 2 * q2;             /* x > 0 */
    const T tn = n / dn, tm = m / dm, sn = q * inv;
    const T hn = 4 * (n + 1) / (dn * dn), hm = 4 * q2 * (m + q2) / (dm * dm);
    const int pos = x > 0;
    *sig = ACT_FN(sel)(pos, inv, sn);
    *sech2 = ACT_FN(sel)(pos, hm, hn);
    return ACT_FN(sel)(pos, tm, tn);
}

/* ------------------------------------------------------------------ the formulas */

static inline T ACT_FN(f_leaky_relu)(T v, T p0)
{
    return ACT_FN(sel)(v > 0, v, v * p0);
}

static inline T ACT_FN(f_elu)(T v, T p0)
{
    /* expm1 of v > 0 is meaningless here, and not taken */
    return ACT_FN(sel)(v <= 0, p0 * ACT_EXPM1_NEG(v), v);
}

static inline T ACT_FN(f_gelu)(T v)
{
    T e;
    return v * ACT_FN(normal_cdf)(v, &e);
}

static inline T ACT_FN(f_hardswish)(T v)
{
    return v * ACT_FN(clamp)(v + 3, 0, 6) / 6;
}

static inline T ACT_FN(f_mish)(T v)
{
    T s, d;
    return v * ACT_FN(mish_parts)(v, &s, &d);
}

static inline T ACT_FN(d_leaky_relu)(T x, T g, T p0)
{
    return ACT_FN(sel)(x > 0, g, g * p0);
}

/* the elu gradients pick the negative branch for NaN, so that NaN propagates (PyTorch's
   vectorised kernel) */
static inline T ACT_FN(d_elu_from_y)(T y, T g, T p0)
{
    return ACT_FN(sel)(y > 0, g, g * (y + p0));
}

static inline T ACT_FN(d_elu_from_x)(T x, T g, T p0)
{
    return ACT_FN(sel)(x > 0, g, g * p0 * ACT_EXP_NEG(x));
}

static inline T ACT_FN(d_gelu)(T x, T g)   /* Phi(x) + x phi(x) */
{
    T e;
    const T cdf = ACT_FN(normal_cdf)(x, &e);
    return g * (cdf + x * (e * ACT_FN(inv_sqrt_2pi)));
}

/* d/dx x s = s + 2 x s (1 - s) u', with x^2 in u' capped at 1e30 so that a finite x whose
   square overflows still meets s (1 - s) = 0 (infinite x: NaN, as PyTorch) */
static inline T ACT_FN(d_gelu_tanh)(T x, T g)
{
    const T s = ACT_FN(gelu_tanh_cdf)(x);
    const T xx = x * x;
    const T du = ACT_FN(gelu_beta) * (1 + 3 * ACT_FN(gelu_kappa)
                                          * ACT_FN(sel)(xx > (T)1e30, (T)1e30, xx));
    return g * (s + ((2 * s * (1 - s)) * x) * du);
}

static inline T ACT_FN(d_silu)(T x, T g)
{
    const T s = ACT_SIGMOID(x);
    return g * s * (1 + x * (1 - s));
}

static inline T ACT_FN(d_softplus)(T x, T g, T b, T th)
{
    const T bx = b * x;
    return ACT_FN(sel)(bx > th, g, g * ACT_SIGMOID(bx));
}

/* g where lo < y < hi, else 0 (NaN: 0, as PyTorch's vectorised kernel) */
static inline T ACT_FN(d_hardtanh_from_y)(T y, T g, T lo, T hi)
{
    return ACT_FN(sel)((y > lo) & (y < hi), g, (T)0);
}

static inline T ACT_FN(d_hardswish)(T x, T g)   /* NaN: the middle branch, NaN */
{
    const T below = ACT_FN(sel)(x <= -3, (T)0, g * (x / 3 + (T)0.5));
    return ACT_FN(sel)(x >= 3, g, below);
}

static inline T ACT_FN(d_hardsigmoid)(T x, T g)
{
    return ACT_FN(sel)((x > -3) & (x < 3), g / 6, (T)0);
}

static inline T ACT_FN(d_mish)(T x, T g)
{
    T s, d;
    const T th = ACT_FN(mish_parts)(x, &s, &d);
    return g * (th + x * s * d);
}

/* ------------------------------------------------------------------ the loops */

#define ACT_MAP(EXPR)                                    \
    for (int64_t i = lo; i < hi; i++) {                  \
        const T v = x[i];                                \
        y[i] = (EXPR);                                   \
    }

/* y[i] = f(x[i]) for i in [lo, hi). */
ACT_RANGE_LINKAGE void ACT_FN(forward_range)(fc_act_kind kind, const T *x, T *y, int64_t lo,
                                             int64_t hi, T p0, T p1)
{
    switch (kind) {
    case FC_ACT_LEAKY_RELU: ACT_MAP(ACT_FN(f_leaky_relu)(v, p0)) break;
    case FC_ACT_ELU: ACT_MAP(ACT_FN(f_elu)(v, p0)) break;
    case FC_ACT_GELU: ACT_MAP(ACT_FN(f_gelu)(v)) break;
    case FC_ACT_GELU_TANH: ACT_MAP(v * ACT_FN(gelu_tanh_cdf)(v)) break;
    case FC_ACT_SILU: ACT_MAP(v * ACT_SIGMOID(v)) break;
    case FC_ACT_SIGMOID: ACT_MAP(ACT_SIGMOID(v)) break;
    case FC_ACT_TANH: ACT_MAP(ACT_TANH(v)) break;
    case FC_ACT_SOFTPLUS: ACT_MAP(ACT_FN(softplus)(v, p0, p1)) break;
    case FC_ACT_HARDTANH: ACT_MAP(ACT_FN(clamp)(v, p0, p1)) break;
    case FC_ACT_HARDSWISH: ACT_MAP(ACT_FN(f_hardswish)(v)) break;
    case FC_ACT_HARDSIGMOID: ACT_MAP(ACT_FN(clamp)(v + 3, 0, 6) / 6) break;
    case FC_ACT_MISH: ACT_MAP(ACT_FN(f_mish)(v)) break;
    }
}

#undef ACT_MAP

#define ACT_MAP(EXPR)                                    \
    for (int64_t i = lo; i < hi; i++) {                  \
        const T v = src[i], g = dy[i];                   \
        dx[i] = (EXPR);                                  \
    }

/* dx[i] = dy[i] f'(.) from src[i] for i in [lo, hi). */
ACT_RANGE_LINKAGE void ACT_FN(backward_range)(fc_act_kind kind, const T *src, const T *dy,
                                              T *dx, int64_t lo, int64_t hi, T p0, T p1)
{
    switch (kind) {
    case FC_ACT_LEAKY_RELU: ACT_MAP(ACT_FN(d_leaky_relu)(v, g, p0)) break;
    case FC_ACT_ELU:
        if (p0 >= 0)
            ACT_MAP(ACT_FN(d_elu_from_y)(v, g, p0))
        else
            ACT_MAP(ACT_FN(d_elu_from_x)(v, g, p0))
        break;
    case FC_ACT_GELU: ACT_MAP(ACT_FN(d_gelu)(v, g)) break;
    case FC_ACT_GELU_TANH: ACT_MAP(ACT_FN(d_gelu_tanh)(v, g)) break;
    case FC_ACT_SILU: ACT_MAP(ACT_FN(d_silu)(v, g)) break;
    case FC_ACT_SIGMOID: ACT_MAP(g * (1 - v) * v) break;          /* from y */
    case FC_ACT_TANH: ACT_MAP(g * (1 - v * v)) break;             /* from y */
    case FC_ACT_SOFTPLUS: ACT_MAP(ACT_FN(d_softplus)(v, g, p0, p1)) break;
    case FC_ACT_HARDTANH: ACT_MAP(ACT_FN(d_hardtanh_from_y)(v, g, p0, p1)) break;
    case FC_ACT_HARDSWISH: ACT_MAP(ACT_FN(d_hardswish)(v, g)) break;
    case FC_ACT_HARDSIGMOID: ACT_MAP(ACT_FN(d_hardsigmoid)(v, g)) break;
    case FC_ACT_MISH: ACT_MAP(ACT_FN(d_mish)(v, g)) break;
    }
}

#undef ACT_MAP

#undef ACT_FN
#undef ACT_RANGE_LINKAGE
