/*
 * core/caps.c - the capability record (fastconv/core.h): the one place that probes the
 * CPU and reads the FASTCONV_* settings of the kernels.
 *
 * The record is one int, read and replaced atomically, so that a kernel call sees one
 * consistent snapshot even while a test changes the settings from another thread:
 *   bits 0-1 isa, 2-3 cpu_isa, 4-5 direct, 6 winograd, 7 set once initialised.
 * It is initialised at the first fc_caps_* call (in practice when fastconv._cpu is
 * imported, under the GIL): the CPU probed with __builtin_cpu_supports, then the
 * environment read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/core.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define FC_CAPS_X86 1
#else
#define FC_CAPS_X86 0
#endif

/* The x86 features the kernels use. */
enum {
    FEAT_AVX = 1 << 0,
    FEAT_AVX2 = 1 << 1,
    FEAT_FMA = 1 << 2,
    FEAT_AVX512F = 1 << 3,
    FEAT_AVX512BW = 1 << 4,
    FEAT_AVX512VL = 1 << 5,
};
static const char *const feat_names[] = {"avx", "avx2", "fma", "avx512f", "avx512bw",
                                         "avx512vl"};
#define FEAT_COUNT 6

#define W_INIT (1 << 7)

static int caps_word;   /* 0 until initialised; then the packed record */
static int cpu_feats = -1;
static char feat_text[64];
static char env_errors[512];

static int probe_features(void)
{
    int f = 0;
#if FC_CAPS_X86
    __builtin_cpu_init();
    f |= __builtin_cpu_supports("avx") ? FEAT_AVX : 0;
    f |= __builtin_cpu_supports("avx2") ? FEAT_AVX2 : 0;
    f |= __builtin_cpu_supports("fma") ? FEAT_FMA : 0;
    f |= __builtin_cpu_supports("avx512f") ? FEAT_AVX512F : 0;
    f |= __builtin_cpu_supports("avx512bw") ? FEAT_AVX512BW : 0;
    f |= __builtin_cpu_supports("avx512vl") ? FEAT_AVX512VL : 0;
#endif
    return f;
}

static int features(void)
{
    int f = __atomic_load_n(&cpu_feats, __ATOMIC_RELAXED);
    if (f < 0) { /* every thread computes the same value */
        f = probe_features();
        __atomic_store_n(&cpu_feats, f, __ATOMIC_RELAXED);
    }
    return f;
}

static fc_isa cpu_isa_of(int f)
{
    const int avx2 = FEAT_AVX | FEAT_AVX2 | FEAT_FMA;
    if ((f & avx2) != avx2)
        return FC_ISA_GENERIC;
    return (f & FEAT_AVX512F) ? FC_ISA_AVX512 : FC_ISA_AVX2;
}

static int pack(fc_isa isa, fc_isa cpu, fc_direct_mode direct, int winograd)
{
    return W_INIT | (int)isa | (int)cpu << 2 | (int)direct << 4 | (winograd ? 1 << 6 : 0);
}

static fc_caps unpack(int w)
{
    fc_caps c;
    c.isa = (fc_isa)(w & 3);
    c.cpu_isa = (fc_isa)(w >> 2 & 3);
    c.direct = (fc_direct_mode)(w >> 4 & 3);
    c.winograd = w >> 6 & 1;
    return c;
}

static void env_error(const char *name, const char *value, const char *expected)
{
    const size_t used = strlen(env_errors);
    snprintf(env_errors + used, sizeof env_errors - used, "%s%s=%.40s: expected %s",
             used ? "; " : "", name, value, expected);
}

/* The index of the environment variable's value in `values`, -1 when unset, -2 (and an
 * error recorded) when set to anything else. */
static int env_choice(const char *name, const char *const *values, int n,
                      const char *expected)
{
    const char *v = getenv(name);
    if (!v)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(v, values[i]) == 0)
            return i;
    env_error(name, v, expected);
    return -2;
}

/* The record the CPU and the environment give. */
static int caps_from_env(void)
{
    static const char *const isas[] = {"generic", "avx2", "avx512"};
    static const char *const generic[] = {"generic"};
    static const char *const direct[] = {"0", "1", "force"};
    static const char *const onoff[] = {"0", "1"};
    const fc_isa cpu = cpu_isa_of(features());
    env_errors[0] = 0;

    int cap = env_choice("FASTCONV_ISA", isas, 3, "generic, avx2 or avx512");
    if (cap == -1 || cap == -2) { /* the old names, read as caps */
        const int gemm = env_choice("FASTCONV_GEMM_KERNEL", isas, 3,
                                    "generic, avx2 or avx512 (better: FASTCONV_ISA)");
        const int pool = env_choice("FASTCONV_POOL_KERNEL", generic, 1,
                                    "generic (better: FASTCONV_ISA)");
        cap = FC_ISA_AVX512;
        if (gemm >= 0)
            cap = gemm;
        if (pool >= 0)
            cap = FC_ISA_GENERIC;
    }
    const int d = env_choice("FASTCONV_CONV_DIRECT", direct, 3, "0, 1 or force");
    const int w = env_choice("FASTCONV_WINOGRAD", onoff, 2, "0 or 1");
    const fc_isa isa = (fc_isa)cap < cpu ? (fc_isa)cap : cpu;
    return pack(isa, cpu, d >= 0 ? (fc_direct_mode)d : FC_DIRECT_ON, w >= 0 ? w : 1);
}

static int caps_load(void)
{
    int w = __atomic_load_n(&caps_word, __ATOMIC_ACQUIRE);
    if (w & W_INIT)
        return w;
    const int fresh = caps_from_env();
    int expected = 0;
    if (__atomic_compare_exchange_n(&caps_word, &expected, fresh, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return fresh;
    return expected; /* another thread initialised (or set) it first */
}

fc_caps fc_caps_get(void) { return unpack(caps_load()); }

int fc_caps_set(const fc_caps *c, fc_caps *previous)
{
    const int now = caps_load();
    const fc_isa cpu = unpack(now).cpu_isa;
    if ((int)c->isa < 0 || c->isa > cpu || (int)c->direct < 0 ||
        c->direct > FC_DIRECT_FORCE || (c->winograd != 0 && c->winograd != 1))
        return FC_EINVAL;
    const int old = __atomic_exchange_n(&caps_word,
                                        pack(c->isa, cpu, c->direct, c->winograd),
                                        __ATOMIC_ACQ_REL);
    if (previous)
        *previous = unpack(old);
    return FC_OK;
}

const char *fc_isa_name(fc_isa isa)
{
    switch (isa) {
    case FC_ISA_AVX512:
        return "avx512";
    case FC_ISA_AVX2:
        return "avx2";
    default:
        return "generic";
    }
}

const char *fc_cpu_features(void)
{
    const int f = features();
    if (!feat_text[0] && f) { /* every thread writes the same text */
        char text[sizeof feat_text] = "";
        for (int i = 0; i < FEAT_COUNT; i++)
            if (f & 1 << i) {
                if (text[0])
                    strcat(text, " ");
                strcat(text, feat_names[i]);
            }
        memcpy(feat_text, text, sizeof text);
    }
    return feat_text;
}

const char *fc_caps_env_errors(void)
{
    caps_load();
    return env_errors;
}

int fc_cpu_has_avx512bw_vl(void)
{
    const int bw_vl = FEAT_AVX512BW | FEAT_AVX512VL;
    return (features() & bw_vl) == bw_vl;
}
