/*
 * pool/pool2x2_tmpl.h - portable 2x2 stride-2 max-pool kernels with window positions, for
 * one element type (a template: see core/tmpl.h), instantiated by pool2x2.c after the
 * float AVX-512 and AVX2 planes (p2_*_avx512_f32, p2_*_avx2_f32, where P2_HAVE_X86)
 * and P2_FOR_PLANES.
 */

/* One plane: y = window maxima (max_pool2d's scan: NaN wins, the last NaN; first of
   equal maxima), pos = the winner's place in its window, row * 2 + column. */
static void FC_T(p2_forward_plane)(const fc_pool2d_params *p, const T *xp, T *yp,
                                   uint8_t *pp)
{
    const int64_t w = p->w, ow = p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const T *top = xp + 2 * oy * w, *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox++) {
            const T a = top[2 * ox], b = top[2 * ox + 1];
            const T c = bot[2 * ox], d = bot[2 * ox + 1];
            T m = a;
            uint8_t k = 0;
            int t = (b > m) | (b != b);
            m = t ? b : m;
            k = t ? 1 : k;
            t = (c > m) | (c != c);
            m = t ? c : m;
            k = t ? 2 : k;
            t = (d > m) | (d != d);
            m = t ? d : m;
            k = t ? 3 : k;
            yp[oy * ow + ox] = m;
            pp[oy * ow + ox] = k;
        }
    }
}

/* One plane: dx = (y > 0 ? dy : 0) + 0 at each window's winner, +0 everywhere else,
   exactly what relu_backward then max_pool2d_backward's zero-fill and add give. */
static void FC_T(p2_relu_backward_plane)(const fc_pool2d_params *p, const T *dyp,
                                         const T *yp, const uint8_t *pp, T *dxp)
{
    const int64_t w = p->w, ow = p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        T *top = dxp + 2 * oy * w, *bot = top + w;
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t o = oy * ow + ox;
            const T g = ((yp[o] > (T)0) ? dyp[o] : (T)0) + (T)0;
            const int k = pp[o];
            top[2 * ox] = k == 0 ? g : (T)0;
            top[2 * ox + 1] = k == 1 ? g : (T)0;
            bot[2 * ox] = k == 2 ? g : (T)0;
            bot[2 * ox + 1] = k == 3 ? g : (T)0;
        }
        for (int64_t c = 2 * ow; c < w; c++)
            top[c] = bot[c] = 0;
    }
    for (int64_t i = 2 * p->oh * w; i < p->h * w; i++)
        dxp[i] = 0;
}

static void FC_T(fc_max_pool2x2_forward)(const fc_pool2d_params *p, const T *x, T *y,
                                         uint8_t *pos, int nthreads)
{
    const int64_t in = p->h * p->w, out = p->oh * p->ow;
#if FC_T_IS_FLOAT && defined(P2_HAVE_X86)
    const fc_isa isa = p2_float_isa();
    if (isa == FC_ISA_AVX512) {
        P2_FOR_PLANES(p, nthreads, p2_forward_plane_avx512_f32(p, x + pl * in, y + pl * out,
                                                               pos + pl * out));
        return;
    }
    if (isa == FC_ISA_AVX2) {
        P2_FOR_PLANES(p, nthreads, p2_forward_plane_avx2_f32(p, x + pl * in, y + pl * out,
                                                             pos + pl * out));
        return;
    }
#endif
    P2_FOR_PLANES(p, nthreads, FC_T(p2_forward_plane)(p, x + pl * in, y + pl * out,
                                                      pos + pl * out));
}

static void FC_T(fc_max_pool2x2_relu_backward)(const fc_pool2d_params *p, const T *dy,
                                               const T *y, const uint8_t *pos, T *dx,
                                               int nthreads)
{
    const int64_t in = p->h * p->w, out = p->oh * p->ow;
#if FC_T_IS_FLOAT && defined(P2_HAVE_X86)
    const fc_isa isa = p2_float_isa();
    if (isa == FC_ISA_AVX512) {
        P2_FOR_PLANES(p, nthreads,
                      p2_relu_backward_plane_avx512_f32(p, dy + pl * out, y + pl * out,
                                                        pos + pl * out, dx + pl * in));
        return;
    }
    if (isa == FC_ISA_AVX2) {
        P2_FOR_PLANES(p, nthreads,
                      p2_relu_backward_plane_avx2_f32(p, dy + pl * out, y + pl * out,
                                                      pos + pl * out, dx + pl * in));
        return;
    }
#endif
    P2_FOR_PLANES(p, nthreads, FC_T(p2_relu_backward_plane)(p, dy + pl * out, y + pl * out,
                                                            pos + pl * out, dx + pl * in));
}
