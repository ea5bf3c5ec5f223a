/*
 * conv/winograd.c - Winograd F(2x2, 3x3) forward and weight gradient (see winograd.h), float
 * and double; the code for each element type is in winograd_tmpl.h, included once per type.
 *
 * Layout. Tiles are numbered (image, ty, tx) and processed in blocks of `tb` tiles; a
 * block's transformed input V[C_in][16][tb] and products M[C_out][16][tb] stay in L2.
 * The input rows a block reads are first copied, zero-padded and "deinterleaved" (even
 * columns, then odd columns) into a small per-thread buffer: the 4x4 input of tile
 * (ty, tx) is then the even and odd columns tx and tx + 1 of four rows, so consecutive
 * tiles read consecutive elements and each tile row's transform is one vectorised loop.
 *
 * Determinism: each output of the forward is one GEMM column, reduced over channels in
 * the GEMM's fixed order, whatever block or thread computes it. The weight gradient sums
 * tiles in fixed chunks (count set by the shapes only), reduced in chunk order.
 */
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#include "conv/winograd.h"
#include "core/internal.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"

/* The transforms are loops over tiles that the compiler vectorises; on x86-64 Linux
 * with GCC each is compiled for several instruction sets, picked at load time (same
 * operations in the same order in every version: only the vector width differs). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FC_VEC_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#define FC_VEC_NARROW __attribute__((target_clones("avx2", "default")))
#else
#define FC_VEC_WIDE
#define FC_VEC_NARROW
#endif
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

/* Where Winograd beats implicit GEMM (measured, forward and both gradients, 1 and 2
 * threads): at least 32 input and output channels (below, the 16 GEMMs are too small
 * for the transforms' cost), at most 256 together (above, a block holds too few tiles
 * to repay streaming the transformed weights from L3 for each block), outputs of 8x8 or
 * more (smaller planes leave the transforms' loops too short). */
#define FC_WINO_MIN_CHANNELS 32
#define FC_WINO_MAX_CHANNELS_SUM 256
#define FC_WINO_MIN_OUT 8
/* The weight gradient's GEMMs reduce over tiles; on planes below 16x16 its transforms
 * cost more than the multiply-adds they save (measured: 8x8 slower, 16x16 faster). */
#define FC_WINO_WGRAD_MIN_OUT 16
/* Bytes of a block's V and M together (the L2 share they may take). */
#define FC_WINO_BLOCK_BYTES ((int64_t)1 << 20)
/* Most weight-gradient chunks (each holds a 16 x C_out x C_in partial). */
#define FC_WINO_MAX_CHUNKS 8
#define FC_WINO_MAX_PART_BYTES ((int64_t)64 << 20)

/* Winograd on (1) or off (0), for tests and benchmarks that compare the algorithms. */
static int fc_wino_enabled = 1;

int fc_conv2d_set_winograd(int enabled)
{
    return __atomic_exchange_n(&fc_wino_enabled, enabled ? 1 : 0, __ATOMIC_RELAXED);
}

int fc_winograd_applies(const fc_conv2d_params *p)
{
    return __atomic_load_n(&fc_wino_enabled, __ATOMIC_RELAXED) && p->kh == 3 && p->kw == 3 &&
           p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 && p->dil_w == 1 &&
           p->groups == 1 &&
           p->c_in >= FC_WINO_MIN_CHANNELS && p->c_out >= FC_WINO_MIN_CHANNELS &&
           p->c_in + p->c_out <= FC_WINO_MAX_CHANNELS_SUM &&
           p->oh >= FC_WINO_MIN_OUT && p->ow >= FC_WINO_MIN_OUT &&
           /* 'same'-like padding only (larger pads only waste tiles on zeros) */
           p->pad_h >= 0 && p->pad_h <= 2 && p->pad_w >= 0 && p->pad_w <= 2 &&
           p->oh <= p->h + 2 && p->ow <= p->w + 2;
}

int fc_winograd_applies_weight(const fc_conv2d_params *p)
{
    return fc_winograd_applies(p) && p->oh >= FC_WINO_WGRAD_MIN_OUT &&
           p->ow >= FC_WINO_WGRAD_MIN_OUT;
}

/* Tiles of one geometry. */
typedef struct {
    int64_t th, tw, tpi; /* tile rows and columns per image, tiles per image */
    int64_t tiles;       /* all images */
} fc_wino_geom;

static fc_wino_geom fc_wino_geometry(const fc_conv2d_params *p)
{
    fc_wino_geom g;
    g.th = fc_ceil_div(p->oh, 2);
    g.tw = fc_ceil_div(p->ow, 2);
    g.tpi = g.th * g.tw;
    g.tiles = p->n * g.tpi;
    return g;
}

/* Tiles per block: a multiple of nr whose V and M fit FC_WINO_BLOCK_BYTES, at least nr. */
static int64_t fc_wino_block(int64_t nr, int64_t cin, int64_t cout, int64_t elem)
{
    const int64_t per_tile = 16 * (cin + cout) * elem;
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

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)

#define T float
#define SFX f32
#define FC_T_IS_FLOAT 1
#include "gemm/transpose_tmpl.h"
#include "conv/winograd_tmpl.h"
#undef T
#undef SFX
#undef FC_T_IS_FLOAT

#define T double
#define SFX f64
#define FC_T_IS_FLOAT 0
#include "gemm/transpose_tmpl.h"
#include "conv/winograd_tmpl.h"
#undef T
#undef SFX
#undef FC_T_IS_FLOAT
