/*
 * conv/conv_gemm.c - conv2d on the GEMM engine of gemm/gemm_internal.h, float and double:
 * the implicit-GEMM forward, the data gradient (rotated-weight forward at stride 1, GEMM
 * and col2im above), the weight gradient and the bias gradient. The code for each
 * element type is in conv_tmpl.h, included once per type.
 */
#pragma STDC FP_CONTRACT OFF

#include <stdlib.h>
#include <string.h>

#include "conv/conv_internal.h"
#include "core/internal.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"

#define FC_NAME2(name, sfx) name##_##sfx
#define FC_NAME(name, sfx) FC_NAME2(name, sfx)

#define T float
#define SFX f32
#define FC_T_IS_FLOAT 1
#include "gemm/transpose_tmpl.h"
#include "conv/conv_tmpl.h"
#undef T
#undef SFX
#undef FC_T_IS_FLOAT

#define T double
#define SFX f64
#define FC_T_IS_FLOAT 0
#include "gemm/transpose_tmpl.h"
#include "conv/conv_tmpl.h"
#undef FC_T_IS_FLOAT
#undef T
#undef SFX
