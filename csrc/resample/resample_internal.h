/*
 * resample/resample_internal.h - what the resampling kernels share (not public API).
 *
 * Each kernel is written once as a template (resample/<name>_tmpl.h) and instantiated
 * for float and double by core/tmpl.h.
 */
#ifndef FC_RESAMPLE_INTERNAL_H
#define FC_RESAMPLE_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/resample.h"

/* Below this many output values a call runs on one thread (waking threads costs more). */
#define RS_PAR_MIN 32768

/* nthreads, or 1 when `work` values are too few to share. */
static inline int rs_threads(int nthreads, int64_t work)
{
    return (nthreads > 1 && work >= RS_PAR_MIN) ? nthreads : 1;
}

#endif /* FC_RESAMPLE_INTERNAL_H */
