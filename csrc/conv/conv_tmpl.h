/*
 * conv_tmpl.h - conv2d forward / backward kernels for one element type.
 * Included by conv.c once per type with T (float/double) and SFX (f32/f64) defined.
 *
 * Everything is a GEMM on fc_gemm_serial (gemm_internal.h) inside one OpenMP region:
 *   forward      y_g[M, P]  = W_g[M, K] @ col(x)[K, P]   (W packed once per call)
 *                  stride 1: B read in place from a zero-padded copy of the image
 *                            (no im2col at all, see padded_ctx)
 *                  1x1, stride 1, no padding: B is x itself
 *                  otherwise: im2col done while packing B panels (pack_b_im2col)
 *                bias and ReLU are applied in the micro-kernel's store
 *   (3x3 stride-1 layers with enough channels run on Winograd instead: winograd.h)
 *   data grad    stride 1:  forward conv of dy with rotated, channel-swapped weights
 *                stride>1:  dcol[K, P] = W_g^T @ dy_g, then col2im scatter-add
 *   weight grad  dW_g[M, K] = sum over images of dy_g[M, P] @ col(x)^T[P, K]
 *                (image chunks reduced in a fixed order); col(x) panels gathered from
 *                the padded input, split into phase planes at stride > 1
 * with M = C_out/groups, K = C_in/groups*KH*KW, P = OH*OW. Work is split into tasks
 * whose results never depend on the thread count (see each function). Scratch comes
 * from fc_scratch_get (one block reused between calls).
 */
#define N_(name) FC_NAME(name, SFX)
#define GKR N_(fc_gemm_kernel)
#define OPD N_(fc_operand)

/* ------------------------------------------------------------------ im2col pieces */

/* dst[t] = src[t] for t < n: short runs (one output row) copied inline, long ones by
 * memcpy (a call per row of a 14-pixel output costs more than the copy). */
static inline void N_(copy_run)(T *dst, const T *src, int64_t n)
{
    int64_t t = 0;
    if (n >= 64) {
        memcpy(dst, src, (size_t)n * sizeof(T));
        return;
    }
#if defined(__SSE2__) && FC_T_IS_FLOAT
    for (; t + 4 <= n; t += 4)
        _mm_storeu_ps(dst + t, _mm_loadu_ps(src + t));
#elif defined(__SSE2__)
    for (; t + 2 <= n; t += 2)
        _mm_storeu_pd(dst + t, _mm_loadu_pd(src + t));
#endif
    for (; t < n; t++)
        dst[t] = src[t];
}

/* Where tap (ty, tx) (dilation applied) of channel ci starts in a zero-padded input split
 * into sh*sw phase planes of `plane` values, rows wq apart (see use_phased); at stride 1
 * that is the padded plane itself. */
static inline int64_t N_(phase_offset)(int64_t ci, int64_t ty, int64_t tx, int64_t sh,
                                       int64_t sw, int64_t plane, int64_t wq)
{
    return ((ci * sh + ty % sh) * sw + tx % sw) * plane + (ty / sh) * wq + tx / sw;
}

/* dst[t] = src[t * 2] for t < n (stride-2 taps along a row). */
static inline void N_(copy_stride2)(T *dst, const T *src, int64_t n)
{
    int64_t t = 0;
#if defined(__SSE2__) && FC_T_IS_FLOAT
    /* 4 outputs from 8 loaded values; the 8th (src[2t + 7]) is read only while output
     * t + 4 exists, so it stays inside the run's last tap */
    for (; t + 5 <= n; t += 4) {
        const __m128 v0 = _mm_loadu_ps(src + 2 * t), v1 = _mm_loadu_ps(src + 2 * t + 4);
        _mm_storeu_ps(dst + t, _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)));
    }
#endif
    for (; t < n; t++)
        dst[t] = src[2 * t];
}

/*
 * out[t*os] = x_plane[iy, ix] for the output pixels (oy, ox0 + t), t < len, of tap
 * (ky, kx): iy = oy*sh - ph + ky*dh, ix = (ox0+t)*sw - pw + kx*dw; taps outside the
 * plane give 0. Paddings may be negative (data gradient through the forward kernel).
 */
static inline void N_(gather_run)(const fc_conv2d_params *p, const T *plane, int64_t ky,
                                  int64_t kx, int64_t oy, int64_t ox0, int64_t len, T *out,
                                  int64_t os)
{
    const int64_t iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
    int64_t lo = len, hi = len;
    const int64_t sw = p->stride_w;
    const int64_t ix0 = ox0 * sw - p->pad_w + kx * p->dil_w;
    if (iy >= 0 && iy < p->h) {
        lo = ix0 >= 0 ? 0 : fc_ceil_div(-ix0, sw);
        hi = (p->w - ix0 > 0) ? fc_ceil_div(p->w - ix0, sw) : 0;
        lo = fc_min64(lo, len);
        hi = fc_max64(fc_min64(hi, len), lo);
    } else {
        lo = hi = 0; /* whole run in padding */
    }
    int64_t t = 0;
    for (; t < lo; t++)
        out[t * os] = 0;
    if (hi > lo) {
        const T *src = plane + (iy * p->w + ix0 + lo * sw); /* first in-bounds tap */
        if (os == 1 && sw == 1) {
            memcpy(out + lo, src, (size_t)(hi - lo) * sizeof(T));
        } else if (os == 1 && sw == 2) {
            N_(copy_stride2)(out + lo, src, hi - lo);
        } else
            for (t = lo; t < hi; t++)
                out[t * os] = src[(t - lo) * sw];
    }
    for (t = hi; t < len; t++)
        out[t * os] = 0;
}

/* Forward B operand: col(x) of one image and group, columns = output pixels. */
typedef struct {
    const fc_conv2d_params *p;
    const T *x; /* first input channel of the group in this image */
} N_(im2col_ctx);

