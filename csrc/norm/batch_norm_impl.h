/*
 * norm/batch_norm_impl.h - batch-norm kernels written once for one element type and one
 * instruction-set variant. Included (twice per variant: float and double) with T, IT
 * (the signed integer of T's width), SUFFIX (f32 / f64), ISA (generic / avx2 / avx512)
 * and BN_VBYTES (its vector register's bytes) defined; BN_FN(name) names a function of
 * this instance.
 *
 * A "unit" is the rows [n0, n1) of one channel c: row r holds the S values at
 * x + (r * C + c) * S. Every sum over a unit is taken the same way (fastconv/norm.h):
 * 16 lanes of T (value i of a row in lane i % 16; 16-lane vector j of a block in
 * accumulator j % 2, the two added at the end of the block), blocks of at most BN_BLOCK
 * vectors added into 16 double lanes, a row's last S % 16 values added one by one
 * into 16 other double lanes (0, 1, ...), both added lane by lane at the end and the
 * lanes combined by a fixed tree. Each operation is an IEEE operation on T or double (no contraction), so
 * every variant computes the same bits. Units are whole channels unless the channels
 * are few (bn_chunks), so that a channel's later passes find its data in cache.
 */

/* ------------------------------------------------------------------ 16-lane vectors
 *
 * The 16 lanes are BN_NV native vectors of BN_W lanes each (BN_VBYTES bytes: the
 * variant's register width), written with GNU vector extensions, so that the same
 * source compiles to SSE2, AVX2 or AVX-512 registers; vector k holds lanes
 * [k * BN_W, (k + 1) * BN_W). With -DFC_BN_PLAIN_LANES or another compiler a "vector" is
 * one T (the same lanes and results, slower).
 */
#define BN_NVT BN_FN(nvec)
#define BN_NVI BN_FN(nivec)

#if defined(__GNUC__) && !defined(FC_BN_PLAIN_LANES)
#define BN_W ((int)(BN_VBYTES / sizeof(T)))
typedef T BN_NVT __attribute__((vector_size(BN_VBYTES)));
typedef IT BN_NVI __attribute__((vector_size(BN_VBYTES)));
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
#endif

#define BN_NV (BN_L / BN_W)     /* native vectors per 16 lanes */
#define BN_ND (BN_L / BN_DW)    /* double vectors per 16 lanes */
#define BN_SPLAT(s) ((BN_NVT){0} + (T)(s))
#define BN_LOAD(p) __extension__({ BN_NVT v_; memcpy(&v_, (p), sizeof v_); v_; })

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
 * SCALAR(i, l) adds a tail value i into lane l of tail1 / tail2. Within a block, 16-lane vector j of the row goes to accumulator
 * p (j even) or q (j odd): two add chains in flight, summed when the block is flushed.
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
            tail1[l] += (double)d;                                                           \
            tail2[l] += (double)(d * d);                                                     \
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
                tail1[l] += (double)g;                                                       \
                tail2[l] += (double)(g * (xr[i] - mean));                                    \
            } while (0)
            BN_ROW_SUMS(S, TERMS, SCALAR);
