/*
 * conv/winograd_transforms_tmpl.h - the F(2x2, 3x3) transforms for one element type (a
 * template: see core/tmpl.h), instantiated by winograd.c:
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]    (input:  V = B^T d B)
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]   (weight: U = G g G^T)
 *   A^T = [1 1 1 0; 0 1 -1 -1]                        (output: Y = A^T M A)
 * Index xi = 4*i + j of a 4x4 transformed tile: i its row, j its column. Each transform
 * is a loop over tiles (or kernels) that the compiler vectorises, in three builds
 * (FC_WINO_BUILDS) picked per call by the ISA (FC_WINO_PICK). The channel stride and
 * the deinterleaving of input rows serve F(2x2, 5x5) too (winograd5_transforms_tmpl.h).
 */

/* Elements between channels of a block's V (and M): nxi rows of tb (16 or 36 transformed
 * elements), plus one cache line, so that the GEMM's B rows (one per channel) and C rows
 * do not all fall in the same cache set when nxi*tb*sizeof(T) is a multiple of 4 KiB. */
static inline int64_t FC_T(wino_cstride)(int64_t nxi, int64_t tb)
{
    return nxi * tb + FC_ALIGN / (int64_t)sizeof(T);
}

/* e[s] = src[2s - pw] and o[s] = src[2s + 1 - pw] for s < wq, 0 where the column falls
 * outside [0, w): one input row split into its even and odd (padded) columns. A negative
 * pw shifts the row left (F(2x2, 5x5) takes copies shifted by 2 and 4 columns). */
FC_WINO_BODY void FC_T(wino_deinterleave_body)(const T *restrict src, int64_t w, int64_t pw,
                                               int64_t wq, T *restrict e, T *restrict o)
{
    /* s in [lo, hi): both columns inside */
    const int64_t lo = fc_max64(0, fc_min64((pw + 1) / 2, wq)); /* pw may be < 0 */
    const int64_t hi = fc_max64(lo, fc_min64(wq, (w + pw) / 2));
/* one column pair at an edge, bounds-checked */
#define FC_WINO_EDGE(s)                                                                      \
    do {                                                                                     \
        const int64_t ce = 2 * (s) - pw, co = ce + 1;                                        \
        e[s] = ce >= 0 && ce < w ? src[ce] : (T)0;                                           \
        o[s] = co >= 0 && co < w ? src[co] : (T)0;                                           \
    } while (0)
    for (int64_t s = 0; s < lo; s++)
        FC_WINO_EDGE(s);
    for (int64_t s = hi; s < wq; s++)
        FC_WINO_EDGE(s);
#undef FC_WINO_EDGE
    FC_NO_ALIAS
    for (int64_t s = lo; s < hi; s++) {
        e[s] = src[2 * s - pw];
        o[s] = src[2 * s + 1 - pw];
    }
}

/*
 * V = B^T d B for `len` consecutive tiles of one channel, from deinterleaved rows: row i
 * of tile l reads b[i*rs + l] (even column), b[i*rs + ps + l] (odd), then the next even
 * and odd. Element xi of tile l goes to v[xi*vs + l].
 */
