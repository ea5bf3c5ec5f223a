/*
 * conv/conv.c - the convolution's one chooser and its entry points (fastconv/conv.h).
 *
 * fc_conv2d_choose is the only place that decides which kernel runs a pass: it reads the
 * capability record once per call, and the entry point hands that record's ISA to the
 * kernel it runs, so one call never mixes two instruction sets. The kernels and the
 * predicates saying which layers each covers live in conv_internal.h.
 */
#include <string.h>

#include "conv/conv_internal.h"
#include "core/internal.h"

/* The choice for `pass` under the record c. Direct kernels come first where they cover
 * the layer (they measured faster there), then Winograd, then the GEMM paths. */
static fc_conv2d_algo fc_conv2d_choose(const fc_conv2d_params *p, fc_conv2d_pass pass,
                                       fc_dtype dt, const fc_caps *c)
{
    const int direct =
        dt == FC_F32 && c->isa >= FC_ISA_AVX512 && c->direct != FC_DIRECT_OFF;
    const int force = c->direct == FC_DIRECT_FORCE;
    switch (pass) {
    case FC_CONV_FORWARD:
        if (direct && fc_conv2d_forward_direct_blocked_s2_covers(p, force))
            return FC_CONV_DIRECT_BLOCKED_S2;
        if (direct && fc_conv2d_forward_direct_covers(p, force))
            return FC_CONV_DIRECT;
        if (direct && fc_conv2d_forward_direct_rows_covers(p))
            return FC_CONV_DIRECT_ROWS;
        if (c->winograd && fc_conv2d_winograd_covers(p))
            return FC_CONV_WINOGRAD;
        return FC_CONV_IMPLICIT_GEMM;
    case FC_CONV_DATA:
        if (p->stride_h != 1 || p->stride_w != 1)
            return FC_CONV_GEMM_COL2IM;
        {
            const fc_conv2d_params q = fc_conv_rotated_params(p);
            if (c->winograd && fc_conv2d_winograd_covers(&q))
                return FC_CONV_WINOGRAD;
        }
        return FC_CONV_IMPLICIT_GEMM;
    case FC_CONV_WEIGHT:
        if (direct && fc_conv2d_wgrad_direct_blocked_s2_covers(p))
            return FC_CONV_DIRECT_BLOCKED_S2;
        if (direct && fc_conv2d_wgrad_direct_covers(p))
            return FC_CONV_DIRECT;
        if (c->winograd && fc_conv2d_wgrad_winograd_covers(p))
            return FC_CONV_WINOGRAD;
        /* the few-tap kernel is no "direct" kernel of the FASTCONV_CONV_DIRECT switch: it
         * replaces the GEMM path wherever AVX2 is allowed */
        if (dt == FC_F32 && c->isa >= FC_ISA_AVX2 && fc_conv2d_wgrad_few_taps_covers(p))
            return FC_CONV_DIRECT_FEW_TAPS;
        return FC_CONV_IMPLICIT_GEMM;
    case FC_CONV_RELU_POOL2X2:
        if (direct && p->n > 0 && fc_conv2d_relu_pool2x2_direct_covers(p))
            return FC_CONV_DIRECT;
        if (direct && p->n > 0 && fc_conv2d_relu_pool2x2_direct_rows_covers(p))
            return FC_CONV_DIRECT_ROWS;
        return FC_CONV_UNFUSED;
    }
    return FC_CONV_IMPLICIT_GEMM;
}

fc_conv2d_algo fc_conv2d_algorithm(const fc_conv2d_params *p, fc_conv2d_pass pass,
                                   fc_dtype dt)
{
    const fc_caps c = fc_caps_get();
    return fc_conv2d_choose(p, pass, dt, &c);
}

const char *fc_conv2d_algorithm_name(fc_conv2d_algo algo)
{
    switch (algo) {
    case FC_CONV_IMPLICIT_GEMM:
        return "implicit_gemm";
    case FC_CONV_GEMM_COL2IM:
        return "gemm_col2im";
    case FC_CONV_WINOGRAD:
        return "winograd";
    case FC_CONV_DIRECT:
        return "direct";
    case FC_CONV_DIRECT_BLOCKED_S2:
        return "direct_blocked_s2";
    case FC_CONV_DIRECT_ROWS:
        return "direct_rows";
    case FC_CONV_DIRECT_FEW_TAPS:
        return "direct_few_taps";
    case FC_CONV_UNFUSED:
        return "unfused";
    }
    return "?";
}

static size_t fc_dtype_size(fc_dtype dt)
{
    return dt == FC_F32 ? sizeof(float) : sizeof(double);
}

/* ------------------------------------------------------------------ entry points */

