/*
 * optim/sgd_tmpl.h - the SGD update for one element type (a template: see core/tmpl.h),
 * instantiated by sgd.c.
 */
static void FC_T(fc_sgd_update)(int64_t size, T *p, const T *g, T *buf, T lr, T momentum,
                                int first, int nthreads)
{
    (void)nthreads;
    if (!buf) {
        #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= SGD_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < size; i++)
            p[i] = p[i] - g[i] * lr;
        return;
    }
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= SGD_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < size; i++) {
        const T b = first ? g[i] : buf[i] * momentum + g[i];
        buf[i] = b;
        p[i] = p[i] - b * lr;
    }
}
