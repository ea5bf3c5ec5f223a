/*
 * pool/max_pool2d_avx2_tmpl.h - interior max-pool rows with AVX2 for one element type (a
 * template: see core/tmpl.h), instantiated by max_pool2d_avx2.c after the per-type
 * load_, take_, update_, select_k_, offset_ and store_idx_ helpers (VT is T's 256-bit
 * vector, of LANES elements).
 *
 * A block of NV vectors of outputs keeps its running maxima m and tap offsets k in
 * registers over all of the window's taps, visiting the taps in the scalar scan's order
 * (rows, then columns) with its select, so every output gets exactly the scalar value
 * and index. A row's last block is moved back to end at the row's end: it recomputes a
 * few outputs (identically) instead of leaving a scalar tail.
 */
#if FC_T_IS_FLOAT
#define VT __m256
#define LANES 8
#define VSET1 _mm256_set1_ps
#define VSTORE _mm256_storeu_ps
#else
#define VT __m256d
#define LANES 4
#define VSET1 _mm256_set1_pd
#define VSTORE _mm256_storeu_pd
#endif

/* One tap for one vector of outputs. */
FC_AVX2_INLINE void FC_T(step)(const T *s, VT *m, __m256i *k, int64_t off, const int SW,
                               const int IDX)
{
    const VT v = FC_T(load)(s + off, SW);
    if (IDX)
        *k = FC_T(select_k)(*k, FC_T(offset)(off), FC_T(take)(v, *m));
    *m = FC_T(update)(v, *m);
}

/* Outputs [0, NV * LANES) whose first taps start at xp + first; the window has nr rows
   of kw taps, rows row_step apart and columns dw apart. */
FC_AVX2_INLINE void FC_T(block)(const T *xp, int64_t first, int64_t nr, int64_t kw,
                                int64_t dw, int64_t row_step, T *y, int64_t *ip,
                                 const int NV, const int SW, const int IDX)
{
    const T *s0 = xp + first, *s1 = s0 + LANES * SW;
    VT m0 = VSET1(-(T)__builtin_inf()), m1 = m0;
    __m256i k0 = _mm256_setzero_si256(), k1 = k0;
    for (int64_t r = 0; r < nr; r++) {
        for (int64_t j = 0; j < kw; j++) {
            const int64_t off = r * row_step + j * dw;
            FC_T(step)(s0, &m0, &k0, off, SW, IDX);
            if (NV == 2)
                FC_T(step)(s1, &m1, &k1, off, SW, IDX);
        }
    }
    VSTORE(y, m0);
    if (IDX)
        FC_T(store_idx)(ip, first, k0, SW);
    if (NV == 2) {
        VSTORE(y + LANES, m1);
        if (IDX)
            FC_T(store_idx)(ip + LANES, first + LANES * SW, k1, SW);
    }
}

FC_AVX2_INLINE void FC_T(row)(const T *xp, int64_t first, int64_t nr, int64_t kw,
                              int64_t dw, int64_t row_step, int64_t n, T *y, int64_t *ip,
                               const int SW, const int IDX)
{
    const int64_t L = n >= 2 * LANES ? 2 * LANES : LANES;
    for (int64_t o = 0;; o += L) {
        if (o > n - L)
            o = n - L;
        if (L == 2 * LANES)
            FC_T(block)(xp, first + o * SW, nr, kw, dw, row_step, y + o, IDX ? ip + o : 0,
                        2, SW, IDX);
        else
            FC_T(block)(xp, first + o * SW, nr, kw, dw, row_step, y + o, IDX ? ip + o : 0,
                        1, SW, IDX);
        if (o == n - L)
            break;
    }
}

FC_AVX2 void FC_T(fc_max_pool2d_interior_avx2)(const fc_pool2d_params *p, const T *xp,
                                               int64_t r0, int64_t r1, int64_t ox0,
                                                   int64_t n, T *y, int64_t *ip)
{
    const int64_t w = p->w, dh = p->dil_h, kw = p->kw, dw = p->dil_w;
    const int64_t nr = (r1 - r0 + dh - 1) / dh;
    const int64_t first = r0 * w + ox0 * p->stride_w - p->pad_w;
    if (p->stride_w == 1) {
        if (ip)
            FC_T(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 1, 1);
        else
            FC_T(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 1, 0);
    } else {
        if (ip)
            FC_T(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 2, 1);
        else
            FC_T(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 2, 0);
    }
}

#undef VT
#undef LANES
#undef VSET1
#undef VSTORE
