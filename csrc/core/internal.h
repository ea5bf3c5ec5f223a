/*
 * core/internal.h - small helpers shared by the C kernels (not part of the public API):
 * the dtype dispatch of the entry points, aligned scratch allocation, OpenMP thread ids
 * that also compile without OpenMP, and integer helpers on int64_t.
 */
#ifndef FC_CORE_INTERNAL_H
#define FC_CORE_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fastconv/core.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/*
 * name_f32(...) or name_f64(...) for the element type dt: the one place where a
 * dtype-generic entry point (fastconv.h) branches on its type. Array arguments pass as
 * void pointers (converted implicitly), double scalars are converted to the element type
 * by the typed function's prototype.
 */
#define FC_BY_DTYPE(dt, name, ...) \
    ((dt) == FC_F32 ? name##_f32(__VA_ARGS__) : name##_f64(__VA_ARGS__))

/* The instruction set the kernels may use now (the capability record's, core/caps.c).
 * Kernels whose results depend on it take it as an argument from their entry point
 * instead, so that one call sees one value. */
static inline fc_isa fc_isa_now(void) { return fc_caps_get().isa; }
/* 1 when the CPU also has AVX-512 BW and VL (the 2x2 pool's byte positions). */
int fc_cpu_has_avx512bw_vl(void);

/* a##b after expanding a and b (names built from macros, e.g. in templates), and the
 * expansion of x as a string literal. */
#define FC_CAT2(a, b) a##b
#define FC_CAT(a, b) FC_CAT2(a, b)
#define FC_STR2(x) #x
#define FC_STR(x) FC_STR2(x)

/* Scratch buffers are aligned to a cache line, which also suits AVX/AVX-512 loads. */
#define FC_ALIGN 64

static inline int64_t fc_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t fc_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t fc_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t fc_round_up(int64_t a, int64_t b) { return fc_ceil_div(a, b) * b; }

/* Number of elements of `elem` bytes that keep the next slice cache-line aligned. */
static inline int64_t fc_pad_elems(int64_t count, int64_t elem)
{
    return fc_round_up(count * elem, FC_ALIGN) / elem;
}

/*
 * malloc with FC_ALIGN alignment (C11's aligned_alloc is missing on some platforms).
 * The original pointer is stored just before the aligned block. Returns NULL on
 * failure or on a size that would overflow.
 */
static inline void *fc_aligned_malloc(int64_t bytes)
{
    if (bytes < 0 || (uint64_t)bytes > (uint64_t)SIZE_MAX - 2 * FC_ALIGN)
        return NULL;
    if (bytes == 0)
        bytes = 1;
    void *raw = malloc((size_t)bytes + FC_ALIGN + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t base = (uintptr_t)raw + sizeof(void *);
    uintptr_t aligned = (base + FC_ALIGN - 1) & ~(uintptr_t)(FC_ALIGN - 1);
    ((void **)aligned)[-1] = raw;
    return (void *)aligned;
}

static inline void fc_aligned_free(void *p)
{
    if (p)
        free(((void **)p)[-1]);
}

/*
 * Scratch memory for one kernel call (FC_ALIGN-aligned, uninitialised). The last block
 * released is kept for the next call (one slot, swapped atomically, so concurrent calls
 * from several Python threads are safe), which spares large calls the page faults of a
 * fresh mmap each time. Defined in core/scratch.c.
 */
void *fc_scratch_get(int64_t bytes);
void fc_scratch_put(void *p);

static inline int fc_thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static inline int fc_num_threads(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/* Contiguous share [lo, hi) of `count` items for worker `id` out of `nw`. */
static inline void fc_split(int64_t count, int64_t id, int64_t nw, int64_t *lo, int64_t *hi)
{
    *lo = count * id / nw;
    *hi = count * (id + 1) / nw;
}

#endif /* FC_CORE_INTERNAL_H */
