/*
 * norm/batch_norm_impl.h - batch-norm kernels written once for one element type and one
 * instruction-set variant. Included (twice per variant: float and double) with T, IT
 * (the signed integer of T's width), SUFFIX (f32 / f64), ISA (generic / avx2 / avx512)
 * and BN_VBYTES (its vector register's bytes) defined; BN_FN(name) names a function of
 * this instance.
 *
 * A "unit" is the rows [n0, n1) of one channel c: row r holds the S values at
 * x + (r * C + c) * S. Every sum over a unit of rows of 16 values or more is taken the
 * same way (fastconv/norm.h): 16 lanes of T (value i of a row in lane i % 16; 16-lane
 * vector j of a block in accumulator j % 2, the two added at the end of the block),
 * blocks of at most BN_BLOCK vectors added into 16 double lanes, a row's last S % 16
 * values added one by one into 16 other double lanes (0, 1, ...), both added lane by
 * lane at the end and the lanes combined by a fixed tree. Shorter rows are summed across
 * the batch ("short rows" below). Each operation is an IEEE operation on T or double (no
 * contraction), so every variant computes the same bits. Units are whole channels (or
 * groups of short-row channels) unless those are few (bn_chunks), so that a channel's
 * later passes find its data in cache.
 */

/* ------------------------------------------------------------------ 16-lane vectors
 *
 * The 16 lanes are BN_NV native vectors of BN_W lanes each (BN_VBYTES bytes: the
 * variant's register width), written with GNU vector extensions, so that the same
 * source compiles to SSE2, AVX2 or AVX-512 registers; vector k holds lanes
 * [k * BN_W, (k + 1) * BN_W). With -DFC_BN_PLAIN_LANES, or a compiler other than clang
 * or GCC 9+ (__builtin_convertvector), a "vector" is one T (the same lanes and results,
 * slower).
 */
#define BN_NVT BN_FN(nvec)
#define BN_NVI BN_FN(nivec)

#if (defined(__clang__) || __GNUC__ >= 9) && !defined(FC_BN_PLAIN_LANES)
#define BN_W ((int)(BN_VBYTES / sizeof(T)))
typedef T BN_NVT __attribute__((vector_size(BN_VBYTES)));
typedef IT BN_NVI __attribute__((vector_size(BN_VBYTES)));
#define BN_LOAD(p) __extension__({ BN_NVT v_; memcpy(&v_, (p), sizeof v_); v_; })
/* g where v > 0, else +0 (v NaN: 0). */
#define BN_WHERE_POS(v, g) ((BN_NVT)((BN_NVI)(g) & (BN_NVI)((v) > (BN_NVT){0})))
#if BN_F32
/* double lanes: register-wide vectors of BN_W / 2 doubles, fed by half a float vector */
#define BN_DW (BN_W / 2)
typedef double BN_DVT __attribute__((vector_size(BN_VBYTES)));
typedef T BN_FN(hvec) __attribute__((vector_size(BN_VBYTES / 2)));
#if defined(__clang__) || __GNUC__ >= 12
/* the halves by register shuffles (BN_LO / BN_HI: lane indices for the variant's width) */
#define BN_LO_16 0, 1
#define BN_HI_16 2, 3
#define BN_LO_32 0, 1, 2, 3
#define BN_HI_32 4, 5, 6, 7
#define BN_LO_64 0, 1, 2, 3, 4, 5, 6, 7
#define BN_HI_64 8, 9, 10, 11, 12, 13, 14, 15
#define BN_HALVES(s, lo, hi)                                                              \
    (lo = __builtin_shufflevector(s, s, BN_CAT(BN_LO_, BN_VBYTES)),                       \
     hi = __builtin_shufflevector(s, s, BN_CAT(BN_HI_, BN_VBYTES)))
#else
#define BN_HALVES(s, lo, hi)                                                              \
    (memcpy(&lo, &(s), sizeof lo), memcpy(&hi, (const char *)&(s) + sizeof lo, sizeof hi))
#endif
#define BN_ADD_WIDE(acc, k, s)                                                            \
    do {                                                                                  \
        BN_FN(hvec) lo_, hi_;                                                             \
        BN_HALVES(s, lo_, hi_);                                                           \
        acc[2 * (k)] += __builtin_convertvector(lo_, BN_DVT);                             \
        acc[2 * (k) + 1] += __builtin_convertvector(hi_, BN_DVT);                         \
    } while (0)
