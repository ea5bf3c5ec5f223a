/*
 * adaptive_max_pool_impl.h - adaptive max pooling written once for one element type.
 *
 * Included by adaptive_max_pool.c with T (the element type), K (an integer type as wide
 * as T, so that index selects vectorise with the values), K_MAX and SUFFIX defined.
 * The scan rule is PyTorch's: a value replaces the running maximum when it is larger or
 * NaN (a NaN wins, the last one if several; the first of equal maxima stays); the running
 * maximum starts at -inf with the window's first element as its index.
 */

#define AMP_LANES ((int64_t)(64 / sizeof(T)))

/* Phase 1 of one output row: for every column c, the scan of rows [r0, r1) of that
   column alone: its winner's value cm[c] and row cr[c] (r0 when nothing beats -inf).
   Vectorised over the columns. */
static void AMP_FN(column_scan)(const T *restrict x, int64_t w, int64_t r0, int64_t r1,
                                T *restrict cm, K *restrict cr)
{
    for (int64_t c = 0; c < w; c++) {
        cm[c] = -(T)INFINITY;
        cr[c] = (K)r0;
    }
    for (int64_t r = r0; r < r1; r++) {
        const T *restrict row = x + r * w;
        const K kr = (K)r;
        for (int64_t c = 0; c < w; c++) {
            const T v = row[c];
            const int take = (v > cm[c]) | (v != v);
            cm[c] = take ? v : cm[c];
            cr[c] = take ? kr : cr[c];
        }
    }
}

/* mask (all ones or zero) ? a : b, through the bits of T. */
static inline T AMP_FN(select)(int64_t mask, T a, T b)
{
    K ka, kb;
    memcpy(&ka, &a, sizeof(T));
    memcpy(&kb, &b, sizeof(T));
    const K m = (K)mask;
    const K kr = (ka & m) | (kb & ~m);
    T r;
    memcpy(&r, &kr, sizeof(T));
    return r;
}

/* Phase 2: the window's winner from its columns' winners [c0, c1), as the row-major scan
   of the window would find it: the NaN with the largest (row, column) if any, else the
   largest value at the smallest (row, column), else (nothing above -inf) the window's
   first element, row r0. Columns come in increasing order, so only rows need comparing. */
static void AMP_FN(combine)(const T *cm, const K *cr, int64_t w, int64_t r0, int64_t c0,
                            int64_t c1, T *ymax, int64_t *yidx)
{
    T best = cm[c0];
    int64_t br = (int64_t)cr[c0], bc = c0;
    for (int64_t c = c0 + 1; c < c1; c++) {
        /* integer masks and selects, no branches (random data would mispredict them) */
        const T v = cm[c];
        const int64_t r = (int64_t)cr[c];
        const int64_t vnan = -(int64_t)(v != v), bnan = -(int64_t)(best != best);
        const int64_t after_nan = vnan & -(int64_t)(r >= br);
        const int64_t otherwise = vnan | -(int64_t)(v > best)
                                  | (-(int64_t)(v == best) & -(int64_t)(r < br));
        const int64_t take = (bnan & after_nan) | (~bnan & otherwise);
        best = AMP_FN(select)(take, v, best);
        br = (r & take) | (br & ~take);
        bc = (c & take) | (bc & ~take);
    }
    *ymax = best;
    *yidx = (best == -(T)INFINITY) ? r0 * w + c0 : br * w + bc;
}

/* The scan of a whole plane of n elements (n - 1 <= K_MAX). Lane l scans the elements
   l, l + L, ... with the scan rule; a row-major scan would end on the last NaN of all
   lanes if any holds one, else on the first (lowest index) of the lanes' equal maxima,
   else (nothing above -inf) on element 0; the elements past the last full L continue
   that scan. */
