/*
 * loss/cross_entropy_tmpl.h - cross entropy for one element type (a template: see
 * core/tmpl.h), instantiated by cross_entropy.c.
 */
#if FC_T_IS_FLOAT
#define FC_EXP expf
#else
#define FC_EXP exp
#endif

/* logp = (x - max) - log(sum exp(x - max)) per row (NaN-propagating max, the sum in
 * double), as the numpy path's x - max then minus the log of the summed exps. */
static double FC_T(fc_cross_entropy_forward)(int64_t n, int64_t c, const T *x,
                                             const int64_t *t, int64_t ignore, T *logp,
                                         int64_t *count)
{
    double total = 0;
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        const T *row = x + i * c;
        T *out = logp + i * c;
        T m = row[0];
        for (int64_t j = 1; j < c; j++)
            m = (row[j] > m || row[j] != row[j]) && m == m ? row[j] : m;
        double s = 0;
        for (int64_t j = 0; j < c; j++) {
            out[j] = row[j] - m;
            s += (double)FC_EXP(out[j]);
        }
        const T lse = (T)log(s);
        for (int64_t j = 0; j < c; j++)
            out[j] = out[j] - lse;
        if (t[i] != ignore) {
            total -= (double)out[t[i]];
            kept++;
        }
    }
    *count = kept;
    return total;
}

static void FC_T(fc_cross_entropy_backward)(int64_t n, int64_t c, const T *logp,
                                            const int64_t *t, int64_t ignore, T grad,
                                        T denom, T *dx)
{
    for (int64_t i = 0; i < n; i++) {
        const int keep = t[i] != ignore;
        const int64_t hot = keep ? t[i] : 0;
        const T coef = (grad * (T)keep) / denom;
        for (int64_t j = 0; j < c; j++) {
            T v = FC_EXP(logp[i * c + j]);
            if (j == hot)
                v = v - (T)1;
            dx[i * c + j] = v * coef;
        }
    }
}

#undef FC_EXP
