/*
 * rnn/cells.c - the gate kernels (cells_tmpl.h) compiled for each element type and
 * instruction set: portable C, AVX2 and AVX-512F (target attributes, chosen at run time
 * from the capability record so the build stays portable). The bodies are the same IEEE
 * operations in every build (explicit fma()s, correctly rounded everywhere: the x86
 * variants are compiled with the fma target, which the avx2 level of the capability
 * record implies; no implicit contraction under -std=c11), only the vector width
 * differs, so every variant computes the same bits.
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/rnn.h"
#include "rnn/rnn_internal.h"
#include "rnn/rnn_math.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define RNN_HAVE_X86 1
#endif

#define RNN_ISA _generic
#define RNN_TARGET
#define FC_TMPL "rnn/cells_tmpl.h"
#include "core/tmpl.h"
#undef RNN_ISA
#undef RNN_TARGET

#ifdef RNN_HAVE_X86
#define RNN_ISA _avx2
#define RNN_TARGET __attribute__((target("avx2,fma")))
#define FC_TMPL "rnn/cells_tmpl.h"
#include "core/tmpl.h"
#undef RNN_ISA
#undef RNN_TARGET

#define RNN_ISA _avx512
#define RNN_TARGET __attribute__((target("avx512f,fma")))
#define FC_TMPL "rnn/cells_tmpl.h"
#include "core/tmpl.h"
#undef RNN_ISA
#undef RNN_TARGET

#define RNN_PICK(SFX)                                                                   \
    const rnn_cells_##SFX *rnn_cells_get_##SFX(fc_isa isa)                              \
    {                                                                                   \
        return isa == FC_ISA_AVX512 ? &rnn_cells_##SFX##_avx512                         \
               : isa == FC_ISA_AVX2 ? &rnn_cells_##SFX##_avx2                           \
                                    : &rnn_cells_##SFX##_generic;                       \
    }
#else
#define RNN_PICK(SFX)                                                                   \
    const rnn_cells_##SFX *rnn_cells_get_##SFX(fc_isa isa)                              \
    {                                                                                   \
        (void)isa;                                                                      \
        return &rnn_cells_##SFX##_generic;                                              \
    }
#endif
RNN_PICK(f32)
RNN_PICK(f64)

const char *fc_rnn_cells_isa(void)
{
#ifdef RNN_HAVE_X86
    return fc_isa_name(fc_isa_now());
#else
    return fc_isa_name(FC_ISA_GENERIC);
#endif
}
