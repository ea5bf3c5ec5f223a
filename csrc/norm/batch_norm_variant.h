/*
 * norm/batch_norm_variant.h - one instruction-set variant of the batch-norm kernels:
 * batch_norm_impl.h for float and for double. Included once by each variant's .c file
 * with ISA (generic / avx2 / avx512) defined, after any target pragma.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "norm/norm_internal.h"

#define BN_CAT_(a, b) a##b
#define BN_CAT(a, b) BN_CAT_(a, b)
#define BN_FN(name) BN_CAT(BN_CAT(BN_CAT(bn_, name), BN_CAT(_, ISA)), BN_CAT(_, SUFFIX))

#define T float
#define IT int32_t
#define BN_F32 1
#define SUFFIX f32
#include "norm/batch_norm_impl.h"
#undef T
#undef IT
#undef BN_F32
#undef SUFFIX

#define T double
#define IT int64_t
#define BN_F32 0
#define SUFFIX f64
#include "norm/batch_norm_impl.h"
#undef T
#undef IT
#undef BN_F32
#undef SUFFIX
