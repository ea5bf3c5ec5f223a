/* gemm_avx2.c: AVX2/FMA micro-kernel, to be written */
#include "fastconv.h"
