/*
 * act/act_avx2.c - the float activations of act_impl.h compiled for AVX2 (8 lanes).
 *
 * The target applies to this whole file (the math pieces inline into the loops); act.c
 * calls these only where the CPU has AVX2 and FMA. The math pieces use fused
 * multiply-adds here (act_math_f32.h): a result may differ by an ulp from the portable
 * build's, never between the AVX2 and AVX-512 builds.
 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC target("avx2,fma")

#include <math.h>
#include <stdint.h>
#include <string.h>

#define ACT_USE_FMA 1   /* fused multiply-adds in the math pieces */
#include "act/act_internal.h"
#include "act/act_math_f32.h"

#define T float
#define U uint32_t
#define SUFFIX f32_avx2
#define ACT_RANGE_LINKAGE   /* external: act.c calls them */
#define ACT_EXP_NEG actf_exp_neg
#define ACT_EXPM1_NEG actf_expm1_neg
#define ACT_SIGMOID actf_sigmoid
#define ACT_TANH actf_tanh
#define ACT_LOG1P_01 actf_log1p_01
#define ACT_ERFC_POS actf_erfc_pos
#include "act/act_impl.h"   /* defines the two functions of act_internal.h */
#else
typedef int fc_act_avx2_unused;   /* ISO C: no empty translation unit */
#endif
