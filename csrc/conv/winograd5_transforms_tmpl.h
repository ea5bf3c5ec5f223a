/*
 * conv/winograd5_transforms_tmpl.h - the F(2x2, 5x5) transforms for one element type (a
 * template: see core/tmpl.h), instantiated by winograd.c after the F(2x2, 3x3) ones,
 * whose streams, builds and call signatures they share. Interpolation points 0, 1, -1,
 * 2, -2 and infinity (Toom-Cook; B^T is the transposed inverse of the Vandermonde
 * matrix of the points, rows scaled to integers, and G carries the inverse scales):
 *   B^T = [4 0 -5 0 1 0; 0 4 4 -1 -1 0; 0 -4 4 1 -1 0;
 *          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]             (V = B^T d B)
 *   G   = [1/4 0 0 0 0; 1/6 1/6 1/6 1/6 1/6; 1/6 -1/6 1/6 -1/6 1/6;
 *          1/24 1/12 1/6 1/3 2/3; 1/24 -1/12 1/6 -1/3 2/3; 0 0 0 0 1] (U = G g G^T)
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]                             (Y = A^T M A)
 * Index xi = 6*i + j of a 6x6 transformed tile: i its row, j its column.
 */

/* B^T applied to one line d0..d5 of a tile (row or column), into t0..t5. */
#define FC_WINO5_BT(d0, d1, d2, d3, d4, d5, t0, t1, t2, t3, t4, t5)                         \
    const T t0 = ((T)4 * d0 - (T)5 * d2) + d4, t1 = (T)4 * (d1 + d2) - (d3 + d4),          \
            t2 = (T)4 * (d2 - d1) + (d3 - d4), t3 = (T)2 * (d3 - d1) + (d4 - d2),          \
            t4 = (T)2 * (d1 - d3) + (d4 - d2), t5 = ((T)4 * d1 - (T)5 * d3) + d5

/*
 * Tiles of 6x6 inputs read by short runs along tile rows (7 tiles on a 14x14 output)
 * leave the vector units idle; so F(2x2, 5x5) transforms whole blocks in one loop over
 * tiles. Its input is first copied into 12 planes per channel (wino5_input_block):
 * plane (rp, s, p) holds, for each pair of input rows (2R + rp), the columns 2(tx + s) + p
 * for tx < tw, so that element (i, j) of tile l (numbered along tile rows from the
 * block's first tile row) sits at plane(i % 2, j / 2, j % 2)[l + (i / 2) * tw]; outputs
 * and output gradients pass through four streams (element (a, b) of the 2x2 tile l at
 * o[(2a + b)*os + l]) that short copies move to and from the image rows.
 */

/* Plane (rp, s, p) of the input copy, planes ps apart. */
#define FC_WINO5_PLANE(rp, s, p) ((((rp) * 3 + (s)) * 2 + (p)) * ps)

/* V = B^T d B for `len` tiles of one channel, from the planes at b (ps apart, rows of
 * tw); element xi of tile l goes to v[xi*vs + l]. */
