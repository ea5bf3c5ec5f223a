/*
 * optim/sgd_tmpl.h - the SGD update for one element type (a template: see core/tmpl.h),
 * instantiated by sgd.c.
 */
static void FC_T(fc_sgd_update)(int64_t size, T *p, const T *g, T *buf, T lr, T momentum,
                                int first)
{
    if (!buf) {
        for (int64_t i = 0; i < size; i++)
            p[i] = p[i] - g[i] * lr;
        return;
    }
    for (int64_t i = 0; i < size; i++) {
        const T b = first ? g[i] : buf[i] * momentum + g[i];
        buf[i] = b;
        p[i] = p[i] - b * lr;
    }
}