#undef TERMS
#undef SCALAR
        } else {
#define TERMS(i, t1, t2)                                                                  \
            (t1 = BN_LOAD(gr + (i)), t2 = t1 * (BN_LOAD(xr + (i)) - vm))
#define SCALAR(i, l) do {                                                                 \
                tail1[l] += (double)gr[i];                                                   \
                tail2[l] += (double)(gr[i] * (xr[i] - mean));                                \
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

/* ------------------------------------------------------------------ per channel */

/* alpha = w * invstd, beta = b - mean * alpha: computed in double, rounded to T. */
static inline void BN_FN(affine)(const T *mean, const T *invstd, const T *w, const T *b,
                                 int64_t c, T *alpha, T *beta)
{
    const double a = (double)invstd[c] * (w ? (double)w[c] : 1.0);
    *alpha = (T)a;
    *beta = (T)((b ? (double)b[c] : 0.0) - (double)mean[c] * a);
}

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

/* dx's coefficients from the channel's gradient sums (fastconv/norm.h). */
static void BN_FN(dx_coefficients)(int64_t c, const T *invstd, const T *w, double sum_g,
                                   double sum_gd, int64_t m, int training, T *a, T *cb,
                                   T *cc)
{
    const double is = (double)invstd[c];
    const double ad = (w ? (double)w[c] : 1.0) * is;
    *a = (T)ad;
    *cb = training ? (T)(-ad * is * is * (sum_gd / (double)m)) : (T)0;
    *cc = training ? (T)(-ad * (sum_g / (double)m)) : (T)0;
}

/* ------------------------------------------------------------------ the kernels */

int BN_FN(forward_train)(int64_t N, int64_t C, int64_t S, const T *x, const T *w,
                         const T *b, double eps, double momentum, T *rm, T *rv, int relu,
                         T *y, T *save_mean, T *save_invstd, int nthreads)
{
    const int64_t m = N * S, K = bn_chunks(N, C, S);
    const int par = nthreads > 1 && N * C * S >= BN_PAR_MIN;
    (void)par;
    if (K == 1) {   /* one unit per channel: three passes over data in cache */
        #pragma omp parallel for num_threads(nthreads) if(par) schedule(static)
        for (int64_t c = 0; c < C; c++) {
            const T shift = (T)(BN_FN(unit_sum)(x, C, S, c, 0, N) / (double)m);
            double sd, sdd;
            T alpha, beta;
            BN_FN(unit_dev)(x, C, S, c, 0, N, shift, &sd, &sdd);
            BN_FN(finish_stats)(c, shift, sd, sdd, m, eps, momentum, rm, rv, save_mean,
                                save_invstd);
            BN_FN(affine)(save_mean, save_invstd, w, b, c, &alpha, &beta);
            BN_FN(unit_norm)(x, y, C, S, c, 0, N, alpha, beta, relu);
        }
        return FC_OK;
    }
    /* few channels: units (channel c, chunk k), partial sums added in chunk order */
    double *p1 = (double *)malloc(sizeof(double) * (size_t)(2 * K * C));
    T *shift = (T *)malloc(sizeof(T) * (size_t)C);
    if (!p1 || !shift) {
        free(p1);
        free(shift);
        return FC_ENOMEM;
    }
    double *p2 = p1 + K * C;
    #pragma omp parallel num_threads(nthreads) if(par)
    {
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < K * C; u++) {
            const int64_t c = u / K, k = u % K;
            p1[k * C + c] = BN_FN(unit_sum)(x, C, S, c, N * k / K, N * (k + 1) / K);
        }
        #pragma omp for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += p1[k * C + c];
            shift[c] = (T)(s / (double)m);
        }
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < K * C; u++) {
            const int64_t c = u / K, k = u % K;
            BN_FN(unit_dev)(x, C, S, c, N * k / K, N * (k + 1) / K, shift[c],
                            &p1[k * C + c], &p2[k * C + c]);
        }
        #pragma omp for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double sd = 0, sdd = 0;
            for (int64_t k = 0; k < K; k++) {
                sd += p1[k * C + c];
                sdd += p2[k * C + c];
            }
            BN_FN(finish_stats)(c, shift[c], sd, sdd, m, eps, momentum, rm, rv, save_mean,
                                save_invstd);
        }
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < K * C; u++) {
            const int64_t c = u / K, k = u % K;
            T alpha, beta;
            BN_FN(affine)(save_mean, save_invstd, w, b, c, &alpha, &beta);
            BN_FN(unit_norm)(x, y, C, S, c, N * k / K, N * (k + 1) / K, alpha, beta, relu);
        }
    }
    free(p1);
    free(shift);
    return FC_OK;
}

