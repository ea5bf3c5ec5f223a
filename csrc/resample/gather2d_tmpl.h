/*
 * resample/gather2d_tmpl.h - the index gather of nearest upsampling and of every padding
 * mode, and its adjoint (semantics: fastconv/resample.h). Instantiated per type by
 * gather2d.c.
 */

/* Output planes are split over (plane, row) pairs: every value is a copy, so any split
 * gives the same bits. */
static void FC_T(fc_gather2d_forward)(int64_t planes, int64_t h, int64_t w, int64_t oh,
                                      int64_t ow, const int64_t *rows, const int64_t *cols,
                                      T fill, const T *x, T *y, int nthreads)
{
    const int nt = rs_threads(nthreads, planes * oh * ow);
    (void)nt;
    #pragma omp parallel for collapse(2) num_threads(nt) if(nt > 1) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        for (int64_t i = 0; i < oh; i++) {
            T *yr = y + (p * oh + i) * ow;
            const int64_t r = rows[i];
            if (r < 0) {
                for (int64_t j = 0; j < ow; j++)
                    yr[j] = fill;
                continue;
            }
            const T *xr = x + (p * h + r) * w;
            for (int64_t j = 0; j < ow; j++) {
                const int64_t c = cols[j];
                yr[j] = c < 0 ? fill : xr[c];
            }
        }
    }
}

/* One plane per task: a plane's sums run in row-major order of dy on one thread. */
static void FC_T(fc_gather2d_backward)(int64_t planes, int64_t h, int64_t w, int64_t oh,
                                       int64_t ow, const int64_t *rows, const int64_t *cols,
                                       const T *dy, T *dx, int nthreads)
{
    const int nt = rs_threads(nthreads, planes * oh * ow);
    (void)nt;
    #pragma omp parallel for num_threads(nt) if(nt > 1) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        T *dxp = dx + p * h * w;
        memset(dxp, 0, (size_t)(h * w) * sizeof(T));
        for (int64_t i = 0; i < oh; i++) {
            const int64_t r = rows[i];
            if (r < 0)
                continue;
            const T *dyr = dy + (p * oh + i) * ow;
            T *dxr = dxp + r * w;
            for (int64_t j = 0; j < ow; j++) {
                const int64_t c = cols[j];
                if (c >= 0)
                    dxr[c] += dyr[j];
            }
        }
    }
}