static void N_(pack_b_im2col)(const OPD *op, int64_t x0, int64_t xn, int64_t k0, int64_t kn,
                              int64_t r, T *dst)
{
    const N_(im2col_ctx) *cx = (const N_(im2col_ctx) *)op->ctx;
    const fc_conv2d_params *p = cx->p;
    const int64_t khw = p->kh * p->kw, hw = p->h * p->w, ow = p->ow;
    const int64_t j_start = op->off + x0;
    const int64_t oy0 = j_start / ow, ox0 = j_start % ow;
    int64_t ci = k0 / khw, ky = (k0 % khw) / p->kw, kx = k0 % p->kw;
    for (int64_t pp = 0; pp < kn; pp++) {
        const T *plane = cx->x + ci * hw;
        int64_t jl = 0, oy = oy0, ox = ox0;
        while (jl < xn) { /* runs that stay on one output row and inside one panel */
            const int64_t lane = jl % r;
            const int64_t len = fc_min64(fc_min64(xn - jl, ow - ox), r - lane);
            N_(gather_run)(p, plane, ky, kx, oy, ox, len, dst + (jl - lane) * kn + pp * r + lane,
                           1);
            jl += len;
            ox += len;
            if (ox == ow) {
                ox = 0;
                oy++;
            }
        }
        if (++kx == p->kw) {
            kx = 0;
            if (++ky == p->kh) {
                ky = 0;
                ci++;
            }
        }
    }
    const int64_t tail = xn % r;
    if (tail) {
        T *last = dst + (xn - tail) * kn;
        for (int64_t pp = 0; pp < kn; pp++)
            for (int64_t j = tail; j < r; j++)
                last[pp * r + j] = 0;
    }
}

/* Weight-gradient operands: depth k' runs over (image, output pixel) of a chunk. */
typedef struct {
    const fc_conv2d_params *p;
    const T *x;      /* first input channel of the group in the chunk's first image */
    const T *dy;     /* first output channel of the group in the chunk's first image */
    const T *xpad;   /* the same channel in the padded (phase-split) copy of x, */
    int64_t xpad_img, hp, wp; /* its image stride and (phase) plane size */
} N_(wgrad_ctx);

/* Pixels gathered per lane before a transpose (pack_b_wgrad's row buffer). */
#define FC_WGRAD_RUN 64

/* B(k', kk) = col(x)[kk, k']: NR panels over kk. Each lane's taps along one output row
 * are gathered contiguously into a small buffer (bounds-checked, any stride), then the
 * lanes are transposed into the panel (contiguous writes, vector transposes). */
static void N_(pack_b_wgrad)(const OPD *op, int64_t x0, int64_t xn, int64_t k0, int64_t kn,
                             int64_t r, T *dst)
{
    const N_(wgrad_ctx) *cx = (const N_(wgrad_ctx) *)op->ctx;
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
                N_(gather_run)(p, ximg + lci[l] * hw, lky[l], lkx[l], oy, ox, len,
                               buf + l * FC_WGRAD_RUN, 1);
            N_(transpose_rows)(buf, boff, lanes, len, dst + done * r, r);
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
 * see use_phased), with no bounds checks: each run of pixels on one output row is then
 * a block of contiguous rows, transposed into the panel. */