#else
#define BN_DW BN_W
typedef double BN_DVT __attribute__((vector_size(BN_VBYTES)));
#define BN_ADD_WIDE(acc, k, s) (acc[k] += (s))
#endif
#else
#define BN_W 1
#define BN_DW 1
typedef T BN_NVT;
typedef double BN_DVT;
#define BN_WHERE_POS(v, g) ((v) > (T)0 ? (g) : (T)0)
#define BN_ADD_WIDE(acc, k, s) (acc[k] += (double)(s))
#define BN_LOAD(p) (*(p))
#endif

#define BN_NV (BN_L / BN_W)     /* native vectors per 16 lanes */
#define BN_ND (BN_L / BN_DW)    /* double vectors per 16 lanes */
#define BN_SPLAT(s) ((BN_NVT){0} + (T)(s))

/*
 * The double lanes of one sum: block sums in BN_ND double vectors acc (in registers),
 * row tails in the array tail; each lane's total is acc + tail, and the lanes are
 * combined by a fixed pairwise tree.
 */
#define BN_DLANES(acc, tail) BN_DVT acc[BN_ND]; double tail[BN_L] = {0};                 \
    for (int k_ = 0; k_ < BN_ND; k_++)                                                    \
        acc[k_] = (BN_DVT){0}

static inline double BN_FN(lanes_total)(const BN_DVT *acc, const double *tail)
{
    double a[BN_L];
    memcpy(a, acc, sizeof a);
    for (int l = 0; l < BN_L; l++)
        a[l] += tail[l];
    for (int w = BN_L / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++)
            a[l] += a[l + w];
    return a[0];
}

/* acc (double lanes) += p + q (16 lanes of T), lane by lane. */
#define BN_FLUSH(acc, p, q)                                                               \
    do {                                                                                  \
        for (int k_ = 0; k_ < BN_NV; k_++) {                                              \
            const BN_NVT s_ = p[k_] + q[k_];                                              \
            BN_ADD_WIDE(acc, k_, s_);                                                     \
        }                                                                                 \
    } while (0)

/*
 * Sums over one row of S values into the double lanes (acc1, tail1) and (acc2, tail2):
 * TERMS(i, t1, t2) sets the two contributions of the native vector at element i,
 * SCALAR(i, l) adds a tail value i into lane l of tail1 / tail2. Within a block, 16-lane
 * vector j of the row goes to accumulator p (j even) or q (j odd): two add chains in
 * flight, summed when the block is flushed.
 */
#define BN_ROW_SUMS(S, TERMS, SCALAR)                                                     \
    do {                                                                                  \
        int64_t i_ = 0;                                                                   \
        while ((S) - i_ >= BN_L) {                                                        \
            const int64_t stop_ = i_ + fc_min64(((S) - i_) / BN_L, BN_BLOCK) * BN_L;      \
            BN_NVT p1[BN_NV], p2[BN_NV], q1[BN_NV], q2[BN_NV], t1, t2;                    \
            for (int k = 0; k < BN_NV; k++)                                               \
                p1[k] = p2[k] = q1[k] = q2[k] = BN_SPLAT(0);                              \
            for (; i_ + 2 * BN_L <= stop_; i_ += 2 * BN_L)                                \
                for (int k = 0; k < BN_NV; k++) {                                         \
                    TERMS(i_ + k * BN_W, t1, t2);                                         \
                    p1[k] += t1;                                                          \
                    p2[k] += t2;                                                          \
                    TERMS(i_ + BN_L + k * BN_W, t1, t2);                                  \
                    q1[k] += t1;                                                          \
                    q2[k] += t2;                                                          \
                }                                                                         \
            if (i_ < stop_) {                                                             \
                for (int k = 0; k < BN_NV; k++) {                                         \
                    TERMS(i_ + k * BN_W, t1, t2);                                         \
                    p1[k] += t1;                                                          \
                    p2[k] += t2;                                                          \
                }                                                                         \
                i_ += BN_L;                                                               \
            }                                                                             \
            BN_FLUSH(acc1, p1, q1);                                                       \
            BN_FLUSH(acc2, p2, q2);                                                       \
        }                                                                                 \
        for (int l = 0; i_ < (S); i_++, l++)                                              \
            SCALAR(i_, l);                                                                \
    } while (0)

/* ------------------------------------------------------------------ unit passes */

/* sum of x over the unit. */
static double BN_FN(unit_sum)(const T *x, int64_t C, int64_t S, int64_t c, int64_t n0,
                              int64_t n1)
{
    BN_DLANES(acc1, tail1);
    BN_DLANES(acc2, tail2);
    (void)tail2;   /* BN_ROW_SUMS keeps a second sum, unused here */
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c) * S;
#define TERMS(i, t1, t2) (t1 = BN_LOAD(xr + (i)), t2 = t1)
#define SCALAR(i, l) (tail1[l] += (double)xr[i])
        BN_ROW_SUMS(S, TERMS, SCALAR);
