/*
 * conv.c - conv2d forward, data gradient, weight gradient and bias gradient, float and
 * double, on the GEMM engine of gemm_internal.h. The code for each element type is in
 * conv_tmpl.h, included once per type.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdlib.h>
#include <string.h>

#include "fastconv.h"
#include "fc_internal.h"
#include "gemm_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)

#define T float
#define SFX f32
#define FC_T_IS_FLOAT 1
#include "conv_tmpl.h"
#undef T
#undef SFX
#undef FC_T_IS_FLOAT

#define T double
#define SFX f64
#define FC_T_IS_FLOAT 0
#include "conv_tmpl.h"
#undef FC_T_IS_FLOAT
#undef T
#undef SFX