void BN_FN(forward_eval)(int64_t N, int64_t C, int64_t S, const T *x, const T *mean,
                         const T *invstd, const T *w, const T *b, int relu, T *y,
                         int nthreads)
{
    const int par = nthreads > 1 && N * C * S >= BN_PAR_MIN;
    (void)par;
    #pragma omp parallel for num_threads(nthreads) if(par) schedule(static)
    for (int64_t r = 0; r < N * C; r++) {
        const int64_t c = r % C;
        T alpha, beta;
        BN_FN(affine)(mean, invstd, w, b, c, &alpha, &beta);
        BN_FN(unit_norm)(x, y, C, S, c, r / C, r / C + 1, alpha, beta, relu);
    }
}

int BN_FN(backward)(int64_t N, int64_t C, int64_t S, const T *dy, const T *x, const T *mean,
                    const T *invstd, const T *w, const T *b, int relu, int training, T *dx,
                    T *dw, T *db, int nthreads)
{
    const int64_t m = N * S, K = bn_chunks(N, C, S);
    const int par = nthreads > 1 && N * C * S >= BN_PAR_MIN;
    /* the sums serve dweight and dbias, and dx in training mode */
    const int sums = dw || db || (dx && training);
    (void)par;
    if (K == 1 || !sums) {   /* one unit per channel: dy and x read twice, in cache */
        #pragma omp parallel for num_threads(nthreads) if(par) schedule(static)
        for (int64_t c = 0; c < C; c++) {
            T alpha = 0, beta = 0, a, cb, cc;
            double sg = 0, sgd = 0;
            if (relu)
                BN_FN(affine)(mean, invstd, w, b, c, &alpha, &beta);
            if (sums) {
                BN_FN(unit_grad_sums)(dy, x, C, S, c, 0, N, mean[c], relu, alpha, beta,
                                      &sg, &sgd);
                if (db)
                    db[c] = (T)sg;
                if (dw)
                    dw[c] = (T)(sgd * (double)invstd[c]);
            }
            if (dx) {
                BN_FN(dx_coefficients)(c, invstd, w, sg, sgd, m, training, &a, &cb, &cc);
                BN_FN(unit_dx)(dy, x, dx, C, S, c, 0, N, mean[c], relu, alpha, beta, a, cb,
                               cc, training);
            }
        }
        return FC_OK;
    }
    double *p1 = (double *)malloc(sizeof(double) * (size_t)(2 * K * C + 2 * C));
    if (!p1)
        return FC_ENOMEM;
    double *p2 = p1 + K * C, *tg = p1 + 2 * K * C, *tgd = tg + C;
    #pragma omp parallel num_threads(nthreads) if(par)
    {
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < K * C; u++) {
            const int64_t c = u / K, k = u % K;
            T alpha = 0, beta = 0;
            if (relu)
                BN_FN(affine)(mean, invstd, w, b, c, &alpha, &beta);
            BN_FN(unit_grad_sums)(dy, x, C, S, c, N * k / K, N * (k + 1) / K, mean[c], relu,
                                  alpha, beta, &p1[k * C + c], &p2[k * C + c]);
        }
        #pragma omp for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double sg = 0, sgd = 0;
            for (int64_t k = 0; k < K; k++) {
                sg += p1[k * C + c];
                sgd += p2[k * C + c];
            }
            tg[c] = sg;
            tgd[c] = sgd;
            if (db)
                db[c] = (T)sg;
            if (dw)
                dw[c] = (T)(sgd * (double)invstd[c]);
        }
        if (dx) {
            #pragma omp for schedule(static)
            for (int64_t u = 0; u < K * C; u++) {
                const int64_t c = u / K, k = u % K;
                T alpha = 0, beta = 0, a, cb, cc;
                if (relu)
                    BN_FN(affine)(mean, invstd, w, b, c, &alpha, &beta);
                BN_FN(dx_coefficients)(c, invstd, w, tg[c], tgd[c], m, training, &a, &cb,
                                       &cc);
                BN_FN(unit_dx)(dy, x, dx, C, S, c, N * k / K, N * (k + 1) / K, mean[c], relu,
                               alpha, beta, a, cb, cc, training);
            }
        }
    }
    free(p1);
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
