/*
 * conv/direct_blocked_s2.c - the direct forward of stride-2 3x3 layers, channel-blocked
 * (see conv/direct.h).
 *
 * Stride-2 3x3 layers with c_in a multiple of 16 and c_out a multiple of 32 (ResNet's
 * 128 -> 256 downsampling): the image is copied once per thread into a zero-padded
 * channel-blocked frame xb[ci / 16][row][col][16], and a run of up to 14 pixels of one
 * output row is computed for 32 output channels at once (28 sums in registers). Per tap,
 * 2 weight vectors and one broadcast per pixel feed 2 FMAs each (0.57 loads per FMA, the
 * broadcasts of a tap in a few L1 lines). The sums are dc_block's: taps in (ci, ky, kx)
 * order from zero, then bias, then ReLU; tasks (image, 32-channel block).
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/direct.h"

#define DB_MAX_COLS 14   /* 2 x 14 sums, 2 weight vectors and a broadcast: 31 registers */

/* Layers the blocked kernel computes: those of the 16-channel kernel (direct_forward.c)
   with stride 2, 3x3, c_in % 16 == 0 and c_out % 32 == 0 (the same sums). */
int fc_conv2d_forward_direct_blocked_s2_covers(const fc_conv2d_params *p, int force)
{
    return fc_conv2d_forward_direct_covers(p, force) && p->stride_h == 2 && p->kh == 3 &&
           p->kw == 3 && p->c_in % 16 == 0 && p->c_out % 32 == 0;
}

#if FC_DIRECT_X86
/* R pixels of one output row for 32 channels: xr is the frame at the run's first tap
   (rows rs, channel blocks ps floats apart), wq the block's packed weights
   [ci][ky][kx][32], bq its 32 biases (or NULL); pixel j of channel half b goes to
   tile[b * P + at + j][16]. R is a literal after inlining, so acc[][] lives in registers. */
DC_INLINE void db_run(const fc_conv2d_params *p, const float *xr, int64_t rs, int64_t ps,
                      const float *wq, const float *bq, float *tile, int64_t at, int relu,
                      const int R)
{
    const int64_t P = p->oh * p->ow;
    __m512 acc[2][DB_MAX_COLS];
#pragma GCC unroll 14
    for (int c = 0; c < R; c++)
        acc[0][c] = acc[1][c] = _mm512_setzero_ps();
    for (int64_t cb = 0; cb < p->c_in / 16; cb++)
        for (int64_t ci = 0; ci < 16; ci++) {
            const float *xc = xr + cb * ps + ci, *wc = wq + (cb * 16 + ci) * 9 * 32;
#pragma GCC unroll 3
            for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
                for (int kx = 0; kx < 3; kx++) {
                    const __m512 w0 = _mm512_loadu_ps(wc + (ky * 3 + kx) * 32);
                    const __m512 w1 = _mm512_loadu_ps(wc + (ky * 3 + kx) * 32 + 16);
                    /* hidden from the compiler, so that it broadcasts again rather than
                       keeping the values kx and kx + 2 share in registers (spills) */
                    const float *xk = xc + ky * rs + kx * 16;
                    __asm__("" : "+r"(xk));
#pragma GCC unroll 14
                    for (int c = 0; c < R; c++) {
                        const __m512 xv = _mm512_set1_ps(xk[2 * c * 16]);
                        acc[0][c] = _mm512_fmadd_ps(w0, xv, acc[0][c]);
                        acc[1][c] = _mm512_fmadd_ps(w1, xv, acc[1][c]);
                    }
                }
        }
#pragma GCC unroll 2
    for (int b = 0; b < 2; b++) {
        const __m512 bias = bq ? _mm512_loadu_ps(bq + b * 16) : _mm512_setzero_ps();
#pragma GCC unroll 14
        for (int c = 0; c < R; c++) {
            __m512 t = acc[b][c];
            if (bq)
                t = _mm512_add_ps(t, bias);
            if (relu)
                t = _mm512_max_ps(_mm512_setzero_ps(), t);
            _mm512_storeu_ps(tile + (b * P + at + c) * 16, t);
        }
    }
}

#define DB_CASE(R)                                                                         \
    case R:                                                                                \
        db_run(p, xr, rs, ps, wq, bq, tile, oy * p->ow + ox0, relu, R);                    \
        break;

/* One image (in its frame xb) and 32-channel block: each output row in equal runs of at
   most DB_MAX_COLS pixels, into tile (two 16-channel halves of P pixels). */