FC_WINO_BODY void FC_T(wino_input_run_body)(const T *restrict b, int64_t rs, int64_t ps,
                                            int64_t len, T *restrict v, int64_t vs)
{
    const T *restrict b0 = b, *restrict b1 = b + rs, *restrict b2 = b + 2 * rs;
    const T *restrict b3 = b + 3 * rs;
/* row r of the tile times B: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) */
#define FC_WINO_ROW(r, a0, a1, a2, a3)                                                       \
    const T a0 = r[l] - r[l + 1], a1 = r[ps + l] + r[l + 1], a2 = r[l + 1] - r[ps + l],      \
            a3 = r[ps + l] - r[ps + l + 1]
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        FC_WINO_ROW(b0, a00, a01, a02, a03);
        FC_WINO_ROW(b1, a10, a11, a12, a13);
        FC_WINO_ROW(b2, a20, a21, a22, a23);
        FC_WINO_ROW(b3, a30, a31, a32, a33);
        v[0 * vs + l] = a00 - a20;
        v[1 * vs + l] = a01 - a21;
        v[2 * vs + l] = a02 - a22;
        v[3 * vs + l] = a03 - a23;
        v[4 * vs + l] = a10 + a20;
        v[5 * vs + l] = a11 + a21;
        v[6 * vs + l] = a12 + a22;
        v[7 * vs + l] = a13 + a23;
        v[8 * vs + l] = a20 - a10;
        v[9 * vs + l] = a21 - a11;
        v[10 * vs + l] = a22 - a12;
        v[11 * vs + l] = a23 - a13;
        v[12 * vs + l] = a10 - a30;
        v[13 * vs + l] = a11 - a31;
        v[14 * vs + l] = a12 - a32;
        v[15 * vs + l] = a13 - a33;
    }
#undef FC_WINO_ROW
}

/*
 * Y = A^T M A (+ bias, ReLU) for `len` tiles of one output channel: element xi of tile
 * l is m[xi*ms + l]; outputs go to two rows r0, r1 (columns 2l, 2l + 1).
 */
FC_WINO_BODY void FC_T(wino_output_run_body)(const T *restrict m, int64_t ms, int64_t len,
                                             T bias, int relu, T *restrict r0,
                                           T *restrict r1)
{
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        T s0[4], s1[4];
        for (int j = 0; j < 4; j++) {
            s0[j] = m[j * ms + l] + m[(4 + j) * ms + l] + m[(8 + j) * ms + l];
            s1[j] = m[(4 + j) * ms + l] - m[(8 + j) * ms + l] - m[(12 + j) * ms + l];
        }
        T y00 = s0[0] + s0[1] + s0[2] + bias, y01 = s0[1] - s0[2] - s0[3] + bias;
        T y10 = s1[0] + s1[1] + s1[2] + bias, y11 = s1[1] - s1[2] - s1[3] + bias;
        if (relu) { /* max(0, y); NaN passes through, as in the GEMM store */
            y00 = y00 < 0 ? (T)0 : y00;
            y01 = y01 < 0 ? (T)0 : y01;
            y10 = y10 < 0 ? (T)0 : y10;
            y11 = y11 < 0 ? (T)0 : y11;
        }
        r0[2 * l] = y00;
        r0[2 * l + 1] = y01;
        r1[2 * l] = y10;
        r1[2 * l + 1] = y11;
    }
}

/* dM = A dY A^T for `len` tiles of one output channel: dY rows r0, r1 (columns 2l, 2l+1,
 * zero past the output's edge); element xi of tile l goes to dm[xi*ms + l]. */
FC_WINO_BODY void FC_T(wino_grad_output_run_body)(const T *restrict r0,
                                                  const T *restrict r1, int64_t len,
                                                  T *restrict dm, int64_t ms)
{
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        const T y00 = r0[2 * l], y01 = r0[2 * l + 1], y10 = r1[2 * l], y11 = r1[2 * l + 1];
        const T q[4][2] = {{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11},
                           {-y10, -y11}};
        for (int i = 0; i < 4; i++) {
            dm[(4 * i + 0) * ms + l] = q[i][0];
            dm[(4 * i + 1) * ms + l] = q[i][0] + q[i][1];
            dm[(4 * i + 2) * ms + l] = q[i][0] - q[i][1];
            dm[(4 * i + 3) * ms + l] = -q[i][1];
        }
    }
}

/* Each transform in three builds (FC_WINO_BUILDS); wino_wide() says whether a loop of
 * len tiles is long enough for the AVX-512 one (FC_WINO_PICK). */
FC_WINO_BUILDS(FC_T(wino_deinterleave_body), FC_T(wino_deinterleave),
               (const T *restrict src, int64_t w, int64_t pw, int64_t wq, T *restrict e,
                T *restrict o),
               (src, w, pw, wq, e, o))
