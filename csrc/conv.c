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

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)

#define T float
#define SFX f32
#include "conv_tmpl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "conv_tmpl.h"
#undef T
#undef SFX