int fc_conv2d_forward(fc_dtype dt, const fc_conv2d_params *p, const void *x, const void *w,
                      const void *bias, void *y, int relu, int nthreads)
{
    if (p->n <= 0)
        return FC_OK;
    const fc_caps c = fc_caps_get();
    switch (fc_conv2d_choose(p, FC_CONV_FORWARD, dt, &c)) {
    case FC_CONV_DIRECT_BLOCKED_S2:
        return fc_conv2d_forward_direct_blocked_s2_avx512_f32(p, x, w, bias, y, relu,
                                                              nthreads);
    case FC_CONV_DIRECT:
        return fc_conv2d_forward_direct_avx512_f32(p, x, w, bias, y, NULL, NULL, relu,
                                                   nthreads);
    case FC_CONV_DIRECT_ROWS:
        return fc_conv2d_forward_direct_rows_avx512_f32(p, x, w, bias, y, NULL, NULL, relu,
                                                        nthreads);
    case FC_CONV_WINOGRAD:
        return FC_BY_DTYPE(dt, fc_conv2d_forward_winograd, c.isa, p, x, w, bias, y, relu,
                           nthreads);
    default:
        return FC_BY_DTYPE(dt, fc_conv2d_forward_gemm, c.isa, p, x, w, bias, y, relu,
                           nthreads);
    }
}

int fc_conv2d_backward_data(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                            const void *w, void *dx, int nthreads)
{
    if (p->n <= 0)
        return FC_OK;
    const fc_caps c = fc_caps_get();
    switch (fc_conv2d_choose(p, FC_CONV_DATA, dt, &c)) {
    case FC_CONV_GEMM_COL2IM:
        return FC_BY_DTYPE(dt, fc_conv2d_data_col2im, c.isa, p, dy, w, dx, nthreads);
    case FC_CONV_WINOGRAD:
        return FC_BY_DTYPE(dt, fc_conv2d_data_rotated, c.isa, p, dy, w, dx, nthreads, 1);
    default:
        return FC_BY_DTYPE(dt, fc_conv2d_data_rotated, c.isa, p, dy, w, dx, nthreads, 0);
    }
}

int fc_conv2d_backward_weight(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                              const void *dy, void *dw, int nthreads)
{
    if (p->n <= 0) { /* an empty batch: zero gradient */
        const int64_t size = p->c_out * (p->c_in / p->groups) * p->kh * p->kw;
        memset(dw, 0, (size_t)size * fc_dtype_size(dt));
        return FC_OK;
    }
    const fc_caps c = fc_caps_get();
    switch (fc_conv2d_choose(p, FC_CONV_WEIGHT, dt, &c)) {
    case FC_CONV_DIRECT_BLOCKED_S2:
        return fc_conv2d_wgrad_direct_blocked_s2_avx512_f32(p, x, dy, dw, nthreads);
    case FC_CONV_DIRECT:
        return fc_conv2d_wgrad_direct_avx512_f32(p, x, dy, dw, nthreads);
    case FC_CONV_WINOGRAD:
        return FC_BY_DTYPE(dt, fc_conv2d_wgrad_winograd, c.isa, p, x, dy, dw, nthreads);
    case FC_CONV_DIRECT_FEW_TAPS:
        return fc_conv2d_wgrad_gemm_f32(c.isa, p, x, dy, dw, nthreads, 1);
    default:
        return FC_BY_DTYPE(dt, fc_conv2d_wgrad_gemm, c.isa, p, x, dy, dw, nthreads, 0);
    }
}

void fc_conv2d_backward_bias(fc_dtype dt, const fc_conv2d_params *p, const void *dy,
                             void *db, int nthreads)
{
    if (p->n <= 0) {
        memset(db, 0, (size_t)p->c_out * fc_dtype_size(dt));
        return;
    }
    FC_BY_DTYPE(dt, fc_conv2d_bias, fc_caps_get().isa, p, dy, db, nthreads);
}

int fc_conv2d_relu_pool2x2(fc_dtype dt, const fc_conv2d_params *p, const void *x,
                           const void *w, const void *bias, void *pooled, uint8_t *pos,
                           int nthreads)
{
    const fc_caps c = fc_caps_get();
    switch (fc_conv2d_choose(p, FC_CONV_RELU_POOL2X2, dt, &c)) {
    case FC_CONV_DIRECT:
        return fc_conv2d_forward_direct_avx512_f32(p, x, w, bias, NULL, pooled, pos, 1,
                                                   nthreads);
    case FC_CONV_DIRECT_ROWS:
        return fc_conv2d_forward_direct_rows_avx512_f32(p, x, w, bias, NULL, pooled, pos, 1,
                                                        nthreads);
    default:
        return FC_ENOSYS;
    }
}