FC_WINO_BUILDS(FC_T(wino_input_run_body), FC_T(wino_input_run),
               (const T *restrict b, int64_t rs, int64_t ps, int64_t len, T *restrict v,
                int64_t vs),
               (b, rs, ps, len, v, vs))
FC_WINO_BUILDS(FC_T(wino_output_run_body), FC_T(wino_output_run),
               (const T *restrict m, int64_t ms, int64_t len, T bias, int relu,
                T *restrict r0, T *restrict r1),
               (m, ms, len, bias, relu, r0, r1))
FC_WINO_BUILDS(FC_T(wino_grad_output_run_body), FC_T(wino_grad_output_run),
               (const T *restrict r0, const T *restrict r1, int64_t len, T *restrict dm,
                int64_t ms),
               (r0, r1, len, dm, ms))
static inline int FC_T(wino_wide)(int64_t len)
{
    return len >= 64 / (int64_t)sizeof(T);
}

/* U = G g G^T of `count` 3x3 kernels g (row-major, 9 apart); element xi of kernel e goes
 * to u[xi*us + e]. */
FC_WINO_BODY void FC_T(wino_weight_run_body)(const T *restrict g, int64_t count,
                                             T *restrict u, int64_t us)
{
    const T h = (T)0.5;
    FC_NO_ALIAS
    for (int64_t e = 0; e < count; e++) {
        const T *k = g + 9 * e;
        const T k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4], k5 = k[5];
        const T k6 = k[6], k7 = k[7], k8 = k[8];
        /* rows of G g */
        const T a00 = k0, a01 = k1, a02 = k2;
        const T a10 = (k0 + k3 + k6) * h, a11 = (k1 + k4 + k7) * h, a12 = (k2 + k5 + k8) * h;
        const T a20 = (k0 - k3 + k6) * h, a21 = (k1 - k4 + k7) * h, a22 = (k2 - k5 + k8) * h;
        const T a30 = k6, a31 = k7, a32 = k8;
/* row i of (G g) G^T */
#define FC_WINO_WROW(i, b0, b1, b2)                                                          \
    u[(4 * i + 0) * us + e] = b0;                                                          \
    u[(4 * i + 1) * us + e] = (b0 + b1 + b2) * h;                                          \
    u[(4 * i + 2) * us + e] = (b0 - b1 + b2) * h;                                          \
    u[(4 * i + 3) * us + e] = b2
        FC_WINO_WROW(0, a00, a01, a02);
        FC_WINO_WROW(1, a10, a11, a12);
        FC_WINO_WROW(2, a20, a21, a22);
        FC_WINO_WROW(3, a30, a31, a32);
#undef FC_WINO_WROW
    }
}
FC_WINO_BUILDS(FC_T(wino_weight_run_body), FC_T(wino_weight_run),
               (const T *restrict g, int64_t count, T *restrict u, int64_t us),
               (g, count, u, us))

/* dg = G^T dU G: the 3x3 weight gradient from dU (element xi at du[xi*us]). */
static void FC_T(wino_weight_grad)(const T *du, int64_t us, T *dg)
{
    const T h = (T)0.5;
    T r[3][4];
    for (int j = 0; j < 4; j++) {
        const T d0 = du[j * us], d1 = du[(4 + j) * us], d2 = du[(8 + j) * us];
        const T d3 = du[(12 + j) * us];
        r[0][j] = d0 + (d1 + d2) * h;
        r[1][j] = (d1 - d2) * h;
        r[2][j] = (d1 + d2) * h + d3;
    }
    for (int a = 0; a < 3; a++) {
        dg[3 * a + 0] = r[a][0] + (r[a][1] + r[a][2]) * h;
        dg[3 * a + 1] = (r[a][1] - r[a][2]) * h;
        dg[3 * a + 2] = (r[a][1] + r[a][2]) * h + r[a][3];
    }
}
