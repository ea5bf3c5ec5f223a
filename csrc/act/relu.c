/*
 * act/relu.c - ReLU forward and backward, and the sum of two arrays with ReLU, float and
 * double.
 *
 * Plain element loops the compiler vectorises; one OpenMP parallel region per call with
 * a static split, so every element is computed the same way whatever the thread count.
 * Small arrays run serially. The bodies live in relu_tmpl.h, instantiated per type.
 */
#include <stdint.h>

#include "core/internal.h"
#include "fastconv/act.h"

/* Below this many elements a call runs on one thread (waking threads costs more). */
#define RELU_PAR_MIN 65536


#define FC_TMPL "act/relu_tmpl.h"
#include "core/tmpl.h"

void fc_relu_forward(fc_dtype dt, int64_t size, const void *x, void *y, int nthreads)
{
    FC_BY_DTYPE(dt, fc_relu_forward, size, x, y, nthreads);
}

void fc_add_relu_forward(fc_dtype dt, int64_t size, const void *a, const void *b, void *y,
                         int nthreads)
{
    FC_BY_DTYPE(dt, fc_add_relu_forward, size, a, b, y, nthreads);
}

void fc_relu_backward(fc_dtype dt, int64_t size, const void *dy, const void *y, void *dx,
                      int nthreads)
{
    FC_BY_DTYPE(dt, fc_relu_backward, size, dy, y, dx, nthreads);
}
