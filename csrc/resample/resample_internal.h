/*
 * resample/resample_internal.h - what the resampling kernels share (not public API).
 *
 * Each kernel is written once as a template (resample/<name>_tmpl.h) in the spelling of
 * core/tmpl.h: T is the element type, FC_T(name) names a function for it (name_f32 or
 * name_f64), FC_T_IS_FLOAT tells which. RS_INSTANTIATE below includes a template for
 * float and then for double.
 */
#ifndef FC_RESAMPLE_INTERNAL_H
#define FC_RESAMPLE_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/resample.h"

#define RS_CAT_(a, b) a##b
#define RS_CAT(a, b) RS_CAT_(a, b)

/* Below this many output values a call runs on one thread (waking threads costs more). */
#define RS_PAR_MIN 32768

/* nthreads, or 1 when `work` values are too few to share. */
static inline int rs_threads(int nthreads, int64_t work)
{
    return (nthreads > 1 && work >= RS_PAR_MIN) ? nthreads : 1;
}

#endif /* FC_RESAMPLE_INTERNAL_H */