#undef TERMS
#undef SCALAR
    }
    return BN_FN(lanes_total)(acc1, tail1);
}

/* sums of d and d * d with d = x - shift over the unit. */
static void BN_FN(unit_dev)(const T *x, int64_t C, int64_t S, int64_t c, int64_t n0,
                            int64_t n1, T shift, double *sum_d, double *sum_dd)
{
    BN_DLANES(acc1, tail1);
    BN_DLANES(acc2, tail2);
    const BN_NVT vs = BN_SPLAT(shift);
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c) * S;
#define TERMS(i, t1, t2) (t1 = BN_LOAD(xr + (i)) - vs, t2 = t1 * t1)
#define SCALAR(i, l) do {                                                                 \
            const T d = xr[i] - shift;                                                    \
            tail1[l] += (double)d;                                                        \
            tail2[l] += (double)(d * d);                                                  \
        } while (0)
        BN_ROW_SUMS(S, TERMS, SCALAR);
#undef TERMS
#undef SCALAR
    }
    *sum_d = BN_FN(lanes_total)(acc1, tail1);
    *sum_dd = BN_FN(lanes_total)(acc2, tail2);
}

/* sums of g and g * d over the unit, d = x - mean, g = dy (zeroed where the forward's
   x * alpha + beta <= 0, with relu). */
static void BN_FN(unit_grad_sums)(const T *dy, const T *x, int64_t C, int64_t S, int64_t c,
                                  int64_t n0, int64_t n1, T mean, int relu, T alpha, T beta,
                                  double *sum_g, double *sum_gd)
{
    BN_DLANES(acc1, tail1);
    BN_DLANES(acc2, tail2);
    const BN_NVT vm = BN_SPLAT(mean), va = BN_SPLAT(alpha), vb = BN_SPLAT(beta);
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c) * S;
        const T *gr = dy + (r * C + c) * S;
        if (relu) {
#define TERMS(i, t1, t2) do {                                                             \
                const BN_NVT xv = BN_LOAD(xr + (i));                                      \
                t1 = BN_WHERE_POS(xv * va + vb, BN_LOAD(gr + (i)));                       \
                t2 = t1 * (xv - vm);                                                      \
            } while (0)
#define SCALAR(i, l) do {                                                                 \
                const T g = (xr[i] * alpha + beta > (T)0) ? gr[i] : (T)0;                 \
                tail1[l] += (double)g;                                                    \
                tail2[l] += (double)(g * (xr[i] - mean));                                 \
            } while (0)
            BN_ROW_SUMS(S, TERMS, SCALAR);
#undef TERMS
#undef SCALAR
        } else {
#define TERMS(i, t1, t2)                                                                  \
            (t1 = BN_LOAD(gr + (i)), t2 = t1 * (BN_LOAD(xr + (i)) - vm))
#define SCALAR(i, l) do {                                                                 \
                tail1[l] += (double)gr[i];                                                \
                tail2[l] += (double)(gr[i] * (xr[i] - mean));                             \
            } while (0)
            BN_ROW_SUMS(S, TERMS, SCALAR);
#undef TERMS
#undef SCALAR
        }
    }
    *sum_g = BN_FN(lanes_total)(acc1, tail1);
    *sum_gd = BN_FN(lanes_total)(acc2, tail2);
}

/* y = x * alpha + beta (then max(., 0), NaN kept, with relu) over the unit. */
static void BN_FN(unit_norm)(const T *x, T *y, int64_t C, int64_t S, int64_t c, int64_t n0,
                             int64_t n1, T alpha, T beta, int relu)
{
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c) * S;
        T *yr = y + (r * C + c) * S;
        if (relu) {
            for (int64_t i = 0; i < S; i++) {
                const T v = xr[i] * alpha + beta;
                yr[i] = (v <= (T)0) ? (T)0 : v;
            }
        } else {
            for (int64_t i = 0; i < S; i++)
                yr[i] = xr[i] * alpha + beta;
        }
    }
}

/* dx = a * g + (cb * d + cc) over the unit (training), or a * g (evaluation), g and d as
   in unit_grad_sums. */
