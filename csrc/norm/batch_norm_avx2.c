/*
 * norm/batch_norm_avx2.c - the batch-norm kernels compiled for AVX2 (target pragma
 * only, no global -mavx2); batch_norm.c calls them only when the CPU has AVX2. Same
 * source and same results as the portable variant (batch_norm_impl.h).
 */
#pragma STDC FP_CONTRACT OFF

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "norm/norm_internal.h"

#ifdef FC_NORM_HAVE_X86
#pragma GCC push_options
#pragma GCC target("avx2")
#define ISA avx2
#define BN_VBYTES 32
#include "norm/batch_norm_variant.h"
#pragma GCC pop_options
#endif
