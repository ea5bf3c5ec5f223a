/*
 * norm/batch_norm_avx512.c - the batch-norm kernels compiled for AVX-512F (target
 * pragma only, no global -mavx512f); batch_norm.c calls them only when the CPU has
 * AVX-512F. Same source and same results as the portable variant (batch_norm_impl.h).
 */
#pragma STDC FP_CONTRACT OFF

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "norm/norm_internal.h"

#ifdef FC_NORM_HAVE_X86
#pragma GCC push_options
#pragma GCC target("avx512f")
#define ISA avx512
#define BN_VBYTES 64
#include "norm/batch_norm_variant.h"
#pragma GCC pop_options
#endif
