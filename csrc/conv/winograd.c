/*
 * conv/winograd.c - Winograd F(2x2, 3x3) and F(2x2, 5x5) convolution (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks"): the forward and the weight gradient of
 * 3x3 and 5x5 stride-1 layers with enough channels (fc_conv2d_winograd_covers), float
 * and double; the code for each element type is in winograd_tmpl.h, included once per
 * type, the transforms in winograd_transforms_tmpl.h (3x3) and winograd5_transforms_tmpl.h
 * (5x5).
 *
 * Each 2x2 block ("tile") of outputs is computed from an a x a block of input (a = 4 for
 * 3x3 kernels, 6 for 5x5) as
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * so the 36 (100) multiply-adds per tile and channel pair become nxi = a*a = 16 (36):
 * the nxi element-wise products, summed over input channels, are nxi independent GEMMs
 *   M[xi] (C_out x tiles) = U[xi] (C_out x C_in) @ V[xi] (C_in x tiles)
 * that run on the GEMM engine (gemm_internal.h). The weight gradient uses the same
 * transforms: dU[xi] = dM[xi] @ V[xi]^T with dM = A dY A^T, then dg = G^T dU G.
 *
 * Layout. Tiles are numbered (image, ty, tx) and processed in blocks of `tb` tiles; a
 * block's transformed input V[C_in][nxi][tb] and products M[C_out][nxi][tb] stay in L2.
 * The input rows a block reads are first copied, zero-padded and "deinterleaved" (even
 * columns, then odd columns) into a small per-thread buffer: the a x a input of tile
 * (ty, tx) is then the even and odd columns tx .. tx + a/2 - 1 of a rows, so consecutive
 * tiles read consecutive elements and each tile row's transform is one vectorised loop.
 *
 * Determinism: each output of the forward is one GEMM column, reduced over channels in
 * the GEMM's fixed order, whatever block or thread computes it. The weight gradient sums
 * tiles in fixed chunks (count set by the shapes only), reduced in chunk order.
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/conv_internal.h"
#include "core/internal.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"

/* The transforms are loops over tiles that the compiler vectorises, each compiled for
 * three instruction sets and picked per call by the ISA of the capability record (same
 * operations in the same order in every build: only the vector width differs, so the
 * results do not). */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define FC_WINO_AVX512 __attribute__((target("avx512f")))
#define FC_WINO_AVX2 __attribute__((target("avx2")))
#else
#define FC_WINO_AVX512
#define FC_WINO_AVX2
#endif
/* name_avx512, name_avx2 and name_generic: the loop `body` compiled for each. */
#define FC_WINO_BUILDS(body, name, params, args)                                           \
    FC_WINO_AVX512 static void FC_CAT(name, _avx512) params { body args; }                 \
    FC_WINO_AVX2 static void FC_CAT(name, _avx2) params { body args; }                     \
    static void FC_CAT(name, _generic) params { body args; }
/* The build of transform `name` to run under isa: AVX-512 for wide loops only (a 16-lane
 * loop would leave the short tile rows of small images to scalar code), else AVX2 (8
 * floats, with an SSE epilogue), else portable. */
#define FC_WINO_PICK(name, isa, wide)                                                      \
    ((wide) && (isa) >= FC_ISA_AVX512 ? FC_CAT(name, _avx512)                              \
                                      : (isa) >= FC_ISA_AVX2 ? FC_CAT(name, _avx2)         \
                                                             : FC_CAT(name, _generic))
/* a transform's loop, inlined into each build of it */
#if defined(__GNUC__)
#define FC_WINO_BODY static inline __attribute__((always_inline))
#else
#define FC_WINO_BODY static inline
#endif

/* The 16 streams of a transform are rows of one buffer at a stride unknown at compile
 * time; without this the compiler gives up checking them for overlap (they never do). */
#if defined(__GNUC__) && !defined(__clang__)
#define FC_NO_ALIAS _Pragma("GCC ivdep")
#elif defined(__clang__)
#define FC_NO_ALIAS _Pragma("clang loop vectorize(assume_safety)")
#else
#define FC_NO_ALIAS
#endif

/* Where F(2x2, 3x3) beats implicit GEMM (measured, forward and both gradients, 1 and 2
 * threads): at least 32 input and output channels (below, the 16 GEMMs are too small
 * for the transforms' cost), at most 256 together (above, a block holds too few tiles
 * to repay streaming the transformed weights from L3 for each block), outputs of 8x8 or
 * more (smaller planes leave the transforms' loops too short). */
#define FC_WINO_MIN_CHANNELS 32
#define FC_WINO_MAX_CHANNELS_SUM 256
#define FC_WINO_MIN_OUT 8
/* The weight gradient's GEMMs reduce over tiles; on planes below 8x8 its transforms cost
 * more than the multiply-adds they save. 8x8 gains (measured against implicit GEMM, 1
 * thread, CPU time: ResNet-20's 64->64 N64 1.4x, 64->128 N64 1.2x, 128->128 N32 1.6x,
 * 32->32 N8 1.15x; 32->32 12x12 N16 1.25x). */
#define FC_WINO_WGRAD_MIN_OUT 8
/* Where F(2x2, 5x5) beats implicit GEMM (measured at 1 thread, float, batches 8-64,
 * 14x14 outputs unless said): every pass 1.4-2.1x faster from 32 to 256 channels each
 * (32->64 on 8x8 and 28x28 too, weight gradient included: its 25 taps repay the
 * transforms on small planes, unlike 3x3); 256->256 still 1.3-1.7x; with 8 or 16
 * channels some passes lose (8->32 weight gradient 0.3x, 16->32 forward 0.75x). */