DC_AVX512 static void db_image(const fc_conv2d_params *p, const float *xb, const float *wq,
                               const float *bq, float *tile, int relu)
{
    const int64_t wp = dc_padded_w(p), rs = wp * 16, ps = dc_padded_h(p) * rs;
    const int64_t run = fc_ceil_div(p->ow, fc_ceil_div(p->ow, DB_MAX_COLS));
    for (int64_t oy = 0; oy < p->oh; oy++)
        for (int64_t ox0 = 0; ox0 < p->ow; ox0 += run) {
            const float *xr = xb + (2 * oy * wp + 2 * ox0) * 16;
            switch (fc_min64(run, p->ow - ox0)) {
                DB_CASE(1) DB_CASE(2) DB_CASE(3) DB_CASE(4) DB_CASE(5) DB_CASE(6) DB_CASE(7)
                DB_CASE(8) DB_CASE(9) DB_CASE(10) DB_CASE(11) DB_CASE(12) DB_CASE(13)
                DB_CASE(14)
            }
        }
}

/* What plan_db decides: tasks (image, 32-channel block), threads, each thread's frame and
   tile, the packed weights. */
typedef struct {
    int64_t pb_n, K, P, tasks;
    int64_t wq_n, xb_n, xq_n;
    int nt;
} db_plan;

static void plan_db(const fc_conv2d_params *p, int nthreads, db_plan *pl)
{
    pl->pb_n = p->c_out / 32;
    pl->K = p->c_in * 9;
    pl->P = p->oh * p->ow;
    pl->wq_n = fc_pad_elems(p->c_out * pl->K, sizeof(float));
    pl->xb_n = fc_pad_elems(p->c_in * dc_padded_h(p) * dc_padded_w(p), sizeof(float));
    pl->xq_n = pl->xb_n + fc_pad_elems(2 * pl->P * 16, sizeof(float));
    pl->tasks = p->n * pl->pb_n;
    pl->nt = dc_threads(p, pl->tasks, nthreads);
}

/* The OpenMP region: pack the weights, then the tasks; each thread keeps the frame of
   the image its task reads, made again when the image changes, and a tile of one task's
   outputs. wq: the scratch. */
static void run_db(const fc_conv2d_params *p, const db_plan *pl, const float *x,
                   const float *w, const float *bias, float *y, int relu, float *wq)
{
    const int64_t pb_n = pl->pb_n, K = pl->K, P = pl->P;
#pragma omp parallel num_threads(pl->nt) if (pl->nt > 1)
    {
        fc_direct_pack_weights(p, w, wq, 32);
        float *xb = wq + pl->wq_n + fc_thread_num() * pl->xq_n, *tile = xb + pl->xb_n;
        int64_t packed = -1;   /* the image in xb */
#pragma omp for schedule(static)
        for (int64_t t = 0; t < pl->tasks; t++) {
            const int64_t img = t / pb_n, pb = t % pb_n;
            float *yb = y + (img * p->c_out + pb * 32) * P;
            if (packed != img)
                fc_direct_pack_blocked(p, x + img * p->c_in * p->h * p->w, xb);
            packed = img;
            db_image(p, xb, wq + pb * K * 32, bias ? bias + pb * 32 : NULL, tile, relu);
            fc_direct_tile_out(p, tile, yb);
            fc_direct_tile_out(p, tile + P * 16, yb + 16 * P);
        }
    }
}

int fc_conv2d_forward_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p,
                                                   const float *x, const float *w,
                                                   const float *bias, float *y, int relu,
                                                   int nthreads)
{
    db_plan pl;
    plan_db(p, nthreads, &pl);
    const int64_t bytes = (pl.wq_n + pl.nt * pl.xq_n) * (int64_t)sizeof(float);
    float *wq = (float *)fc_scratch_get(bytes);
    if (!wq)
        return FC_ENOMEM;
    run_db(p, &pl, x, w, bias, y, relu, wq);
    fc_scratch_put(wq);
    return FC_OK;
}

#else /* not x86 with GCC/clang: never chosen (the ISA is generic there) */
int fc_conv2d_forward_direct_blocked_s2_avx512_f32(const fc_conv2d_params *p,
                                                   const float *x, const float *w,
                                                   const float *bias, float *y, int relu,
                                                   int nthreads)
{
    (void)p, (void)x, (void)w, (void)bias, (void)y, (void)relu, (void)nthreads;
    return FC_EINVAL;
}
#endif
