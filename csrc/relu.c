/*
 * relu.c - ReLU forward and backward, float and double.
 *
 * Plain element loops the compiler vectorises; one OpenMP parallel region per call with
 * a static split, so every element is computed the same way whatever the thread count.
 * Small arrays run serially. The bodies live in relu_impl.h, included once per type.
 */
#include <stdint.h>

#include "fastconv.h"

/* Below this many elements a call runs on one thread (waking threads costs more). */
#define RELU_PAR_MIN 65536

#define RELU_CAT_(a, b) a##b
#define RELU_CAT(a, b) RELU_CAT_(a, b)

#define T float
#define SUFFIX f32
#include "relu_impl.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "relu_impl.h"
#undef T
#undef SUFFIX