static void BN_FN(unit_dx)(const T *dy, const T *x, T *dx, int64_t C, int64_t S, int64_t c,
                           int64_t n0, int64_t n1, T mean, int relu, T alpha, T beta, T a,
                           T cb, T cc, int training)
{
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c) * S;
        const T *gr = dy + (r * C + c) * S;
        T *dr = dx + (r * C + c) * S;
        if (relu && training) {
            for (int64_t i = 0; i < S; i++) {
                const T g = (xr[i] * alpha + beta > (T)0) ? gr[i] : (T)0;
                dr[i] = a * g + (cb * (xr[i] - mean) + cc);
            }
        } else if (training) {
            for (int64_t i = 0; i < S; i++)
                dr[i] = a * gr[i] + (cb * (xr[i] - mean) + cc);
        } else if (relu) {
            for (int64_t i = 0; i < S; i++) {
                const T g = (xr[i] * alpha + beta > (T)0) ? gr[i] : (T)0;
                dr[i] = a * g;
            }
        } else {
            for (int64_t i = 0; i < S; i++)
                dr[i] = a * gr[i];
        }
    }
}

/* ------------------------------------------------------------------ short rows
 *
 * Rows of fewer than 16 values (S < BN_L: (N, C) and short (N, C, L) inputs) are summed
 * across the batch instead: a group of channels [c0, c1) holds P = (c1 - c0) * S
 * contiguous values per image, position p belonging to channel c0 + p / S. Each position
 * sums its values over blocks of BN_BLOCK images in T, each block added into a double,
 * and a channel's total is its S positions added in order. The loops run over positions,
 * which vectorise.
 */

static void BN_FN(short_sums)(int kind, const T *x, const T *dy, int64_t C, int64_t S,
                              int64_t c0, int64_t c1, int64_t n0, int64_t n1,
                              const T *center, const T *alpha, const T *beta, int relu,
                              double *s1, double *s2)
{
    const int64_t P = (c1 - c0) * S;
    T cp[BN_PMAX], ap[BN_PMAX], bp[BN_PMAX];   /* per position: center, alpha, beta */
    double a1[BN_PMAX], a2[BN_PMAX];
    for (int64_t p = 0; p < P; p++) {
        const int64_t c = c0 + p / S;
        cp[p] = center ? center[c] : (T)0;
        ap[p] = relu ? alpha[c] : (T)0;
        bp[p] = relu ? beta[c] : (T)0;
        a1[p] = a2[p] = 0;
    }
    for (int64_t r0 = n0; r0 < n1; r0 += BN_BLOCK) {
        const int64_t r1 = fc_min64(r0 + BN_BLOCK, n1);
        T q1[BN_PMAX] = {0}, q2[BN_PMAX] = {0};
        for (int64_t r = r0; r < r1; r++) {
            const T *xr = x + (r * C + c0) * S;
            const T *gr = dy ? dy + (r * C + c0) * S : xr;
            if (kind == BN_SUM_X) {
                for (int64_t p = 0; p < P; p++)
                    q1[p] += xr[p];
            } else if (kind == BN_SUM_DEV) {
                for (int64_t p = 0; p < P; p++) {
                    const T d = xr[p] - cp[p];
                    q1[p] += d;
                    q2[p] += d * d;
                }
            } else if (relu) {
                for (int64_t p = 0; p < P; p++) {
                    const T g = (xr[p] * ap[p] + bp[p] > (T)0) ? gr[p] : (T)0;
                    q1[p] += g;
                    q2[p] += g * (xr[p] - cp[p]);
                }
            } else {
                for (int64_t p = 0; p < P; p++) {
                    q1[p] += gr[p];
                    q2[p] += gr[p] * (xr[p] - cp[p]);
                }
            }
        }
        for (int64_t p = 0; p < P; p++) {
            a1[p] += (double)q1[p];
            a2[p] += (double)q2[p];
        }
    }
    for (int64_t c = c0; c < c1; c++) {
        double t1 = 0, t2 = 0;
        for (int64_t k = 0; k < S; k++) {
            t1 += a1[(c - c0) * S + k];
            t2 += a2[(c - c0) * S + k];
        }
        s1[c - c0] = t1;
        if (s2)
            s2[c - c0] = t2;
    }
}

/* ------------------------------------------------------------------ channel groups
 *
 * A group is channels [c0, c1) over images [n0, n1): one channel when rows are long
 * (S >= BN_L), up to BN_PMAX / S channels when they are short. Per-channel results go
 * to out[c - c0].
 */

/* alpha = w * invstd, beta = b - mean * alpha: computed in double, rounded to T. */
static inline void BN_FN(affine)(const T *mean, const T *invstd, const T *w, const T *b,
                                 int64_t c, T *alpha, T *beta)
{
    const double a = (double)invstd[c] * (w ? (double)w[c] : 1.0);
    *alpha = (T)a;
    *beta = (T)((b ? (double)b[c] : 0.0) - (double)mean[c] * a);
}