FC_WINO_BODY void FC_T(wino5_input_tiles_body)(const T *restrict b, int64_t ps, int64_t tw,
                                               int64_t len, T *restrict v, int64_t vs)
{
/* row i of the tile (pointers to its six columns) */
#define FC_WINO5_PTRS(r, i)                                                                  \
    const T *restrict r##c0 = b + FC_WINO5_PLANE(i % 2, 0, 0) + (i / 2) * tw;               \
    const T *restrict r##c1 = b + FC_WINO5_PLANE(i % 2, 0, 1) + (i / 2) * tw;               \
    const T *restrict r##c2 = b + FC_WINO5_PLANE(i % 2, 1, 0) + (i / 2) * tw;               \
    const T *restrict r##c3 = b + FC_WINO5_PLANE(i % 2, 1, 1) + (i / 2) * tw;               \
    const T *restrict r##c4 = b + FC_WINO5_PLANE(i % 2, 2, 0) + (i / 2) * tw;               \
    const T *restrict r##c5 = b + FC_WINO5_PLANE(i % 2, 2, 1) + (i / 2) * tw
    FC_WINO5_PTRS(r0, 0);
    FC_WINO5_PTRS(r1, 1);
    FC_WINO5_PTRS(r2, 2);
    FC_WINO5_PTRS(r3, 3);
    FC_WINO5_PTRS(r4, 4);
    FC_WINO5_PTRS(r5, 5);
#undef FC_WINO5_PTRS
/* row r of the tile times B */
#define FC_WINO5_ROW(r, a0, a1, a2, a3, a4, a5)                                                  const T r##d0 = r##c0[l], r##d1 = r##c1[l], r##d2 = r##c2[l], r##d3 = r##c3[l];             const T r##d4 = r##c4[l], r##d5 = r##c5[l];                                                 FC_WINO5_BT(r##d0, r##d1, r##d2, r##d3, r##d4, r##d5, a0, a1, a2, a3, a4, a5)
/* column j of B^T (row products) into v */
#define FC_WINO5_COL(j)                                                                          do {                                                                                             FC_WINO5_BT(a0##j, a1##j, a2##j, a3##j, a4##j, a5##j, c0, c1, c2, c3, c4, c5);               v[(0 + j) * vs + l] = c0;                                                                    v[(6 + j) * vs + l] = c1;                                                                    v[(12 + j) * vs + l] = c2;                                                                   v[(18 + j) * vs + l] = c3;                                                                   v[(24 + j) * vs + l] = c4;                                                                   v[(30 + j) * vs + l] = c5;                                                               } while (0)
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        FC_WINO5_ROW(r0, a00, a01, a02, a03, a04, a05);
        FC_WINO5_ROW(r1, a10, a11, a12, a13, a14, a15);
        FC_WINO5_ROW(r2, a20, a21, a22, a23, a24, a25);
        FC_WINO5_ROW(r3, a30, a31, a32, a33, a34, a35);
        FC_WINO5_ROW(r4, a40, a41, a42, a43, a44, a45);
        FC_WINO5_ROW(r5, a50, a51, a52, a53, a54, a55);
        FC_WINO5_COL(0);
        FC_WINO5_COL(1);
        FC_WINO5_COL(2);
        FC_WINO5_COL(3);
        FC_WINO5_COL(4);
        FC_WINO5_COL(5);
    }
#undef FC_WINO5_COL
#undef FC_WINO5_ROW
}
#undef FC_WINO5_PLANE

/* Y = A^T M A (+ bias, ReLU) for `len` tiles of one output channel: element xi of tile
 * l is m[xi*ms + l]; output (a, b) of tile l goes to o[(2a + b)*os + l]. */
FC_WINO_BODY void FC_T(wino5_output_tiles_body)(const T *restrict m, int64_t ms,
                                                int64_t len, T bias, int relu,
                                                T *restrict o, int64_t os)
{
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        T s0[6], s1[6];
        for (int j = 0; j < 6; j++) {
            const T m0 = m[j * ms + l], m1 = m[(6 + j) * ms + l], m2 = m[(12 + j) * ms + l];
            const T m3 = m[(18 + j) * ms + l], m4 = m[(24 + j) * ms + l];
            const T m5 = m[(30 + j) * ms + l];
            s0[j] = (m0 + (m1 + m2)) + (m3 + m4);
            s1[j] = ((m1 - m2) + (T)2 * (m3 - m4)) + m5;
        }
        T y00 = (s0[0] + (s0[1] + s0[2])) + (s0[3] + s0[4]) + bias;
        T y01 = ((s0[1] - s0[2]) + (T)2 * (s0[3] - s0[4])) + s0[5] + bias;
        T y10 = (s1[0] + (s1[1] + s1[2])) + (s1[3] + s1[4]) + bias;
        T y11 = ((s1[1] - s1[2]) + (T)2 * (s1[3] - s1[4])) + s1[5] + bias;
        if (relu) { /* max(0, y); NaN passes through, as in the GEMM store */
            y00 = y00 < 0 ? (T)0 : y00;
            y01 = y01 < 0 ? (T)0 : y01;
            y10 = y10 < 0 ? (T)0 : y10;
            y11 = y11 < 0 ? (T)0 : y11;
        }
        o[l] = y00;
        o[os + l] = y01;
        o[2 * os + l] = y10;
        o[3 * os + l] = y11;
    }
}

