/*
 * conv_bias.h - the bias gradient's per-channel sums on AVX-512 (conv_bias.c).
 *
 * fc_bias_sum_avx512_*: channel c's sum of dy (n images of C planes of P elements), in
 * exactly the order of conv_tmpl.h's portable loop: per plane 8 double lanes (element j
 * into lane j % 8, a tail of P % 8 into lane 0), combined ((0+1)+(2+3))+((4+5)+(6+7)),
 * planes added in image order. Call only when fc_bias_use_avx512().
 */
#ifndef FC_CONV_BIAS_H
#define FC_CONV_BIAS_H

#include <stdint.h>

int fc_bias_use_avx512(void);
double fc_bias_sum_avx512_f32(const float *dy, int64_t n, int64_t C, int64_t P, int64_t c);
double fc_bias_sum_avx512_f64(const double *dy, int64_t n, int64_t C, int64_t P, int64_t c);

#endif /* FC_CONV_BIAS_H */
