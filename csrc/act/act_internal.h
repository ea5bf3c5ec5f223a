/*
 * act/act_internal.h - what act.c and the per-ISA activation files share (private).
 *
 * act_{forward,backward}_range_f32_{avx2,avx512}: the float maps of act_impl.h compiled
 * for AVX2 (8 lanes) and AVX-512F (16 lanes), both with FMA in the math pieces: the same
 * bits in both, within an ulp or so of the portable maps. Call only where the CPU has
 * the ISA and FMA.
 */
#ifndef FC_ACT_INTERNAL_H
#define FC_ACT_INTERNAL_H

#include <stdint.h>

#include "fastconv/act.h"

#define ACT_CAT_(a, b) a##b
#define ACT_CAT(a, b) ACT_CAT_(a, b)

typedef void (*act_forward_f32_fn)(fc_act_kind kind, const float *x, float *y, int64_t lo,
                                   int64_t hi, float p0, float p1);
typedef void (*act_backward_f32_fn)(fc_act_kind kind, const float *src, const float *dy,
                                    float *dx, int64_t lo, int64_t hi, float p0, float p1);

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define FC_ACT_HAVE_X86 1
void act_forward_range_f32_avx2(fc_act_kind kind, const float *x, float *y, int64_t lo,
                                int64_t hi, float p0, float p1);
void act_backward_range_f32_avx2(fc_act_kind kind, const float *src, const float *dy,
                                 float *dx, int64_t lo, int64_t hi, float p0, float p1);
void act_forward_range_f32_avx512(fc_act_kind kind, const float *x, float *y, int64_t lo,
                                  int64_t hi, float p0, float p1);
void act_backward_range_f32_avx512(fc_act_kind kind, const float *src, const float *dy,
                                   float *dx, int64_t lo, int64_t hi, float p0, float p1);
#endif

#endif /* FC_ACT_INTERNAL_H */
