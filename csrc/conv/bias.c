/*
 * conv/bias.c - the conv bias gradient, db[c] = sum of dy over images and pixels, float
 * and double (bias_tmpl.h): a sum per channel in a fixed order, on AVX-512 where the ISA
 * allows it (compiled with a function target attribute), else portable; same bits.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>

#include "conv/conv_internal.h"
#include "core/internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define FC_BIAS_AVX512 1
#define FC_AVX512 __attribute__((target("avx512f")))
#else
#define FC_BIAS_AVX512 0
#endif

/* ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)) of a plane's 8 lanes */
#define FC_BIAS_TREE(l) (((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))

/* Threads of a call (a plan): one below FC_CONV_PARALLEL_MIN / 4 elements, else at most
 * one per channel. */
static int fc_conv_bias_threads(const fc_conv2d_params *p, int nthreads)
{
    int64_t nt = nthreads < 1 ? 1 : nthreads;
    if (p->n * p->c_out * p->oh * p->ow < FC_CONV_PARALLEL_MIN / 4)
        nt = 1;
    return (int)fc_min64(nt, p->c_out);
}

#define FC_TMPL "conv/bias_tmpl.h"
#include "core/tmpl.h"