/* dM = A dY A^T for `len` tiles of one output channel: dY (a, b) of tile l at
 * o[(2a + b)*os + l]; element xi of tile l goes to dm[xi*ms + l]. */
FC_WINO_BODY void FC_T(wino5_grad_output_tiles_body)(const T *restrict o, int64_t os,
                                                     int64_t len, T *restrict dm,
                                                     int64_t ms)
{
    FC_NO_ALIAS
    for (int64_t l = 0; l < len; l++) {
        const T y00 = o[l], y01 = o[os + l], y10 = o[2 * os + l], y11 = o[3 * os + l];
        /* rows of A dY: (y0, y0 + y1, y0 - y1, y0 + 2 y1, y0 - 2 y1, y1) per column */
        const T q[6][2] = {{y00, y01},
                           {y00 + y10, y01 + y11},
                           {y00 - y10, y01 - y11},
                           {y00 + (T)2 * y10, y01 + (T)2 * y11},
                           {y00 - (T)2 * y10, y01 - (T)2 * y11},
                           {y10, y11}};
        for (int i = 0; i < 6; i++) {
            dm[(6 * i + 0) * ms + l] = q[i][0];
            dm[(6 * i + 1) * ms + l] = q[i][0] + q[i][1];
            dm[(6 * i + 2) * ms + l] = q[i][0] - q[i][1];
            dm[(6 * i + 3) * ms + l] = q[i][0] + (T)2 * q[i][1];
            dm[(6 * i + 4) * ms + l] = q[i][0] - (T)2 * q[i][1];
            dm[(6 * i + 5) * ms + l] = q[i][1];
        }
    }
}

FC_WINO_BUILDS(FC_T(wino5_input_tiles_body), FC_T(wino5_input_tiles),
               (const T *restrict b, int64_t ps, int64_t tw, int64_t len, T *restrict v,
                int64_t vs),
               (b, ps, tw, len, v, vs))
FC_WINO_BUILDS(FC_T(wino5_output_tiles_body), FC_T(wino5_output_tiles),
               (const T *restrict m, int64_t ms, int64_t len, T bias, int relu,
                T *restrict o, int64_t os),
               (m, ms, len, bias, relu, o, os))
FC_WINO_BUILDS(FC_T(wino5_grad_output_tiles_body), FC_T(wino5_grad_output_tiles),
               (const T *restrict o, int64_t os, int64_t len, T *restrict dm, int64_t ms),
               (o, os, len, dm, ms))

/* G applied to one line g0..g4 of a kernel (row or column), into u0..u5; the even and
 * odd taps are summed first so that the +-1 and +-2 pairs share them. */