/* affine() for channels [c0, c1) into alpha[c], beta[c] (indexed by channel). */
static void BN_FN(affine_range)(const T *mean, const T *invstd, const T *w, const T *b,
                                int64_t c0, int64_t c1, T *alpha, T *beta)
{
    for (int64_t c = c0; c < c1; c++)
        BN_FN(affine)(mean, invstd, w, b, c, &alpha[c], &beta[c]);
}

static void BN_FN(group_sum)(const T *x, int64_t C, int64_t S, int64_t c0, int64_t c1,
                             int64_t n0, int64_t n1, double *s1)
{
    if (S < BN_L) {
        BN_FN(short_sums)(BN_SUM_X, x, NULL, C, S, c0, c1, n0, n1, NULL, NULL, NULL, 0, s1,
                          NULL);
        return;
    }
    for (int64_t c = c0; c < c1; c++)
        s1[c - c0] = BN_FN(unit_sum)(x, C, S, c, n0, n1);
}

/* sums of d and d * d, d = x - shift[c] */
static void BN_FN(group_dev)(const T *x, int64_t C, int64_t S, int64_t c0, int64_t c1,
                             int64_t n0, int64_t n1, const T *shift, double *s1, double *s2)
{
    if (S < BN_L) {
        BN_FN(short_sums)(BN_SUM_DEV, x, NULL, C, S, c0, c1, n0, n1, shift, NULL, NULL, 0,
                          s1, s2);
        return;
    }
    for (int64_t c = c0; c < c1; c++)
        BN_FN(unit_dev)(x, C, S, c, n0, n1, shift[c], &s1[c - c0], &s2[c - c0]);
}

/* sums of g and g * (x - mean[c]); alpha, beta (indexed by channel) for the ReLU mask */
static void BN_FN(group_grad_sums)(const T *dy, const T *x, int64_t C, int64_t S, int64_t c0,
                                   int64_t c1, int64_t n0, int64_t n1, const T *mean,
                                   int relu, const T *alpha, const T *beta, double *s1,
                                   double *s2)
{
    if (S < BN_L) {
        BN_FN(short_sums)(BN_SUM_GRAD, x, dy, C, S, c0, c1, n0, n1, mean, alpha, beta, relu,
                          s1, s2);
        return;
    }
    for (int64_t c = c0; c < c1; c++)
        BN_FN(unit_grad_sums)(dy, x, C, S, c, n0, n1, mean[c], relu, relu ? alpha[c] : 0,
                              relu ? beta[c] : 0, &s1[c - c0], &s2[c - c0]);
}

/* y = x * alpha[c] + beta[c] (+ ReLU) */
static void BN_FN(group_norm)(const T *x, T *y, int64_t C, int64_t S, int64_t c0, int64_t c1,
                              int64_t n0, int64_t n1, const T *alpha, const T *beta,
                              int relu)
{
    if (S >= BN_L) {
        for (int64_t c = c0; c < c1; c++)
            BN_FN(unit_norm)(x, y, C, S, c, n0, n1, alpha[c], beta[c], relu);
        return;
    }
    const int64_t P = (c1 - c0) * S;
    T ap[BN_PMAX], bp[BN_PMAX];
    for (int64_t p = 0; p < P; p++) {
        ap[p] = alpha[c0 + p / S];
        bp[p] = beta[c0 + p / S];
    }
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c0) * S;
        T *yr = y + (r * C + c0) * S;
        if (relu) {
            for (int64_t p = 0; p < P; p++) {
                const T v = xr[p] * ap[p] + bp[p];
                yr[p] = (v <= (T)0) ? (T)0 : v;
            }
        } else {
            for (int64_t p = 0; p < P; p++)
                yr[p] = xr[p] * ap[p] + bp[p];
        }
    }
}

