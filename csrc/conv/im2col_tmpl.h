/*
 * conv/im2col_tmpl.h - how the implicit-GEMM convolutions read their input, for one
 * element type (a template: see core/tmpl.h): runs of one tap along an output row
 * (gather_run), B panels packed as im2col on the fly (pack_b_im2col), and B read in
 * place from a zero-padded or phase-split copy of the input (build_padded,
 * build_phased, rows_padded), so that no im2col buffer is ever built.
 */

/* dst[t] = src[t] for t < n: short runs (one output row) copied inline, long ones by
 * memcpy (a call per row of a 14-pixel output costs more than the copy). */
static inline void FC_T(copy_run)(T *dst, const T *src, int64_t n)
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
 * into sh*sw phase planes of `plane` values, rows wq apart (see fc_conv_use_phased); at
 * stride 1 that is the padded plane itself. */
static inline int64_t FC_T(phase_offset)(int64_t ci, int64_t ty, int64_t tx, int64_t sh,
                                         int64_t sw, int64_t plane, int64_t wq)
{
    return ((ci * sh + ty % sh) * sw + tx % sw) * plane + (ty / sh) * wq + tx / sw;
}

/* dst[t] = src[t * 2] for t < n (stride-2 taps along a row). */
static inline void FC_T(copy_stride2)(T *dst, const T *src, int64_t n)
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
static inline void FC_T(gather_run)(const fc_conv2d_params *p, const T *plane, int64_t ky,
                                    int64_t kx, int64_t oy, int64_t ox0, int64_t len,
                                    T *out, int64_t os)
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
            FC_T(copy_stride2)(out + lo, src, hi - lo);
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
} FC_T(im2col_ctx);

static void FC_T(pack_b_im2col)(const OPD *op, int64_t x0, int64_t xn, int64_t k0,
                                int64_t kn, int64_t r, T *dst)
{
    const FC_T(im2col_ctx) *cx = (const FC_T(im2col_ctx) *)op->ctx;
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
            FC_T(gather_run)(p, plane, ky, kx, oy, ox, len,
                             dst + (jl - lane) * kn + pp * r + lane, 1);
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
} FC_T(padded_ctx);

/* B rows read in place from the padded input: no packing at all. */
static const T *FC_T(rows_padded)(const OPD *op, int64_t x0, int64_t k0, int64_t kn,
                                  int64_t *boff)
{
    const FC_T(padded_ctx) *cx = (const FC_T(padded_ctx) *)op->ctx;
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
            boff[pp] = FC_T(phase_offset)(ci, ky * cx->dh, kx * cx->dw, cx->sh, cx->sw,
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
static void FC_T(build_phased)(const fc_conv2d_params *p, const T *x, int64_t channels,
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
                        FC_T(copy_stride2)(d + s0, src + ix0 + s0 * 2, s1 - s0);
                    else
                        for (int64_t u = s0; u < s1; u++)
                            d[u] = src[ix0 + u * sw];
                }
            }
}

/* xpad[c, r, s] = x[c, r - pad_h, s - pad_w] inside x, else 0 (pads may be negative). */
static void FC_T(build_padded)(const fc_conv2d_params *p, const T *x, int64_t channels,
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