#define FC_WINO5_G(g0, g1, g2, g3, g4, u0, u1, u2, u3, u4, u5)                              \
    const T g0##e1 = (g0 + g2) + g4, g0##o1 = g1 + g3;                                      \
    const T g0##e2 = (g0 + (T)4 * g2) + (T)16 * g4, g0##o2 = (T)2 * g1 + (T)8 * g3;         \
    const T u0 = g0 * (T)0.25, u1 = (g0##e1 + g0##o1) * s6, u2 = (g0##e1 - g0##o1) * s6;    \
    const T u3 = (g0##e2 + g0##o2) * s24, u4 = (g0##e2 - g0##o2) * s24, u5 = g4

/* U = G g G^T of `count` 5x5 kernels g (row-major, 25 apart); element xi of kernel e goes
 * to u[xi*us + e]. */
FC_WINO_BODY void FC_T(wino5_weight_run_body)(const T *restrict g, int64_t count,
                                              T *restrict u, int64_t us)
{
    const T s6 = (T)1 / (T)6, s24 = (T)1 / (T)24;
    FC_NO_ALIAS
    for (int64_t e = 0; e < count; e++) {
        const T *k = g + 25 * e;
        /* FC_WINO5_G names its sums after its first argument: one name per line */
        const T k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4];
        const T k5 = k[5], k6 = k[6], k7 = k[7], k8 = k[8], k9 = k[9];
        const T k10 = k[10], k11 = k[11], k12 = k[12], k13 = k[13], k14 = k[14];
        const T k15 = k[15], k16 = k[16], k17 = k[17], k18 = k[18], k19 = k[19];
        const T k20 = k[20], k21 = k[21], k22 = k[22], k23 = k[23], k24 = k[24];
        FC_WINO5_G(k0, k5, k10, k15, k20, a00, a10, a20, a30, a40, a50);
        FC_WINO5_G(k1, k6, k11, k16, k21, a01, a11, a21, a31, a41, a51);
        FC_WINO5_G(k2, k7, k12, k17, k22, a02, a12, a22, a32, a42, a52);
        FC_WINO5_G(k3, k8, k13, k18, k23, a03, a13, a23, a33, a43, a53);
        FC_WINO5_G(k4, k9, k14, k19, k24, a04, a14, a24, a34, a44, a54);
/* row i of (G g) G^T */
#define FC_WINO5_WROW(i)                                                                     \
    do {                                                                                     \
        FC_WINO5_G(a##i##0, a##i##1, a##i##2, a##i##3, a##i##4, w0, w1, w2, w3, w4, w5);     \
        u[(6 * i + 0) * us + e] = w0;                                                        \
        u[(6 * i + 1) * us + e] = w1;                                                        \
        u[(6 * i + 2) * us + e] = w2;                                                        \
        u[(6 * i + 3) * us + e] = w3;                                                        \
        u[(6 * i + 4) * us + e] = w4;                                                        \
        u[(6 * i + 5) * us + e] = w5;                                                        \
    } while (0)
        FC_WINO5_WROW(0);
        FC_WINO5_WROW(1);
        FC_WINO5_WROW(2);
        FC_WINO5_WROW(3);
        FC_WINO5_WROW(4);
        FC_WINO5_WROW(5);
#undef FC_WINO5_WROW
    }
}
#undef FC_WINO5_G
FC_WINO_BUILDS(FC_T(wino5_weight_run_body), FC_T(wino5_weight_run),
               (const T *restrict g, int64_t count, T *restrict u, int64_t us),
               (g, count, u, us))

/* dg = G^T dU G: the 5x5 weight gradient from dU (element xi at du[xi*us]). */
static void FC_T(wino5_weight_grad)(const T *du, int64_t us, T *dg)
{
    const T s6 = (T)1 / (T)6, s12 = (T)1 / (T)12, s3 = (T)1 / (T)3;
    T r[5][6];
/* G^T applied to d0..d5 into o[0..4] */
#define FC_WINO5_GT(d0, d1, d2, d3, d4, d5, o)                                               \
    do {                                                                                     \
        const T p1 = d1 + d2, m1 = d1 - d2, p2 = d3 + d4, m2 = d3 - d4;                     \
        o[0] = (d0 * (T)0.25 + p1 * s6) + p2 * (s6 * (T)0.25);                              \
        o[1] = m1 * s6 + m2 * s12;                                                           \
        o[2] = (p1 + p2) * s6;                                                               \
        o[3] = m1 * s6 + m2 * s3;                                                            \
        o[4] = (p1 * s6 + p2 * (s3 + s3)) + d5;                                              \
    } while (0)
    for (int j = 0; j < 6; j++) {
        T o[5];
        FC_WINO5_GT(du[j * us], du[(6 + j) * us], du[(12 + j) * us], du[(18 + j) * us],
                    du[(24 + j) * us], du[(30 + j) * us], o);
        for (int a = 0; a < 5; a++)
            r[a][j] = o[a];
    }
    for (int a = 0; a < 5; a++)
        FC_WINO5_GT(r[a][0], r[a][1], r[a][2], r[a][3], r[a][4], r[a][5], (dg + 5 * a));
#undef FC_WINO5_GT
}