/* dx = a * g + (cb * (x - mean) + cc) with per-channel a, cb, cc (indexed by channel) */
static void BN_FN(group_dx)(const T *dy, const T *x, T *dx, int64_t C, int64_t S, int64_t c0,
                            int64_t c1, int64_t n0, int64_t n1, const T *mean, int relu,
                            const T *alpha, const T *beta, const T *a, const T *cb,
                            const T *cc, int training)
{
    if (S >= BN_L) {
        for (int64_t c = c0; c < c1; c++)
            BN_FN(unit_dx)(dy, x, dx, C, S, c, n0, n1, mean[c], relu, relu ? alpha[c] : 0,
                           relu ? beta[c] : 0, a[c], cb[c], cc[c], training);
        return;
    }
    const int64_t P = (c1 - c0) * S;
    T mp[BN_PMAX], ap[BN_PMAX], bp[BN_PMAX], kp[BN_PMAX], cbp[BN_PMAX], ccp[BN_PMAX];
    for (int64_t p = 0; p < P; p++) {
        const int64_t c = c0 + p / S;
        mp[p] = mean[c];
        ap[p] = relu ? alpha[c] : (T)0;
        bp[p] = relu ? beta[c] : (T)0;
        kp[p] = a[c];
        cbp[p] = cb[c];
        ccp[p] = cc[c];
    }
    for (int64_t r = n0; r < n1; r++) {
        const T *xr = x + (r * C + c0) * S;
        const T *gr = dy + (r * C + c0) * S;
        T *dr = dx + (r * C + c0) * S;
        for (int64_t p = 0; p < P; p++) {
            const T g = (!relu || xr[p] * ap[p] + bp[p] > (T)0) ? gr[p] : (T)0;
            dr[p] = training ? kp[p] * g + (cbp[p] * (xr[p] - mp[p]) + ccp[p]) : kp[p] * g;
        }
    }
}

/* ------------------------------------------------------------------ per channel */

/* From the sums of d = x - shift: the saved mean and invstd, and the running stats. */
static void BN_FN(finish_stats)(int64_t c, T shift, double sum_d, double sum_dd, int64_t m,
                                double eps, double momentum, T *rm, T *rv, T *save_mean,
                                T *save_invstd)
{
    const double md = sum_d / (double)m;
    double var = sum_dd / (double)m - md * md;
    if (var < 0)
        var = 0;   /* rounding can leave a tiny negative for a constant channel */
    const double mean = (double)shift + md;
    save_mean[c] = (T)mean;
    save_invstd[c] = (T)(1.0 / sqrt(var + eps));
    if (rm)
        rm[c] = (T)((1.0 - momentum) * (double)rm[c] + momentum * mean);
    if (rv)
        rv[c] = (T)((1.0 - momentum) * (double)rv[c]
                    + momentum * (var * (double)m / (double)(m - 1)));
}

/* dx's coefficients of channel c from its gradient sums (fastconv/norm.h). */
static void BN_FN(dx_coefficients)(int64_t c, const T *invstd, const T *w, double sum_g,
                                   double sum_gd, int64_t m, int training, T *a, T *cb,
                                   T *cc)
{
    const double is = (double)invstd[c];
    const double ad = (w ? (double)w[c] : 1.0) * is;
    a[c] = (T)ad;
    cb[c] = training ? (T)(-ad * is * is * (sum_gd / (double)m)) : (T)0;
    cc[c] = training ? (T)(-ad * (sum_g / (double)m)) : (T)0;
}

/* ------------------------------------------------------------------ the kernels
 *
 * G groups of CB channels (bn_group_channels); with K == 1 batch chunk (bn_chunks), each
 * group runs all its passes at once while its data is in cache; otherwise each pass runs
 * over the (group, chunk) units, the chunks' double partials added in chunk order.
 * Per-channel scratch (shifts, affine maps, dx coefficients) is one allocation of 6 * C
 * values of T and 4 * K * C doubles.
 */

typedef struct {
    T *shift, *alpha, *beta, *a, *cb, *cc;   /* C each */
    double *p1, *p2, *t1, *t2;               /* K * C, K * C, C, C */
    void *block;
} BN_FN(scratch);

static int BN_FN(scratch_get)(BN_FN(scratch) *sc, int64_t C, int64_t K)
{
    const int64_t tb = fc_round_up(6 * C * (int64_t)sizeof(T), 8);
    char *m = (char *)malloc((size_t)(tb + (2 * K * C + 2 * C) * (int64_t)sizeof(double)));
    if (!m)
        return FC_ENOMEM;
    T *t = (T *)m;
    sc->shift = t;
    sc->alpha = t + C;
    sc->beta = t + 2 * C;
    sc->a = t + 3 * C;
    sc->cb = t + 4 * C;
    sc->cc = t + 5 * C;
    sc->p1 = (double *)(m + tb);
    sc->p2 = sc->p1 + K * C;
    sc->t1 = sc->p2 + K * C;
    sc->t2 = sc->t1 + C;
    sc->block = m;
    return FC_OK;
}