static void AMP_FN(plane_global)(const T *restrict x, int64_t n, T *ymax, int64_t *yidx)
{
    T m[AMP_LANES];
    K k[AMP_LANES], at[AMP_LANES];
    for (int64_t l = 0; l < AMP_LANES; l++) {
        m[l] = -(T)INFINITY;
        k[l] = 0;
        at[l] = (K)l;
    }
    int64_t i = 0;
    for (; i + AMP_LANES <= n; i += AMP_LANES) {
        for (int64_t l = 0; l < AMP_LANES; l++) {
            const T v = x[i + l];
            const int take = (v > m[l]) | (v != v);
            m[l] = take ? v : m[l];
            k[l] = take ? at[l] : k[l];
            at[l] += (K)AMP_LANES;
        }
    }
    T best = -(T)INFINITY;
    int64_t bi = 0;
    int nan = 0;
    for (int64_t l = 0; l < AMP_LANES; l++)
        if (m[l] != m[l] && (!nan || (int64_t)k[l] > bi)) {
            nan = 1;
            best = m[l];
            bi = (int64_t)k[l];
        }
    if (!nan) {
        for (int64_t l = 0; l < AMP_LANES; l++)
            if (m[l] > best)
                best = m[l];
        if (best > -(T)INFINITY) {
            bi = INT64_MAX;
            for (int64_t l = 0; l < AMP_LANES; l++)
                if (m[l] == best && (int64_t)k[l] < bi)
                    bi = (int64_t)k[l];
        }
    }
    for (; i < n; i++) {
        const T v = x[i];
        if ((v > best) | (v != v)) {
            best = v;
            bi = i;
        }
    }
    *ymax = best;
    *yidx = bi;
}

static int AMP_FN(forward)(const fc_adaptive_pool2d_params *p, const T *x, T *y,
                           int64_t *idx, int nthreads)
{
    const int64_t planes = p->n * p->c, h = p->h, w = p->w, oh = p->oh, ow = p->ow;
    const int64_t in_plane = h * w, out_plane = oh * ow;
    const int global = oh == 1 && ow == 1 && in_plane - 1 <= (int64_t)K_MAX;
    const int nt = (nthreads > 1 && planes > 1 && planes * in_plane >= AMP_PAR_MIN)
                   ? nthreads : 1;
    /* the windows [lo, hi) of every output row and column (oh + ow pairs), then per
       thread the column winners cm (w values) and cr (w rows) of phase 1 */
    const int64_t tables = fc_round_up(2 * (oh + ow) * (int64_t)sizeof(int64_t), FC_ALIGN);
    const int64_t stride = fc_pad_elems(w, (int64_t)sizeof(T)) * (int64_t)sizeof(T)
                           + fc_pad_elems(w, (int64_t)sizeof(K)) * (int64_t)sizeof(K);
    char *block = global ? NULL : (char *)fc_aligned_malloc(tables + nt * stride);
    if (!global && !block)
        return FC_ENOMEM;
    int64_t *rows = (int64_t *)block, *cols = rows ? rows + 2 * oh : NULL;
    char *bufs = block ? block + tables : NULL;
    for (int64_t oy = 0; rows && oy < oh; oy++)
        amp_window(oy, h, oh, &rows[2 * oy], &rows[2 * oy + 1]);
    for (int64_t ox = 0; cols && ox < ow; ox++)
        amp_window(ox, w, ow, &cols[2 * ox], &cols[2 * ox + 1]);
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        T *cm = bufs ? (T *)(bufs + fc_thread_num() * stride) : NULL;
        K *cr = bufs ? (K *)(cm + fc_pad_elems(w, (int64_t)sizeof(T))) : NULL;
        #pragma omp for schedule(static)
        for (int64_t pl = 0; pl < planes; pl++) {
            const T *xp = x + pl * in_plane;
            T *yp = y + pl * out_plane;
            int64_t spare, *ip = idx ? idx + pl * out_plane : NULL;
            if (global) {
                AMP_FN(plane_global)(xp, in_plane, yp, ip ? ip : &spare);
                continue;
            }
            for (int64_t oy = 0; oy < oh; oy++) {
                const int64_t r0 = rows[2 * oy];
                AMP_FN(column_scan)(xp, w, r0, rows[2 * oy + 1], cm, cr);
                for (int64_t ox = 0; ox < ow; ox++)
                    AMP_FN(combine)(cm, cr, w, r0, cols[2 * ox], cols[2 * ox + 1],
                                    yp + oy * ow + ox, ip ? ip + oy * ow + ox : &spare);
            }
        }
    }
    fc_aligned_free(block);
    return FC_OK;
}

#undef AMP_LANES
