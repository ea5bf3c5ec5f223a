/*
 * core/scratch.c - the scratch memory of kernel calls (see fc_scratch_get in
 * core/internal.h): one cached block, swapped atomically between calls.
 */
#include <stdint.h>

#include "core/internal.h"

/* Blocks above this size are not kept between calls. */
#define FC_SCRATCH_KEEP_MAX ((int64_t)256 << 20)

/* A block is [header of FC_ALIGN bytes holding its capacity][capacity bytes]. */
static void *scratch_new(int64_t bytes)
{
    char *raw = (char *)fc_aligned_malloc(bytes + FC_ALIGN);
    if (!raw)
        return NULL;
    *(int64_t *)raw = bytes;
    return raw + FC_ALIGN;
}

static int64_t scratch_capacity(void *p) { return *(int64_t *)((char *)p - FC_ALIGN); }
static void scratch_free(void *p)
{
    if (p)
        fc_aligned_free((char *)p - FC_ALIGN);
}

#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
static _Atomic(void *) scratch_slot = NULL;

void *fc_scratch_get(int64_t bytes)
{
    void *p = atomic_exchange(&scratch_slot, NULL);
    if (p && scratch_capacity(p) >= bytes)
        return p;
    scratch_free(p);
    return scratch_new(bytes);
}

void fc_scratch_put(void *p)
{
    if (!p)
        return;
    if (scratch_capacity(p) > FC_SCRATCH_KEEP_MAX) {
        scratch_free(p);
        return;
    }
    scratch_free(atomic_exchange(&scratch_slot, p));
}
#else /* no C11 atomics: no cache */
void *fc_scratch_get(int64_t bytes) { return scratch_new(bytes); }
void fc_scratch_put(void *p) { scratch_free(p); }
#endif
