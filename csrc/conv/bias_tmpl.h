/*
 * conv/bias_tmpl.h - the conv bias gradient for one element type (a template: see
 * core/tmpl.h), instantiated by bias.c: the portable sum and its AVX-512 version side by
 * side. Both sum each plane in 8 double lanes (element j into lane j % 8, a tail of
 * P % 8 into lane 0), combine the lanes ((0+1)+(2+3))+((4+5)+(6+7)) and add the planes in
 * image order, so they give the same bits; the AVX-512 one sums four images' planes side
 * by side (independent add chains hide the add latency).
 */

/* Channel c's sum of dy (n images of C planes of P elements), portable. */
static double FC_T(bias_sum)(const T *dy, int64_t n, int64_t C, int64_t P, int64_t c)
{
    double total = 0;
    for (int64_t img = 0; img < n; img++) {
        const T *src = dy + (img * C + c) * P;
        double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t j = 0;
        for (; j + 8 <= P; j += 8)
            for (int u = 0; u < 8; u++)
                l[u] += (double)src[j + u];
        for (; j < P; j++)
            l[0] += (double)src[j];
        total += FC_BIAS_TREE(l);
    }
    return total;
}

#if FC_BIAS_AVX512
#if FC_T_IS_FLOAT
#define FC_LOAD8(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#else
#define FC_LOAD8(p) _mm512_loadu_pd(p)
#endif
/* The same sum, four planes at a time. */
FC_AVX512 static double FC_T(bias_sum_avx512)(const T *dy, int64_t n, int64_t C, int64_t P,
                                              int64_t c)
{
    const int64_t body = P - P % 8;
    double total = 0;
    for (int64_t img = 0; img < n; img += 4) {
        const int64_t m = n - img < 4 ? n - img : 4;
        const T *src[4];
        __m512d acc[4];
        for (int64_t i = 0; i < 4; i++) {
            src[i] = dy + ((img + (i < m ? i : 0)) * C + c) * P;
            acc[i] = _mm512_setzero_pd();
        }
        for (int64_t j = 0; j < body; j += 8)
            for (int64_t i = 0; i < 4; i++)
                acc[i] = _mm512_add_pd(acc[i], FC_LOAD8(src[i] + j));
        for (int64_t i = 0; i < m; i++) {
            double l[8];
            _mm512_storeu_pd(l, acc[i]);
            for (int64_t j = body; j < P; j++)
                l[0] += (double)src[i][j];
            total += FC_BIAS_TREE(l);
        }
    }
    return total;
}
#undef FC_LOAD8
#endif

/* db[c] = channel c's sum; threads split the channels. */
void FC_T(fc_conv2d_bias)(fc_isa isa, const fc_conv2d_params *p, const T *dy, T *db,
                          int nthreads)
{
    const int64_t C = p->c_out, P = p->oh * p->ow, n = p->n;
    const int nt = fc_conv_bias_threads(p, nthreads);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int64_t lo, hi;
        fc_split(C, fc_thread_num(), fc_num_threads(), &lo, &hi);
        for (int64_t c = lo; c < hi; c++) {
#if FC_BIAS_AVX512
            if (isa >= FC_ISA_AVX512) {
                db[c] = (T)FC_T(bias_sum_avx512)(dy, n, C, P, c);
                continue;
            }
#endif
            db[c] = (T)FC_T(bias_sum)(dy, n, C, P, c);
        }
    }
    (void)isa;
}