/* unit u of G groups x K chunks: channels [*c0, *c1), images [*n0, *n1), chunk *k */
static inline void BN_FN(unit_range)(int64_t u, int64_t K, int64_t CB, int64_t C, int64_t N,
                                     int64_t *c0, int64_t *c1, int64_t *n0, int64_t *n1,
                                     int64_t *k)
{
    const int64_t g = u / K;
    *k = u % K;
    *c0 = g * CB;
    *c1 = fc_min64(C, *c0 + CB);
    *n0 = N * *k / K;
    *n1 = N * (*k + 1) / K;
}

int BN_FN(forward_train)(int64_t N, int64_t C, int64_t S, const T *x, const T *w,
                         const T *b, double eps, double momentum, T *rm, T *rv, int relu,
                         T *y, T *save_mean, T *save_invstd, int nthreads)
{
    const int64_t m = N * S, CB = bn_group_channels(S), G = fc_ceil_div(C, CB);
    const int64_t K = bn_chunks(N, G, S * fc_min64(C, CB));
    const int par = nthreads > 1 && N * C * S >= BN_PAR_MIN;
    BN_FN(scratch) sc;
    (void)par;
    if (BN_FN(scratch_get)(&sc, C, K) != FC_OK)
        return FC_ENOMEM;
    double *p1 = sc.p1, *p2 = sc.p2;
    T *shift = sc.shift, *alpha = sc.alpha, *beta = sc.beta;
    if (K == 1) {   /* each group's passes while its data is in cache */
        #pragma omp parallel for num_threads(nthreads) if(par) schedule(static)
        for (int64_t g = 0; g < G; g++) {
            const int64_t c0 = g * CB, c1 = fc_min64(C, c0 + CB);
            BN_FN(group_sum)(x, C, S, c0, c1, 0, N, p1 + c0);
            for (int64_t c = c0; c < c1; c++)
                shift[c] = (T)(p1[c] / (double)m);
            BN_FN(group_dev)(x, C, S, c0, c1, 0, N, shift, p1 + c0, p2 + c0);
            for (int64_t c = c0; c < c1; c++)
                BN_FN(finish_stats)(c, shift[c], p1[c], p2[c], m, eps, momentum, rm, rv,
                                    save_mean, save_invstd);
            BN_FN(affine_range)(save_mean, save_invstd, w, b, c0, c1, alpha, beta);
            BN_FN(group_norm)(x, y, C, S, c0, c1, 0, N, alpha, beta, relu);
        }
        free(sc.block);
        return FC_OK;
    }
    #pragma omp parallel num_threads(nthreads) if(par)
    {
        int64_t c0, c1, n0, n1, k;
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < G * K; u++) {
            BN_FN(unit_range)(u, K, CB, C, N, &c0, &c1, &n0, &n1, &k);
            BN_FN(group_sum)(x, C, S, c0, c1, n0, n1, p1 + k * C + c0);
        }
        #pragma omp for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double s = 0;
            for (int64_t kk = 0; kk < K; kk++)
                s += p1[kk * C + c];
            shift[c] = (T)(s / (double)m);
        }
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < G * K; u++) {
            BN_FN(unit_range)(u, K, CB, C, N, &c0, &c1, &n0, &n1, &k);
            BN_FN(group_dev)(x, C, S, c0, c1, n0, n1, shift, p1 + k * C + c0,
                             p2 + k * C + c0);
        }
        #pragma omp for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double sd = 0, sdd = 0;
            for (int64_t kk = 0; kk < K; kk++) {
                sd += p1[kk * C + c];
                sdd += p2[kk * C + c];
            }
            BN_FN(finish_stats)(c, shift[c], sd, sdd, m, eps, momentum, rm, rv, save_mean,
                                save_invstd);
            BN_FN(affine)(save_mean, save_invstd, w, b, c, &alpha[c], &beta[c]);
        }
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < G * K; u++) {
            BN_FN(unit_range)(u, K, CB, C, N, &c0, &c1, &n0, &n1, &k);
            BN_FN(group_norm)(x, y, C, S, c0, c1, n0, n1, alpha, beta, relu);
        }
    }
    free(sc.block);
    return FC_OK;
}

int BN_FN(forward_eval)(int64_t N, int64_t C, int64_t S, const T *x, const T *mean,
                        const T *invstd, const T *w, const T *b, int relu, T *y,
                        int nthreads)
{
    const int64_t CB = bn_group_channels(S), G = fc_ceil_div(C, CB);
    const int par = nthreads > 1 && N * C * S >= BN_PAR_MIN;
    BN_FN(scratch) sc;
    (void)par;
    if (BN_FN(scratch_get)(&sc, C, 1) != FC_OK)
        return FC_ENOMEM;
    BN_FN(affine_range)(mean, invstd, w, b, 0, C, sc.alpha, sc.beta);
    /* one pass, every value on its own: any split gives the same bits */
    #pragma omp parallel for num_threads(nthreads) if(par) schedule(static)
    for (int64_t u = 0; u < G * N; u++) {
        const int64_t c0 = (u % G) * CB, r = u / G;
        BN_FN(group_norm)(x, y, C, S, c0, fc_min64(C, c0 + CB), r, r + 1, sc.alpha, sc.beta,
                          relu);
    }
    free(sc.block);
    return FC_OK;
}

