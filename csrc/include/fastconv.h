/*
 * fastconv.h - the whole C API of fastconv's native kernels: this file states the
 * conventions every entry point follows, then includes one header per family of ops,
 * each of which states its entry points' exact semantics.
 *
 * Conventions
 *   - Arrays are C-contiguous, NCHW for images, (C_out, C_in/groups, KH, KW) for
 *     convolution weights, row-major for matrices.
 *   - Every op is dtype-generic: it takes the element type as an fc_dtype (FC_F32 for
 *     float, FC_F64 for double) and its arrays as pointers to that type, passed as void
 *     pointers. Scalar arguments (alpha, lr, ...) come as double and are rounded to the
 *     element type once, on entry.
 *   - Sizes and indices are int64_t. Callers (the Cython layer) have validated every
 *     argument; kernels do not re-check shapes.
 *   - Every kernel takes `nthreads`, the number of OpenMP threads it may use (>= 1).
 *     Each op opens at most one OpenMP parallel region. Tiny ops run serially.
 *   - Functions that allocate scratch memory return FC_OK on success and FC_ENOMEM when
 *     an allocation failed (the caller raises MemoryError); the others return void.
 *   - Results do not depend on nthreads: every output element is reduced in a fixed
 *     order whatever the thread split. They may depend on the capability record
 *     (fastconv/core.h: the instruction set the kernels use and the algorithm
 *     switches), since each algorithm and vector width rounds its sums its own way.
 *   - Where a family has several algorithms, one chooser per op picks one per call from
 *     the geometry, the element type and the capability record, and names it
 *     (fc_conv2d_algorithm); the entry point runs what it picks.
 *   - Inside, a kernel function either plans (block sizes, task counts, threads, scratch:
 *     a plan struct) or runs (the OpenMP region); kernels for both element types are
 *     written once as templates (csrc/core/tmpl.h).
 */
#ifndef FASTCONV_H
#define FASTCONV_H

#include "fastconv/core.h"   /* status codes, dtypes, build and CPU information */
#include "fastconv/gemm.h"   /* matrix products */
#include "fastconv/conv.h"   /* 2-D convolution, its gradients and fused epilogues */
#include "fastconv/pool.h"   /* 2-D max pooling */
#include "fastconv/act.h"    /* activations */
#include "fastconv/loss.h"   /* losses */
#include "fastconv/optim.h"  /* optimizer updates */
#include "fastconv/norm.h"   /* batch normalisation */
#include "fastconv/random.h" /* random masks (dropout) */
#include "fastconv/resample.h" /* upsampling, padding, grid sampling */
#include "fastconv/rnn.h"    /* recurrent layers over whole sequences */

#endif /* FASTCONV_H */
