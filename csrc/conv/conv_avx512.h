/*
 * conv_avx512.h - AVX-512 pieces of the convolution kernels, compiled with function
 * target attributes (conv_bias.c, conv_direct.c) and used only when fc_conv_use_avx512().
 *
 * fc_bias_sum_avx512_*: channel c's sum of dy (n images of C planes of P elements), in
 * exactly the order of conv_tmpl.h's portable loop: per plane 8 double lanes (element j
 * into lane j % 8, a tail of P % 8 into lane 0), combined ((0+1)+(2+3))+((4+5)+(6+7)),
 * planes added in image order.
 *
 * fc_wgrad_direct_avx512_f32: conv.c's direct weight gradient for few taps (same
 * arguments as fc_wgrad_direct_avx2_f32) in 16 float lanes (lane = ox % 16), blocks of
 * 3 output channels x 5 taps along kx; images, rows and vectors summed in increasing
 * order, then the lanes in _mm512_reduce_add_ps's fixed tree.
 */
#ifndef FC_CONV_AVX512_H
#define FC_CONV_AVX512_H

#include <stdint.h>

/* 1 when the CPU has AVX-512F and FASTCONV_GEMM_KERNEL does not cap the kernels below it. */
int fc_conv_use_avx512(void);
double fc_bias_sum_avx512_f32(const float *dy, int64_t n, int64_t C, int64_t P, int64_t c);
double fc_bias_sum_avx512_f64(const double *dy, int64_t n, int64_t C, int64_t P, int64_t c);
void fc_wgrad_direct_avx512_f32(const float *xpad, int64_t xpad_img, int64_t hp, int64_t wp,
                                const float *dy, int64_t dy_img, int64_t nimg, int64_t m,
                                int64_t cin, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                                float *out, int64_t ldo);

#endif /* FC_CONV_AVX512_H */
