/*
 * pool_avx2_tmpl.h - interior max-pool rows with AVX2, written once for one element type.
 *
 * Included by pool_avx2.c with T, VT (its 256-bit vector), LANES, SUFFIX and VSET1 /
 * VSTORE / VBLEND defined, after the per-type load_, take_, update_, select_k_, offset_
 * and store_idx_ helpers.
 *
 * A block of NV vectors of outputs keeps its running maxima m and tap offsets k in
 * registers over all of the window's taps, visiting the taps in the scalar scan's order
 * (rows, then columns) with its select, so every output gets exactly the scalar value
 * and index. A row's last block is moved back to end at the row's end: it recomputes a
 * few outputs (identically) instead of leaving a scalar tail.
 */
#define PA_CAT_(a, b) a##_##b
#define PA_CAT(a, b) PA_CAT_(a, b)
#define PA_FN(name) PA_CAT(name, SUFFIX)

/* One tap for one vector of outputs. */
FC_AVX2_INLINE void PA_FN(step)(const T *s, VT *m, __m256i *k, int64_t off, const int SW,
                                const int IDX)
{
    const VT v = PA_FN(load)(s + off, SW);
    if (IDX)
        *k = PA_FN(select_k)(*k, PA_FN(offset)(off), PA_FN(take)(v, *m));
    *m = PA_FN(update)(v, *m);
}

/* Outputs [0, NV * LANES) whose first taps start at xp + first; the window has nr rows
   of kw taps, rows row_step apart and columns dw apart. */
FC_AVX2_INLINE void PA_FN(block)(const T *xp, int64_t first, int64_t nr, int64_t kw,
                                 int64_t dw, int64_t row_step, T *y, int64_t *ip,
                                 const int NV, const int SW, const int IDX)
{
    const T *s0 = xp + first, *s1 = s0 + LANES * SW;
    VT m0 = VSET1(-(T)__builtin_inf()), m1 = m0;
    __m256i k0 = _mm256_setzero_si256(), k1 = k0;
    for (int64_t r = 0; r < nr; r++) {
        for (int64_t j = 0; j < kw; j++) {
            const int64_t off = r * row_step + j * dw;
            PA_FN(step)(s0, &m0, &k0, off, SW, IDX);
            if (NV == 2)
                PA_FN(step)(s1, &m1, &k1, off, SW, IDX);
        }
    }
    VSTORE(y, m0);
    if (IDX)
        PA_FN(store_idx)(ip, first, k0, SW);
    if (NV == 2) {
        VSTORE(y + LANES, m1);
        if (IDX)
            PA_FN(store_idx)(ip + LANES, first + LANES * SW, k1, SW);
    }
}

FC_AVX2_INLINE void PA_FN(row)(const T *xp, int64_t first, int64_t nr, int64_t kw,
                               int64_t dw, int64_t row_step, int64_t n, T *y, int64_t *ip,
                               const int SW, const int IDX)
{
    const int64_t L = n >= 2 * LANES ? 2 * LANES : LANES;
    for (int64_t o = 0;; o += L) {
        if (o > n - L)
            o = n - L;
        if (L == 2 * LANES)
            PA_FN(block)(xp, first + o * SW, nr, kw, dw, row_step, y + o, IDX ? ip + o : 0, 2,
                         SW, IDX);
        else
            PA_FN(block)(xp, first + o * SW, nr, kw, dw, row_step, y + o, IDX ? ip + o : 0, 1,
                         SW, IDX);
        if (o == n - L)
            break;
    }
}

FC_AVX2 void PA_CAT(fc_pool_interior_avx2, SUFFIX)(const fc_pool2d_params *p, const T *xp,
                                                   int64_t r0, int64_t r1, int64_t ox0,
                                                   int64_t n, T *y, int64_t *ip)
{
    const int64_t w = p->w, dh = p->dil_h, kw = p->kw, dw = p->dil_w;
    const int64_t nr = (r1 - r0 + dh - 1) / dh;
    const int64_t first = r0 * w + ox0 * p->stride_w - p->pad_w;
    if (p->stride_w == 1) {
        if (ip)
            PA_FN(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 1, 1);
        else
            PA_FN(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 1, 0);
    } else {
        if (ip)
            PA_FN(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 2, 1);
        else
            PA_FN(row)(xp, first, nr, kw, dw, dh * w, n, y, ip, 2, 0);
    }
}

#undef PA_CAT_
#undef PA_CAT
#undef PA_FN