int BN_FN(backward)(int64_t N, int64_t C, int64_t S, const T *dy, const T *x, const T *mean,
                    const T *invstd, const T *w, const T *b, int relu, int training, T *dx,
                    T *dw, T *db, int nthreads)
{
    const int64_t m = N * S, CB = bn_group_channels(S), G = fc_ceil_div(C, CB);
    /* the sums serve dweight and dbias, and dx in training mode */
    const int sums = dw || db || (dx && training);
    const int64_t K = sums ? bn_chunks(N, G, S * fc_min64(C, CB)) : 1;
    const int par = nthreads > 1 && N * C * S >= BN_PAR_MIN;
    BN_FN(scratch) sc;
    (void)par;
    if (BN_FN(scratch_get)(&sc, C, K) != FC_OK)
        return FC_ENOMEM;
    double *p1 = sc.p1, *p2 = sc.p2;
    T *alpha = sc.alpha, *beta = sc.beta, *a = sc.a, *cb = sc.cb, *cc = sc.cc;
    if (relu)
        BN_FN(affine_range)(mean, invstd, w, b, 0, C, alpha, beta);
    if (K == 1) {   /* each group's two passes while its data is in cache */
        #pragma omp parallel for num_threads(nthreads) if(par) schedule(static)
        for (int64_t g = 0; g < G; g++) {
            const int64_t c0 = g * CB, c1 = fc_min64(C, c0 + CB);
            if (sums)
                BN_FN(group_grad_sums)(dy, x, C, S, c0, c1, 0, N, mean, relu, alpha, beta,
                                       p1 + c0, p2 + c0);
            for (int64_t c = c0; c < c1; c++) {
                const double sg = sums ? p1[c] : 0, sgd = sums ? p2[c] : 0;
                if (db)
                    db[c] = (T)sg;
                if (dw)
                    dw[c] = (T)(sgd * (double)invstd[c]);
                BN_FN(dx_coefficients)(c, invstd, w, sg, sgd, m, training, a, cb, cc);
            }
            if (dx)
                BN_FN(group_dx)(dy, x, dx, C, S, c0, c1, 0, N, mean, relu, alpha, beta, a, cb,
                                cc, training);
        }
        free(sc.block);
        return FC_OK;
    }
    #pragma omp parallel num_threads(nthreads) if(par)
    {
        int64_t c0, c1, n0, n1, k;
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < G * K; u++) {
            BN_FN(unit_range)(u, K, CB, C, N, &c0, &c1, &n0, &n1, &k);
            BN_FN(group_grad_sums)(dy, x, C, S, c0, c1, n0, n1, mean, relu, alpha, beta,
                                   p1 + k * C + c0, p2 + k * C + c0);
        }
        #pragma omp for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double sg = 0, sgd = 0;
            for (int64_t kk = 0; kk < K; kk++) {
                sg += p1[kk * C + c];
                sgd += p2[kk * C + c];
            }
            if (db)
                db[c] = (T)sg;
            if (dw)
                dw[c] = (T)(sgd * (double)invstd[c]);
            BN_FN(dx_coefficients)(c, invstd, w, sg, sgd, m, training, a, cb, cc);
        }
        if (dx) {
            #pragma omp for schedule(static)
            for (int64_t u = 0; u < G * K; u++) {
                BN_FN(unit_range)(u, K, CB, C, N, &c0, &c1, &n0, &n1, &k);
                BN_FN(group_dx)(dy, x, dx, C, S, c0, c1, n0, n1, mean, relu, alpha, beta, a,
                                cb, cc, training);
            }
        }
    }
    free(sc.block);
    return FC_OK;
}

#undef BN_NVT
#undef BN_NVI
#undef BN_W
#undef BN_WHERE_POS
#undef BN_NV
#undef BN_SPLAT
#undef BN_LOAD
#undef BN_FLUSH
#undef BN_DW
#undef BN_ND
#undef BN_ADD_WIDE
#undef BN_HALVES
#undef BN_DLANES
#undef BN_ROW_SUMS