#define FC_WINO5_MIN_CHANNELS 32
#define FC_WINO5_MAX_CHANNELS_SUM 512
#define FC_WINO5_MIN_OUT 8
#define FC_WINO5_WGRAD_MIN_OUT 8
/* Bytes of a block's V and M together (the L2 share they may take). */
#define FC_WINO_BLOCK_BYTES ((int64_t)1 << 20)
/* Most weight-gradient chunks (each holds an nxi x C_out x C_in partial). */
#define FC_WINO_MAX_CHUNKS 8
#define FC_WINO_MAX_PART_BYTES ((int64_t)64 << 20)

/* A k x k stride-1 layer without dilation or groups, padding no larger than 'same'-like
 * (larger pads only waste tiles on zeros; k - 1 is what the data gradient of an
 * unpadded layer reads), with at least min_out outputs per side and channel counts in
 * [min_ch, max_sum - min_ch]. */
static int fc_wino_shape(const fc_conv2d_params *p, int64_t k, int64_t min_ch,
                         int64_t max_sum, int64_t min_out)
{
    return p->kh == k && p->kw == k &&
           p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 && p->dil_w == 1 &&
           p->groups == 1 &&
           p->c_in >= min_ch && p->c_out >= min_ch && p->c_in + p->c_out <= max_sum &&
           p->oh >= min_out && p->ow >= min_out &&
           p->pad_h >= 0 && p->pad_h <= k - 1 && p->pad_w >= 0 && p->pad_w <= k - 1 &&
           p->oh <= p->h + k - 1 && p->ow <= p->w + k - 1;
}

int fc_conv2d_winograd_covers(const fc_conv2d_params *p)
{
    return fc_wino_shape(p, 3, FC_WINO_MIN_CHANNELS, FC_WINO_MAX_CHANNELS_SUM,
                         FC_WINO_MIN_OUT) ||
           fc_wino_shape(p, 5, FC_WINO5_MIN_CHANNELS, FC_WINO5_MAX_CHANNELS_SUM,
                         FC_WINO5_MIN_OUT);
}

int fc_conv2d_wgrad_winograd_covers(const fc_conv2d_params *p)
{
    const int64_t min_out = p->kh == 5 ? FC_WINO5_WGRAD_MIN_OUT : FC_WINO_WGRAD_MIN_OUT;
    return fc_conv2d_winograd_covers(p) && p->oh >= min_out && p->ow >= min_out;
}

/* Tiles of one geometry. */
typedef struct {
    int64_t a, nxi;      /* input tile side (kernel side + 1), transformed elements a*a */
    int64_t th, tw, tpi; /* tile rows and columns per image, tiles per image */
    int64_t tiles;       /* all images */
    int64_t wq;          /* even (and odd) columns of a deinterleaved row */
} fc_wino_geom;

static fc_wino_geom fc_wino_geometry(const fc_conv2d_params *p)
{
    fc_wino_geom g;
    g.a = p->kh + 1;
    g.nxi = g.a * g.a;
    g.th = fc_ceil_div(p->oh, 2);
    g.tw = fc_ceil_div(p->ow, 2);
    g.tpi = g.th * g.tw;
    g.tiles = p->n * g.tpi;
    g.wq = g.tw + g.a / 2 - 1;
    return g;
}

/* Tiles per block: a multiple of nr whose V and M fit FC_WINO_BLOCK_BYTES, at least nr. */
static int64_t fc_wino_block(int64_t nxi, int64_t nr, int64_t cin, int64_t cout,
                             int64_t elem)
{
    const int64_t per_tile = nxi * (cin + cout) * elem;
    const int64_t tb = (FC_WINO_BLOCK_BYTES / per_tile) / nr * nr;
    return tb < nr ? nr : tb;
}

/* Fixed chunk count of a weight gradient over nblk blocks (shapes only, never threads):
 * at least 4 blocks per chunk beyond two chunks, since every chunk's partial is summed. */
static int64_t fc_wino_chunks(int64_t nblk, int64_t part_bytes)
{
    int64_t nch = fc_min64(fc_min64(nblk, FC_WINO_MAX_CHUNKS), fc_max64(2, nblk / 4));
    while (nch > 1 && nch * part_bytes > FC_WINO_MAX_PART_BYTES)
        nch--;
    return nch;
}

/* One run of consecutive tiles of a block, along one tile row: image, tile row, first
 * tile column, count, the run's first column in the block; and the outputs it covers:
 * rows oy.. (nrow of 2), columns ox.. (ncol of 2*len), `inside` when none is clipped. */
typedef struct {
    int64_t img, ty, tx, len, off;
    int64_t oy, ox, nrow, ncol;
    int inside;
} fc_wino_run;

/* Splits tiles [t0, t0 + cnt) into runs along tile rows; returns the next run's start. */
static int64_t fc_wino_next_run(const fc_conv2d_params *p, const fc_wino_geom *g, int64_t t,
                                int64_t t0, int64_t cnt, fc_wino_run *r)
{
    const int64_t rem = t % g->tpi;
    r->img = t / g->tpi;
    r->ty = rem / g->tw;
    r->tx = rem % g->tw;
    r->len = fc_min64(g->tw - r->tx, t0 + cnt - t);
    r->off = t - t0;
    r->oy = 2 * r->ty;
    r->ox = 2 * r->tx;
    r->nrow = fc_min64(2, p->oh - r->oy);
    r->ncol = fc_min64(2 * r->len, p->ow - r->ox);
    r->inside = r->nrow == 2 && r->ncol == 2 * r->len;
    return t + r->len;
}


#define FC_TMPL "gemm/transpose_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/winograd_transforms_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/winograd5_transforms_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/winograd_tmpl.h"
#include "core/tmpl.h"
