/*
 * conv/wgrad_pack_tmpl.h - the GEMM operands of the implicit-GEMM weight gradient, for one
 * element type (a template: see core/tmpl.h): dW_g[M, K] = dy_g[M, k'] @ col(x)^T[k', K],
 * the depth k' running over (image, output pixel) of a chunk of images.
 */

/* Weight-gradient operands: depth k' runs over (image, output pixel) of a chunk. */
typedef struct {
    const fc_conv2d_params *p;
    const T *x;      /* first input channel of the group in the chunk's first image */
    const T *dy;     /* first output channel of the group in the chunk's first image */
    const T *xpad;   /* the same channel in the padded (phase-split) copy of x, */
    int64_t xpad_img, hp, wp; /* its image stride and (phase) plane size */
} FC_T(wgrad_ctx);

/* Pixels gathered per lane before a transpose (pack_b_wgrad's row buffer). */
#define FC_WGRAD_RUN 64

/* B(k', kk) = col(x)[kk, k']: NR panels over kk. Each lane's taps along one output row
 * are gathered contiguously into a small buffer (bounds-checked, any stride), then the
 * lanes are transposed into the panel (contiguous writes, vector transposes). */
static void FC_T(pack_b_wgrad)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                               int64_t kn, int64_t r, T *dst)
{
    const FC_T(wgrad_ctx) *cx = (const FC_T(wgrad_ctx) *)op->ctx;
    const fc_conv2d_params *p = cx->p;
    const int64_t khw = p->kh * p->kw, hw = p->h * p->w, P = p->oh * p->ow;
    const int64_t img_stride = p->c_in * hw;
    T buf[FC_NR_MAX * FC_WGRAD_RUN] __attribute__((aligned(FC_ALIGN)));
    int64_t boff[FC_NR_MAX], lci[FC_NR_MAX], lky[FC_NR_MAX], lkx[FC_NR_MAX];
    for (int64_t l = 0; l < r; l++)
        boff[l] = l * FC_WGRAD_RUN;
    for (int64_t q0 = 0; q0 < xn; q0 += r, dst += r * kn) {
        const int64_t lanes = fc_min64(r, xn - q0);
        for (int64_t l = 0; l < lanes; l++) {
            const int64_t kk = op->off + x0 + q0 + l;
            lci[l] = kk / khw;
            lky[l] = (kk % khw) / p->kw;
            lkx[l] = kk % p->kw;
        }
        int64_t done = 0, img = k0 / P, pix = k0 % P;
        while (done < kn) {
            const int64_t oy = pix / p->ow, ox = pix % p->ow;
            const int64_t len = fc_min64(fc_min64(kn - done, p->ow - ox), FC_WGRAD_RUN);
            const T *ximg = cx->x + img * img_stride;
            for (int64_t l = 0; l < lanes; l++)
                FC_T(gather_run)(p, ximg + lci[l] * hw, lky[l], lkx[l], oy, ox, len,
                                 buf + l * FC_WGRAD_RUN, 1);
            FC_T(transpose_rows)(buf, boff, lanes, len, dst + done * r, r);
            done += len;
            pix += len;
            if (pix == P) {
                pix = 0;
                img++;
            }
        }
    }
}

/* The same B gathered from the padded input (stride 1) or its phase planes (stride > 1,
 * see fc_conv_use_phased), with no bounds checks: each run of pixels on one output row is then
 * a block of contiguous rows, transposed into the panel. */
static void FC_T(pack_b_wgrad_padded)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                                      int64_t kn, int64_t r, T *dst)
{
    const FC_T(wgrad_ctx) *cx = (const FC_T(wgrad_ctx) *)op->ctx;
    const fc_conv2d_params *p = cx->p;
    const int64_t khw = p->kh * p->kw, P = p->oh * p->ow, plane = cx->hp * cx->wp;
    int64_t off[FC_NR_MAX];
    for (int64_t q0 = 0; q0 < xn; q0 += r, dst += r * kn) {
        const int64_t lanes = fc_min64(r, xn - q0);
        for (int64_t l = 0; l < lanes; l++) {
            const int64_t kk = op->off + x0 + q0 + l;
            off[l] = FC_T(phase_offset)(kk / khw, (kk % khw) / p->kw * p->dil_h,
                                        kk % p->kw * p->dil_w, p->stride_h, p->stride_w,
                                      plane, cx->wp);
        }
        int64_t done = 0, img = k0 / P, pix = k0 % P;
        while (done < kn) {
            const int64_t oy = pix / p->ow, ox = pix % p->ow;
            const int64_t len = fc_min64(kn - done, p->ow - ox);
            const T *base = cx->xpad + img * cx->xpad_img + oy * cx->wp + ox;
            FC_T(transpose_rows)(base, off, lanes, len, dst + done * r, r);
            done += len;
            pix += len;
            if (pix == P) {
                pix = 0;
                img++;
            }
        }
    }
}

/* A(i, k') = dy[image, channel i of the group, pixel]: MR panels. */
static void FC_T(pack_a_wgrad)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                               int64_t kn, int64_t r, T *dst)
{
    const FC_T(wgrad_ctx) *cx = (const FC_T(wgrad_ctx) *)op->ctx;
    const fc_conv2d_params *p = cx->p;
    const int64_t P = p->oh * p->ow, img_stride = p->c_out * P;
    int64_t off[FC_MR_MAX];
    for (int64_t i0 = 0; i0 < xn; i0 += r, dst += r * kn) {
        const int64_t mr = fc_min64(r, xn - i0);
        for (int64_t ii = 0; ii < mr; ii++)
            off[ii] = (x0 + i0 + ii) * P;
        int64_t done = 0, img = k0 / P, pix = k0 % P;
        while (done < kn) {
            const int64_t seg = fc_min64(kn - done, P - pix);
            FC_T(transpose_rows)(cx->dy + img * img_stride + pix, off, mr, seg, dst + done * r, r);
            done += seg;
            img++;
            pix = 0;
        }
    }
}
