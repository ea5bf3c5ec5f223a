/*
 * resample/linear2d_tmpl.h - separable linear interpolation of 2-D planes (bilinear
 * upsampling) and its adjoint (semantics: fastconv/resample.h). Instantiated per type by
 * linear2d.c.
 *
 * Forward, per plane: every input row that an output row reads is first interpolated
 * along the width into a row of ow values (cw weights), then each output row blends its
 * two such rows (rw weights): PyTorch's order of evaluation, with each input row's
 * horizontal pass done once instead of once per output row that reads it. The backward
 * runs the same two passes transposed. `need` marks the input rows read at all.
 */

/* out[j] = cw[j, 0] * xr[cols[j, 0]] + cw[j, 1] * xr[cols[j, 1]] */
static inline void FC_T(rs_row_interp)(const T *xr, int64_t ow, const int64_t *cols,
                                       const T *cw, T *out)
{
    for (int64_t j = 0; j < ow; j++)
        out[j] = cw[2 * j] * xr[cols[2 * j]] + cw[2 * j + 1] * xr[cols[2 * j + 1]];
}

static int FC_T(fc_linear2d_forward)(int64_t planes, int64_t h, int64_t w, int64_t oh,
                                     int64_t ow, const int64_t *rows, const int64_t *cols,
                                     const T *rw, const T *cw, const T *x, T *y,
                                     int nthreads)
{
    const int nt = (int)fc_min64(rs_threads(nthreads, planes * oh * ow), planes);
    const int64_t per = fc_pad_elems(h * ow, sizeof(T));
    char *scratch = fc_scratch_get(fc_pad_elems(h, 1) + (int64_t)nt * per * sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    unsigned char *need = (unsigned char *)scratch;
    T *bufs = (T *)(scratch + fc_pad_elems(h, 1));
    memset(need, 0, (size_t)h);
    for (int64_t i = 0; i < oh; i++)
        need[rows[2 * i]] = need[rows[2 * i + 1]] = 1;
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        T *buf = bufs + fc_thread_num() * per;
        #pragma omp for schedule(static)
        for (int64_t p = 0; p < planes; p++) {
            const T *xp = x + p * h * w;
            T *yp = y + p * oh * ow;
            for (int64_t r = 0; r < h; r++)
                if (need[r])
                    FC_T(rs_row_interp)(xp + r * w, ow, cols, cw, buf + r * ow);
            for (int64_t i = 0; i < oh; i++) {
                const T *a = buf + rows[2 * i] * ow;
                const T *b = buf + rows[2 * i + 1] * ow;
                const T wa = rw[2 * i], wb = rw[2 * i + 1];
                T *yr = yp + i * ow;
                for (int64_t j = 0; j < ow; j++)
                    yr[j] = wa * a[j] + wb * b[j];
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

static int FC_T(fc_linear2d_backward)(int64_t planes, int64_t h, int64_t w, int64_t oh,
                                      int64_t ow, const int64_t *rows, const int64_t *cols,
                                      const T *rw, const T *cw, const T *dy, T *dx,
                                      int nthreads)
{
    const int nt = (int)fc_min64(rs_threads(nthreads, planes * oh * ow), planes);
    const int64_t per = fc_pad_elems(h * ow, sizeof(T));
    char *scratch = fc_scratch_get(fc_pad_elems(h, 1) + (int64_t)nt * per * sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    unsigned char *need = (unsigned char *)scratch;
    T *bufs = (T *)(scratch + fc_pad_elems(h, 1));
    memset(need, 0, (size_t)h);
    for (int64_t i = 0; i < oh; i++)
        need[rows[2 * i]] = need[rows[2 * i + 1]] = 1;
    #pragma omp parallel num_threads(nt) if(nt > 1)
    {
        T *buf = bufs + fc_thread_num() * per;
        #pragma omp for schedule(static)
        for (int64_t p = 0; p < planes; p++) {
            const T *dyp = dy + p * oh * ow;
            T *dxp = dx + p * h * w;
            memset(buf, 0, (size_t)(h * ow) * sizeof(T));
            for (int64_t i = 0; i < oh; i++) {   /* rows: buf[r] += rw * dy[i] */
                T *a = buf + rows[2 * i] * ow;
                T *b = buf + rows[2 * i + 1] * ow;
                const T wa = rw[2 * i], wb = rw[2 * i + 1];
                const T *dyr = dyp + i * ow;
                for (int64_t j = 0; j < ow; j++)
                    a[j] += wa * dyr[j];
                for (int64_t j = 0; j < ow; j++)
                    b[j] += wb * dyr[j];
            }
            memset(dxp, 0, (size_t)(h * w) * sizeof(T));
            for (int64_t r = 0; r < h; r++) {    /* columns: dx[r, c] += cw * buf[r] */
                if (!need[r])
                    continue;
                const T *br = buf + r * ow;
                T *dxr = dxp + r * w;
                for (int64_t j = 0; j < ow; j++) {
                    dxr[cols[2 * j]] += cw[2 * j] * br[j];
                    dxr[cols[2 * j + 1]] += cw[2 * j + 1] * br[j];
                }
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}