static void N_(pack_b_wgrad_padded)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                                    int64_t kn, int64_t r, T *dst)
{
    const N_(wgrad_ctx) *cx = (const N_(wgrad_ctx) *)op->ctx;
    const fc_conv2d_params *p = cx->p;
    const int64_t khw = p->kh * p->kw, P = p->oh * p->ow, plane = cx->hp * cx->wp;
    int64_t off[FC_NR_MAX];
    for (int64_t q0 = 0; q0 < xn; q0 += r, dst += r * kn) {
        const int64_t lanes = fc_min64(r, xn - q0);
        for (int64_t l = 0; l < lanes; l++) {
            const int64_t kk = op->off + x0 + q0 + l;
            off[l] = N_(phase_offset)(kk / khw, (kk % khw) / p->kw * p->dil_h,
                                      kk % p->kw * p->dil_w, p->stride_h, p->stride_w,
                                      plane, cx->wp);
        }
        int64_t done = 0, img = k0 / P, pix = k0 % P;
        while (done < kn) {
            const int64_t oy = pix / p->ow, ox = pix % p->ow;
            const int64_t len = fc_min64(kn - done, p->ow - ox);
            const T *base = cx->xpad + img * cx->xpad_img + oy * cx->wp + ox;
            N_(transpose_rows)(base, off, lanes, len, dst + done * r, r);
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
static void N_(pack_a_wgrad)(const OPD *op, int64_t x0, int64_t xn, int64_t k0, int64_t kn,
                             int64_t r, T *dst)
{
    const N_(wgrad_ctx) *cx = (const N_(wgrad_ctx) *)op->ctx;
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
            N_(transpose_rows)(cx->dy + img * img_stride + pix, off, mr, seg, dst + done * r, r);
            done += seg;
            img++;
            pix = 0;
        }
    }
}

/* ------------------------------------------------------------------ forward */

/* Below this many multiply-adds a convolution runs on one thread. */
#define FC_CONV_PARALLEL_MIN ((int64_t)1 << 17)
/* Most output columns per forward task: keeps the packed kc x cols B block (and the
 * padded input and output block) inside L2 together. */
#define FC_CONV_MAX_COLS 512

/*
 * Stride-1 convolutions run on a zero-padded copy of the input (one image and group,
 * hp x wp per channel, built per thread). Output pixels are numbered on the padded width
 * (j = oy*wp + ox, ox < wp), so the im2col row of tap (ci, ky, kx) is the contiguous
 * slice xpad[ci*hp*wp + ky*dh*wp + kx*dw + j]: the micro-kernel reads B right there,
 * nothing is packed. Columns with ox >= ow are computed and dropped when the block is
 * stored into y.
 */
typedef struct {
    const T *xpad;
    int64_t plane, row_step, col_step; /* hp*wp, dil_h*wp, dil_w */
    int64_t khw, kw;
    int64_t sh, sw; /* stride: sh*sw phase planes per channel (1 at stride 1) */
    int64_t dh, dw; /* dilation (stride > 1 only) */
    int64_t kyfirst;    /* stride 1 only: K ordered (ky, ci, kx) instead of (ci, ky, kx) */
    int64_t cin, kbase; /* kyfirst: channels; K index of the GEMM's depth 0 */
} N_(padded_ctx);

/* B rows read in place from the padded input: no packing at all. */
static const T *N_(rows_padded)(const OPD *op, int64_t x0, int64_t k0, int64_t kn,
                                int64_t *boff)
{
    const N_(padded_ctx) *cx = (const N_(padded_ctx) *)op->ctx;
    if (cx->kyfirst) { /* stride 1, K = (ky, ci, kx) */
        const int64_t ckw = cx->cin * cx->kw;
        int64_t k = cx->kbase + k0;
        int64_t ky = k / ckw, ci = (k % ckw) / cx->kw, kx = k % cx->kw;
        for (int64_t pp = 0; pp < kn; pp++) {
            boff[pp] = ci * cx->plane + ky * cx->row_step + kx * cx->col_step;
            if (++kx == cx->kw) {
                kx = 0;
                if (++ci == cx->cin) {
                    ci = 0;
                    ky++;
                }
            }
        }
        return cx->xpad + op->off + x0;
    }
    int64_t ci = k0 / cx->khw, ky = (k0 % cx->khw) / cx->kw, kx = k0 % cx->kw;
    for (int64_t pp = 0; pp < kn; pp++) {
        if (cx->sh == 1 && cx->sw == 1) {
            boff[pp] = ci * cx->plane + ky * cx->row_step + kx * cx->col_step;
        } else { /* tap (ky, kx) reads phase plane ((ky*dh) % sh, (kx*dw) % sw) */
            boff[pp] = N_(phase_offset)(ci, ky * cx->dh, kx * cx->dw, cx->sh, cx->sw,
                                        cx->plane, cx->row_step);
        }
        if (++kx == cx->kw) {
            kx = 0;
            if (++ky == cx->khw / cx->kw) {
                ky = 0;
                ci++;
            }
        }
    }
    /* the last tile reads up to nr - 1 columns past the block: inside xpad's slack */
    return cx->xpad + op->off + x0;
}

/*
 * Strides > 1 run on the same principle after splitting the zero-padded input into
 * sh*sw phase planes of hq x wq (hq = oh + (kh-1)*dh/sh, wq = ow + (kw-1)*dw/sw):
 * phase (py, px) holds padded rows r*sh + py and columns c*sw + px. Output pixel
 * (oy, ox) of tap (ky, kx) is then element (oy + ky*dh/sh, ox + kx*dw/sw) of phase
 * ((ky*dh) % sh, (kx*dw) % sw): with output columns numbered j = oy*wq + ox each im2col
 * row is again one contiguous slice, read in place by the micro-kernel (no im2col).
 */

/* xq[c, py, px, r, s] = x[c, r*sh + py - pad_h, s*sw + px - pad_w] inside x, else 0. */
static void N_(build_phased)(const fc_conv2d_params *p, const T *x, int64_t channels,
                             int64_t hq, int64_t wq, int64_t total, T *xq)
{
    const int64_t sh = p->stride_h, sw = p->stride_w;
    memset(xq, 0, (size_t)total * sizeof(T));
    for (int64_t c = 0; c < channels; c++)
        for (int64_t py = 0; py < sh; py++)
            for (int64_t px = 0; px < sw; px++) {
                T *dst = xq + ((c * sh + py) * sw + px) * hq * wq;
                /* columns s with 0 <= s*sw + px - pad_w < w */
                const int64_t ix0 = px - p->pad_w;
                const int64_t s0 = ix0 >= 0 ? 0 : fc_ceil_div(-ix0, sw);
                const int64_t s1 = fc_min64(wq, p->w - ix0 > 0 ? fc_ceil_div(p->w - ix0, sw)
                                                               : 0);
                if (s1 <= s0)
                    continue;
                for (int64_t r = 0; r < hq; r++) {
                    const int64_t iy = r * sh + py - p->pad_h;
                    if (iy < 0 || iy >= p->h)
                        continue;
                    const T *src = x + (c * p->h + iy) * p->w;
                    T *d = dst + r * wq;
                    if (sw == 2)
                        N_(copy_stride2)(d + s0, src + ix0 + s0 * 2, s1 - s0);
                    else
                        for (int64_t u = s0; u < s1; u++)
                            d[u] = src[ix0 + u * sw];
                }
            }
}

/* xpad[c, r, s] = x[c, r - pad_h, s - pad_w] inside x, else 0 (pads may be negative). */
static void N_(build_padded)(const fc_conv2d_params *p, const T *x, int64_t channels,
                             int64_t hp, int64_t wp, int64_t total, T *xpad)
{
    memset(xpad, 0, (size_t)total * sizeof(T));
    const int64_t c0 = fc_max64(0, p->pad_w), src0 = fc_max64(0, -p->pad_w);
    const int64_t len = fc_min64(wp - c0, p->w - src0);
    if (len <= 0)
        return;
    for (int64_t c = 0; c < channels; c++)
        for (int64_t r = 0; r < hp; r++) {
            const int64_t iy = r - p->pad_h;
            if (iy >= 0 && iy < p->h)
                memcpy(xpad + (c * hp + r) * wp + c0, x + (c * p->h + iy) * p->w + src0,
                       (size_t)len * sizeof(T));
        }
}

/*
 * Stride 1 with K ordered (ky, ci, kx) (the data gradient's rotated weights): output rows
 * [oy0, oy1) read input rows only through taps ky in [*lo, *hi) (possibly empty); the
 * other taps meet zero padding alone and are skipped.
 */
static void N_(ky_range)(const fc_conv2d_params *p, int64_t oy0, int64_t oy1, int64_t *lo,
                         int64_t *hi)
{
    const int64_t dh = p->dil_h;
    const int64_t a = p->pad_h - (oy1 - 1);      /* ky*dh >= a */
    const int64_t b = p->pad_h + p->h - 1 - oy0; /* ky*dh <= b */
    const int64_t l = a <= 0 ? 0 : fc_ceil_div(a, dh);
    const int64_t h = b < 0 ? 0 : fc_min64(p->kh, b / dh + 1);
    *lo = fc_min64(l, p->kh);
    *hi = fc_max64(*lo, h);
}

/*
 * Output rows per task for the (ky, ci, kx) path: the fewest multiply-adds (taps kept
 * times padded columns) plus a per-GEMM overhead. Depends on the geometry and the
 * micro-tile only (never on the thread count), since it sets each sum's terms and order.
 */
static int64_t N_(row_block)(const fc_conv2d_params *p, int64_t wp, int64_t nr, int64_t K,
                             int64_t *macs)
{
    const int64_t kunit = K / p->kh;
    int64_t best = p->oh, bestcost = -1, bestmacs = 0;
    for (int64_t r = 1; r <= p->oh; r++) {
        if (r > 1 && fc_round_up((r - 1) * wp + p->ow, nr) > FC_CONV_MAX_COLS)
            break;
        int64_t cost = 0, m = 0;
        for (int64_t oy0 = 0; oy0 < p->oh; oy0 += r) {
            const int64_t oy1 = fc_min64(p->oh, oy0 + r);
            int64_t lo, hi;
            N_(ky_range)(p, oy0, oy1, &lo, &hi);
            m += (hi - lo) * kunit * fc_round_up((oy1 - oy0 - 1) * wp + p->ow, nr);
            cost += K * nr / 4;
        }
        cost += m;
        if (bestcost < 0 || cost <= bestcost) {
            best = r;
            bestcost = cost;
            bestmacs = m;
        }
    }
    if (macs)
        *macs = bestmacs;
    return best;
}


/*
 * Forward convolution for any geometry whose paddings may be negative (shared with the
 * stride-1 data gradient). Tasks are (image, group, block of output columns); a block
 * boundary never changes a result (columns of C are independent), so the block size may
 * follow the thread count.
 * kyfirst (only where the padded stride-1 path runs): w's rows are ordered (ky, ci, kx);
 * tasks are then fixed blocks of output rows (row_block) and each skips the taps that
 * read zero padding only (ky_range).
 */
static int N_(conv_forward_core)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                                 const T *w, const T *bias, T *y, int relu, int nthreads,
                                 int kyfirst)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const GKR *kr = N_(fc_gemm_select)(isa, M);
    const int64_t K = cin_g * p->kh * p->kw, P = p->oh * p->ow, hw = p->h * p->w;
    const int pointwise = fc_conv_is_pointwise(p);
    const int padded = !pointwise && fc_conv_use_phased(p);
    const int64_t sh = p->stride_h, sw = p->stride_w, nph = sh * sw;
    /* padded plane (stride 1) or phase plane (stride > 1) */
    const int64_t hp = p->oh + ((p->kh - 1) * p->dil_h) / sh;
    const int64_t wp = p->ow + ((p->kw - 1) * p->dil_w) / sw;
    const int64_t ncols = padded ? (p->oh - 1) * wp + p->ow : P; /* GEMM columns */
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nt = 1;

    /* column blocks: enough tasks for every thread, at most FC_CONV_MAX_COLS columns */
    const int rowblk = kyfirst && padded && nph == 1;
    if (kyfirst && !rowblk)
        return FC_ENOSYS; /* callers pass kyfirst only where the padded path runs */
    const int64_t base = p->n * G, ctiles = fc_ceil_div(ncols, kr->nr);
    int64_t nblk, jb, rbk = 0;
    if (rowblk) { /* fixed blocks of rbk output rows */
        rbk = N_(row_block)(p, wp, kr->nr, K, NULL);
        nblk = fc_ceil_div(p->oh, rbk);
        jb = fc_round_up((rbk - 1) * wp + p->ow, kr->nr);
    } else {
        nblk = fc_min64(fc_ceil_div(4 * nt, base), ctiles);
        nblk = fc_max64(nblk, fc_ceil_div(ncols, FC_CONV_MAX_COLS));
        jb = fc_round_up(fc_ceil_div(ncols, nblk), kr->nr);
        nblk = fc_ceil_div(ncols, jb);
    }
    /* packed weights: one per group, or per (group, row block) with its taps only; with
     * one MR panel (M <= mr) the packed A is a plain [k][mr] array whatever the KC
     * blocks, so a row block reads its taps at an offset into the group's copy */
    const int onepanel = M <= kr->mr;
    const int64_t napack = rowblk && !onepanel ? G * nblk : G;
    const int64_t ntasks = base * nblk;
    nt = fc_min64(nt, ntasks);
    /* hand out whole images when there are enough, so each padded copy is built once */
    const int chunk = (int)(base >= 2 * nt ? nblk : 1);
    (void)chunk; /* unused without OpenMP */

    const int64_t wpack_g = fc_pad_elems(N_(fc_gemm_packed_a_size)(kr, M, K), sizeof(T));
    const int64_t xpad_n = padded ? cin_g * nph * hp * wp + 2 * kr->nr + wp : 0;
    const int64_t cbuf_n = padded ? fc_pad_elems(M * jb, sizeof(T)) : 0;
    const int64_t per_thread = N_(fc_gemm_work_size)(kr, jb) + fc_pad_elems(xpad_n, sizeof(T)) +
                               cbuf_n;
    T *scratch =
        (T *)fc_scratch_get((napack * wpack_g + nt * per_thread) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *wpack = scratch;

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        T *mywork = scratch + napack * wpack_g + tid * per_thread;
        T *xpad = mywork + N_(fc_gemm_work_size)(kr, jb);
        T *cbuf = xpad + fc_pad_elems(xpad_n, sizeof(T));
        int64_t lo, hi, built = -1; /* (image, group) held in xpad */
        /* the packed weights: threads split them by MR panels */
        const int64_t npan = fc_ceil_div(M, kr->mr);
        fc_split(napack * npan, tid, nthr, &lo, &hi);
        for (int64_t v = lo; v < hi; v++) {
            const int64_t u = v / npan, i0 = (v % npan) * kr->mr;
            const int64_t g = napack != G ? u / nblk : u;
            int64_t kb = 0, kn = K;
            if (napack != G) {
                const int64_t oy0 = (u % nblk) * rbk, oy1 = fc_min64(p->oh, oy0 + rbk);
                int64_t klo, khi;
                N_(ky_range)(p, oy0, oy1, &klo, &khi);
                kb = klo * cin_g * p->kw;
                kn = (khi - klo) * cin_g * p->kw;
            }
            OPD wa = {.pack = N_(fc_pack_a_strided), .ptr = w + g * M * K + kb, .rs = K,
                      .cs = 1};
            N_(fc_gemm_prepack_a_rows)(kr, M, kn, i0, fc_min64(kr->mr, M - i0), &wa,
                                       wpack + u * wpack_g);
        }
#pragma omp barrier
        /* dynamic: a thread delayed by the OS does not hold back the others' tasks */
#pragma omp for schedule(dynamic, chunk)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t img = t / (G * nblk), g = (t / nblk) % G, b = t % nblk;
            int64_t j0 = b * jb, jn = fc_min64(jb, ncols - j0), kb = 0, kn = K;
            if (rowblk) {
                const int64_t oy0 = b * rbk, oy1 = fc_min64(p->oh, oy0 + rbk);
                int64_t klo, khi;
                N_(ky_range)(p, oy0, oy1, &klo, &khi);
                j0 = oy0 * wp;
                jn = (oy1 - oy0 - 1) * wp + p->ow;
                kb = klo * cin_g * p->kw;
                kn = (khi - klo) * cin_g * p->kw;
            }
            const T *xg = x + (img * p->c_in + g * cin_g) * hw;
            T *yg = y + (img * p->c_out + g * M) * P;
            const T *bg = bias ? bias + g * M : NULL;
            OPD A = {.packed = napack != G ? wpack + (g * nblk + b) * wpack_g
                                           : wpack + g * wpack_g + kb * kr->mr};
            if (padded) {
                if (built != t / nblk) {
                    if (nph == 1)
                        N_(build_padded)(p, xg, cin_g, hp, wp, xpad_n, xpad);
                    else
                        N_(build_phased)(p, xg, cin_g, hp, wp, xpad_n, xpad);
                    built = t / nblk;
                }
                N_(padded_ctx) cx = {xpad, hp * wp, nph == 1 ? p->dil_h * wp : wp,
                                     nph == 1 ? p->dil_w : 1, p->kh * p->kw, p->kw,
                                     sh, sw, p->dil_h, p->dil_w, rowblk, cin_g, kb};
                OPD B = {.ctx = &cx, .off = j0, .rows = N_(rows_padded)};
                /* whole micro-tiles (cbuf is jb wide; xpad's slack covers the reads):
                 * the extra columns are dropped below with the others, and the full-tile
                 * store is much cheaper than the partial-tile one */
                N_(fc_gemm_serial)(kr, M, fc_round_up(jn, kr->nr), kn, (T)1, &A, &B, (T)0,
                                   cbuf, jb, bg, relu, mywork);
                /* keep the columns that are real output pixels (ox < ow) */
                for (int64_t j = j0; j < j0 + jn;) {
                    const int64_t oy = j / wp, ox = j % wp;
                    const int64_t len = fc_min64(j0 + jn - j, wp - ox);
                    const int64_t keep = fc_min64(len, p->ow - ox);
                    for (int64_t i = 0; keep > 0 && i < M; i++)
                        N_(copy_run)(yg + i * P + oy * p->ow + ox, cbuf + i * jb + (j - j0),
                                     keep);
                    j += len;
                }
            } else if (pointwise) {
                OPD B = {.pack = N_(fc_pack_b_strided), .ptr = xg + j0, .rs = hw, .cs = 1};
                N_(fc_gemm_serial)(kr, M, jn, K, (T)1, &A, &B, (T)0, yg + j0, P, bg, relu,
                                   mywork);
            } else {
                N_(im2col_ctx) cx = {p, xg};
                OPD B = {.pack = N_(pack_b_im2col), .ctx = &cx, .off = j0};
                N_(fc_gemm_serial)(kr, M, jn, K, (T)1, &A, &B, (T)0, yg + j0, P, bg, relu,
                                   mywork);
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

int N_(fc_conv2d_forward_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x,
                               const T *w, const T *bias, T *y, int relu, int nthreads)
{
    return N_(conv_forward_core)(isa, p, x, w, bias, y, relu, nthreads, 0);
}

/* ------------------------------------------------------------------ data gradient */

/* Pixels per col2im block; fixed (not thread dependent) since it orders the sums. */
#define FC_COL2IM_BLOCK 512

/* One col2im run: dcol row columns [s, s + len) add into plane elements d + t*stride_w. */
typedef struct {
    int64_t s, d, len;
} N_(col2im_run);

/* Most runs of one tap in a block of pb output pixels (one per output row it meets). */
static inline int64_t N_(col2im_max_runs)(const fc_conv2d_params *p, int64_t pb)
{
    return fc_min64(pb, pb / p->ow + 2);
}

/* The runs of tap (ky, kx) over output pixels [j0, j0 + jn): one per output row, clipped
 * to the pixels whose input lies inside the plane. Returns how many. */
static int64_t N_(col2im_runs)(const fc_conv2d_params *p, int64_t ky, int64_t kx, int64_t j0,
                               int64_t jn, N_(col2im_run) *runs)
{
    const int64_t sw = p->stride_w, ixb = kx * p->dil_w - p->pad_w;
    const int64_t iyb = ky * p->dil_h - p->pad_h;
    const int64_t oxa = ixb >= 0 ? 0 : fc_ceil_div(-ixb, sw);
    const int64_t oxe = fc_min64(p->ow, p->w - ixb > 0 ? fc_ceil_div(p->w - ixb, sw) : 0);
    int64_t n = 0, jl = 0, oy = j0 / p->ow, ox = j0 % p->ow;
    while (jl < jn) {
        const int64_t len = fc_min64(jn - jl, p->ow - ox);
        const int64_t iy = oy * p->stride_h + iyb;
        const int64_t u0 = fc_max64(ox, oxa), u1 = fc_min64(ox + len, oxe);
        if (iy >= 0 && iy < p->h && u1 > u0)
            runs[n++] = (N_(col2im_run)){jl - ox + u0, iy * p->w + ixb + u0 * sw, u1 - u0};
        jl += len;
        ox = 0;
        oy++;
    }
    return n;
}

/*
 * Stride > 1: per task (image, group, block of input channels), for each fixed block of
 * output pixels, dcol = W_g^T[rows of those channels] @ dy_g[:, block], then scatter-add
 * into the task's own dx planes. Each dx element is summed over (pixel block, tap,
 * pixel) in a fixed order; the channel split (thread dependent) only separates planes.
 */
int N_(fc_conv2d_data_col2im)(fc_isa isa, const fc_conv2d_params *p, const T *dy,
                              const T *w, T *dx, int nthreads)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const int64_t khw = p->kh * p->kw, K = cin_g * khw, P = p->oh * p->ow, hw = p->h * p->w;
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nt = 1;
    const int64_t base = p->n * G;
    const int64_t ncb = fc_min64(fc_ceil_div(4 * nt, base), cin_g);
    const int64_t cb = fc_ceil_div(cin_g, ncb);
    const GKR *kr = N_(fc_gemm_select)(isa, cb * khw);
    const int64_t ntasks = base * fc_ceil_div(cin_g, cb);
    nt = fc_min64(nt, ntasks);
    const int64_t pb = fc_min64(P, FC_COL2IM_BLOCK);
    const int64_t dcol_size = fc_pad_elems(cb * khw * pb, sizeof(T));
    const int64_t wsize = N_(fc_gemm_work_size)(kr, pb);
    /* W_g^T of each (group, channel block) packed once per call, not once per task */
    const int64_t nblk_c = fc_ceil_div(cin_g, cb);
    const int64_t wpack_b = fc_pad_elems(N_(fc_gemm_packed_a_size)(kr, cb * khw, M), sizeof(T));
    /* the col2im runs of every (pixel block, tap), shared by all tasks */
    const int64_t nblk_p = fc_ceil_div(P, pb), maxruns = N_(col2im_max_runs)(p, pb);
    const int64_t runs_size = fc_pad_elems(
        fc_ceil_div(nblk_p * khw * (maxruns + 1) * (int64_t)sizeof(N_(col2im_run)),
                    (int64_t)sizeof(T)),
        sizeof(T));
    T *scratch = (T *)fc_scratch_get(
        (G * nblk_c * wpack_b + nt * (dcol_size + wsize) + runs_size) * (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *wpack = scratch + nt * (dcol_size + wsize);
    N_(col2im_run) *runs = (N_(col2im_run) *)(wpack + G * nblk_c * wpack_b);
    int64_t *nruns = (int64_t *)(runs + nblk_p * khw * maxruns);
    for (int64_t b = 0; b < nblk_p; b++)
        for (int64_t tap = 0; tap < khw; tap++)
            nruns[b * khw + tap] =
                N_(col2im_runs)(p, tap / p->kw, tap % p->kw, b * pb, fc_min64(pb, P - b * pb),
                                runs + (b * khw + tap) * maxruns);

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num();
        T *dcol = scratch + tid * (dcol_size + wsize), *mywork = dcol + dcol_size;
        {
            /* threads split the packing by MR panels */
            const int64_t npan = fc_ceil_div(cb * khw, kr->mr);
            int64_t lo, hi;
            fc_split(G * nblk_c * npan, tid, fc_num_threads(), &lo, &hi);
            for (int64_t v = lo; v < hi; v++) {
                const int64_t u = v / npan, i0 = (v % npan) * kr->mr;
                const int64_t g = u / nblk_c, c0 = (u % nblk_c) * cb;
                const int64_t rows = (fc_min64(c0 + cb, cin_g) - c0) * khw;
                if (i0 >= rows)
                    continue;
                OPD wa = {.pack = N_(fc_pack_a_strided), .ptr = w + g * M * K + c0 * khw,
                          .rs = 1, .cs = K};
                N_(fc_gemm_prepack_a_rows)(kr, rows, M, i0, fc_min64(kr->mr, rows - i0), &wa,
                                           wpack + u * wpack_b);
            }
        }
#pragma omp barrier
        /* dynamic: a thread delayed by the OS does not hold back the others' tasks */
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t img = t / (G * nblk_c), g = (t / nblk_c) % G;
            const int64_t c0 = (t % nblk_c) * cb, c1 = fc_min64(c0 + cb, cin_g);
            const int64_t rows = (c1 - c0) * khw;
            T *dxc = dx + (img * p->c_in + g * cin_g + c0) * hw;
            memset(dxc, 0, (size_t)((c1 - c0) * hw) * sizeof(T));
            OPD A = {.packed = wpack + (t % (G * nblk_c)) * wpack_b};
            for (int64_t j0 = 0; j0 < P; j0 += pb) {
                const int64_t jn = fc_min64(pb, P - j0);
                OPD B = {.pack = N_(fc_pack_b_strided),
                         .ptr = dy + (img * p->c_out + g * M) * P + j0, .rs = P, .cs = 1};
                N_(fc_gemm_serial)(kr, rows, jn, M, (T)1, &A, &B, (T)0, dcol, jn, NULL, 0,
                                   mywork);
                /* col2im: row (ci, tap) of dcol adds into plane ci along the tap's runs */
                const int64_t b = j0 / pb;
                for (int64_t row = 0; row < rows; row++) {
                    T *plane = dxc + (row / khw) * hw;
                    const T *src = dcol + row * jn;
                    const int64_t tap = row % khw, sw = p->stride_w;
                    const N_(col2im_run) *r = runs + (b * khw + tap) * maxruns;
                    const int64_t nr = nruns[b * khw + tap];
                    for (int64_t q = 0; q < nr; q++) {
                        T *d = plane + r[q].d;
                        const T *sr = src + r[q].s;
                        const int64_t len = r[q].len; /* a local: the adds cannot change it */
                        if (sw == 2)
                            for (int64_t u = 0; u < len; u++)
                                d[2 * u] += sr[u];
                        else
                            for (int64_t u = 0; u < len; u++)
                                d[u * sw] += sr[u];
                    }
                }
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

/*
 * Stride 1: dx = conv(dy, W') with W'[g*Cin_g + ci, co, ky, kx] =
 * W[g*M + co, ci, KH-1-ky, KW-1-kx] and padding dil*(k-1) - pad (possibly negative),
 * run on Winograd (wino) or implicit GEMM.
 */
int N_(fc_conv2d_data_rotated)(fc_isa isa, const fc_conv2d_params *p, const T *dy,
                               const T *w, T *dx, int nthreads, int wino)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const int64_t khw = p->kh * p->kw, kh = p->kh, kw = p->kw;
    const fc_conv2d_params q = fc_conv_rotated_params(p);
    /* on the padded path, taps are ordered (ky, co, kx) so row blocks skip zero rows */
    int kyfirst = !wino && !fc_conv_is_pointwise(&q) && fc_conv_use_padded(&q);
    if (kyfirst) { /* only where skipping saves a fifth of the multiply-adds or more */
        const GKR *kr = N_(fc_gemm_select)(isa, cin_g);
        const int64_t wp = q.ow + (q.kw - 1) * q.dil_w, K = M * khw, nr = kr->nr;
        int64_t macs;
        N_(row_block)(&q, wp, nr, K, &macs);
        kyfirst = 5 * macs <= 4 * K * fc_round_up((q.oh - 1) * wp + q.ow, nr);
    }
    T *wr = (T *)fc_aligned_malloc(p->c_out * cin_g * khw * (int64_t)sizeof(T));
    if (!wr)
        return FC_ENOMEM;
    for (int64_t g = 0; g < G; g++)
        for (int64_t ci = 0; ci < cin_g; ci++)
            for (int64_t co = 0; co < M; co++) {
                const T *src = w + ((g * M + co) * cin_g + ci) * khw;
                T *d = wr + (g * cin_g + ci) * M * khw;
                for (int64_t ky = 0; ky < kh; ky++)
                    for (int64_t kx = 0; kx < kw; kx++)
                        d[kyfirst ? (ky * M + co) * kw + kx : co * khw + ky * kw + kx] =
                            src[(kh - 1 - ky) * kw + (kw - 1 - kx)];
            }
    int rc = wino ? N_(fc_conv2d_forward_winograd)(isa, &q, dy, wr, NULL, dx, 0, nthreads)
                  : N_(conv_forward_core)(isa, &q, dy, wr, NULL, dx, 0, nthreads, kyfirst);
    fc_aligned_free(wr);
    return rc;
}

/* ------------------------------------------------------------------ weight gradient */

/* Image chunks a weight gradient is split into (partials reduced in order). */
#define FC_WGRAD_MIN_CHUNKS 4
#define FC_WGRAD_MAX_CHUNKS 16

/*
 * dW_g = sum over image chunks (in order) of dy_g @ col(x)^T over the chunk's images.
 * The number of chunks depends only on the shapes, never on nthreads: chunk 0 writes
 * dw, the others private partials, reduced element-wise in chunk order at the end.
 * Tasks are (chunk, group, block of dW columns).
 */
int N_(fc_conv2d_wgrad_gemm)(fc_isa isa, const fc_conv2d_params *p, const T *x, const T *dy,
                             T *dw, int nthreads, int few_taps)
{
    const int64_t G = p->groups, M = p->c_out / G, cin_g = p->c_in / G;
    const GKR *kr = N_(fc_gemm_select)(isa, M);
    const int64_t K = cin_g * p->kh * p->kw, P = p->oh * p->ow, hw = p->h * p->w;
    const int64_t dwsize = G * M * K;

    /* chunks: enough independent pieces when dW itself has few tiles, and a few anyway
     * so that threads split images rather than dW columns (each column block packs dy
     * again) */
    const int64_t tiles = G * fc_ceil_div(M, kr->mr) * fc_ceil_div(K, kr->nr);
    int64_t nch = fc_max64(fc_ceil_div(32, tiles), FC_WGRAD_MIN_CHUNKS);
    nch = fc_min64(fc_min64(nch, FC_WGRAD_MAX_CHUNKS), p->n);
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nch = 1;

    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * K * P < FC_CONV_PARALLEL_MIN)
        nt = 1;
    /* few taps (fc_conv2d_wgrad_few_taps_covers, float only): the direct kernel, one
     * task per (chunk, group) */
    const int wdirect = FC_T_IS_FLOAT && few_taps;
    const int64_t ktiles = wdirect ? 1 : fc_ceil_div(K, kr->nr);
    int64_t nkb = fc_min64(fc_ceil_div(4 * nt, nch * G), ktiles);
    if (!wdirect)
        nkb = fc_max64(nkb, fc_ceil_div(K, kr->nc));
    const int64_t kb = fc_round_up(fc_ceil_div(K, nkb), kr->nr);
    nkb = fc_ceil_div(K, kb);
    const int64_t ntasks = nch * G * nkb;
    nt = fc_min64(nt, ntasks);

    /* zero-padded copy of every image (split into phase planes at stride > 1),
       gathered without bounds checks */
    const int padded = fc_conv_use_phased(p);
    const int64_t phases = p->stride_h * p->stride_w;
    const int64_t hp = p->oh + (p->kh - 1) * p->dil_h / p->stride_h,
                  wp = p->ow + (p->kw - 1) * p->dil_w / p->stride_w;
    /* stride 1 without padding: the padded plane is x's own plane, read in place */
    const int direct = padded && phases == 1 && hp == p->h && wp == p->w;
    const int64_t xpad_img =
        padded ? (direct ? p->c_in * hw
                         : fc_pad_elems(p->c_in * phases * hp * wp, sizeof(T)))
               : 0;
    const int64_t xpad_alloc = (padded && !direct) ? p->n * xpad_img : 0;

    const int64_t part_size = fc_pad_elems(dwsize, sizeof(T));
    const int64_t wsize = N_(fc_gemm_work_size)(kr, kb);
    T *scratch = (T *)fc_scratch_get(((nch - 1) * part_size + nt * wsize + xpad_alloc) *
                                     (int64_t)sizeof(T));
    if (!scratch)
        return FC_ENOMEM;
    T *parts = scratch, *work = scratch + (nch - 1) * part_size;
    const T *xpad = direct ? x : work + nt * wsize;

#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        const int64_t tid = fc_thread_num(), nthr = fc_num_threads();
        T *mywork = work + tid * wsize;
        int64_t lo, hi;
        if (padded && !direct) {
            T *xp = work + nt * wsize;
            fc_split(p->n, tid, nthr, &lo, &hi);
            for (int64_t img = lo; img < hi; img++) {
                if (phases == 1)
                    N_(build_padded)(p, x + img * p->c_in * hw, p->c_in, hp, wp, xpad_img,
                                     xp + img * xpad_img);
                else
                    N_(build_phased)(p, x + img * p->c_in * hw, p->c_in, hp, wp, xpad_img,
                                     xp + img * xpad_img);
            }
#pragma omp barrier
        }
        /* dynamic: a thread delayed by the OS does not hold back the others' tasks */
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t ch = t / (G * nkb), g = (t / nkb) % G, b = t % nkb;
            int64_t i0, i1;
            fc_split(p->n, ch, nch, &i0, &i1);
            const int64_t c0 = b * kb, cn = fc_min64(kb, K - c0);
            N_(wgrad_ctx) cx = {p, x + (i0 * p->c_in + g * cin_g) * hw,
                                dy + (i0 * p->c_out + g * M) * P,
                                xpad + i0 * xpad_img + g * cin_g * phases * hp * wp, xpad_img,
                                hp, wp};
            T *out = (ch == 0 ? dw : parts + (ch - 1) * part_size) + g * M * K + c0;
#if FC_T_IS_FLOAT
            if (wdirect) { /* nkb == 1: c0 == 0, cn == K */
                fc_conv2d_wgrad_few_taps_f32(isa, cx.xpad, xpad_img, hp, wp, cx.dy,
                                             p->c_out * P, i1 - i0, M, cin_g, p->kh, p->kw,
                                             p->oh, p->ow, out, K);
                continue;
            }
#endif
            OPD A = {.pack = N_(pack_a_wgrad), .ctx = &cx};
            OPD B = {.pack = padded ? N_(pack_b_wgrad_padded) : N_(pack_b_wgrad), .ctx = &cx,
                     .off = c0};
            N_(fc_gemm_serial)(kr, M, cn, (i1 - i0) * P, (T)1, &A, &B, (T)0, out, K, NULL, 0,
                               mywork);
        }
        if (nch > 1) {
#pragma omp barrier
            fc_split(dwsize, tid, nthr, &lo, &hi);
            for (int64_t c = 1; c < nch; c++) {
                const T *src = parts + (c - 1) * part_size;
                for (int64_t e = lo; e < hi; e++)
                    dw[e] = dw[e] + src[e];
            }
        }
    }
    fc_scratch_put(scratch);
    return FC_OK;
}

/* ------------------------------------------------------------------ bias gradient */

/* db[c] = sum over images and pixels of dy, in a fixed order: 8 double lanes per
 * plane, combined in a fixed tree, planes added in image order. Threads split channels. */
void N_(fc_conv2d_bias)(fc_isa isa, const fc_conv2d_params *p, const T *dy, T *db,
                        int nthreads)
{
    const int64_t C = p->c_out, P = p->oh * p->ow, n = p->n;
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (n * C * P < FC_CONV_PARALLEL_MIN / 4)
        nt = 1;
    nt = fc_min64(nt, C);
#pragma omp parallel num_threads((int)nt) if (nt > 1)
    {
        int64_t lo, hi;
        fc_split(C, fc_thread_num(), fc_num_threads(), &lo, &hi);
        for (int64_t c = lo; c < hi; c++) {
            if (isa >= FC_ISA_AVX512) { /* same order, four planes at a time */
                db[c] = (T)N_(fc_conv2d_bias_sum_avx512)(dy, n, C, P, c);
                continue;
            }
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
                total += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
            }
            db[c] = (T)total;
        }
    }
}

#undef N_
#undef GKR
#undef OPD
