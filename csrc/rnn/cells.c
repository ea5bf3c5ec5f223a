/*
 * rnn/cells.c - the gate kernels (cells_tmpl.h) compiled for each element type and
 * instruction set: portable C, AVX2 and AVX-512F (target attributes, chosen at run time
 * so the build stays portable). The bodies are the same IEEE operations in every build
 * (no FMA contraction under -std=c11), only the vector width differs.
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/rnn.h"
#include "rnn/rnn_internal.h"
#include "rnn/rnn_math.h"

#define T float
#define SFX f32
#define ISA generic
#define RNN_TARGET
#include "rnn/cells_tmpl.h"
#undef ISA
#undef RNN_TARGET
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define ISA avx2
#define RNN_TARGET __attribute__((target("avx2")))
#include "rnn/cells_tmpl.h"
#undef ISA
#undef RNN_TARGET
#define ISA avx512
#define RNN_TARGET __attribute__((target("avx512f")))
#include "rnn/cells_tmpl.h"
#undef ISA
#undef RNN_TARGET
#endif
#undef T
#undef SFX

#define T double
#define SFX f64
#define ISA generic
#define RNN_TARGET
#include "rnn/cells_tmpl.h"
#undef ISA
#undef RNN_TARGET
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define ISA avx2
#define RNN_TARGET __attribute__((target("avx2")))
#include "rnn/cells_tmpl.h"
#undef ISA
#undef RNN_TARGET
#define ISA avx512
#define RNN_TARGET __attribute__((target("avx512f")))
#include "rnn/cells_tmpl.h"
#undef ISA
#undef RNN_TARGET
#endif
#undef T
#undef SFX

/* 2 = AVX-512F, 1 = AVX2, 0 = portable: the best this CPU runs, capped by
 * FASTCONV_GEMM_KERNEL=avx2|generic as the GEMM is. Decided once per process. */
static int rnn_isa_level(void)
{
    static volatile int cached = -1; /* benign race: every thread computes the same */
    int v = cached;
    if (v < 0) {
        const char *env = getenv("FASTCONV_GEMM_KERNEL");
        v = 0;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
        if (fc_cpu_has_avx2_fma()) {
            v = 1;
            if (__builtin_cpu_supports("avx512f"))
                v = 2;
        }
#endif
        if (env && strcmp(env, "generic") == 0)
            v = 0;
        else if (env && strcmp(env, "avx2") == 0 && v > 1)
            v = 1;
        cached = v;
    }
    return v;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define RNN_PICK(SFX)                                                                   \
    const rnn_cells_##SFX *rnn_cells_get_##SFX(void)                                    \
    {                                                                                   \
        switch (rnn_isa_level()) {                                                      \
        case 2:                                                                         \
            return &rnn_cells_##SFX##_avx512;                                           \
        case 1:                                                                         \
            return &rnn_cells_##SFX##_avx2;                                             \
        default:                                                                        \
            return &rnn_cells_##SFX##_generic;                                          \
        }                                                                               \
    }
#else
#define RNN_PICK(SFX)                                                                   \
    const rnn_cells_##SFX *rnn_cells_get_##SFX(void) { return &rnn_cells_##SFX##_generic; }
#endif
RNN_PICK(f32)
RNN_PICK(f64)

const char *fc_rnn_cells_isa(void)
{
    static const char *names[] = {"generic", "avx2", "avx512f"};
    return names[rnn_isa_level()];
}
