/* core/runtime.c - what the build offers: OpenMP, compiler, threads (the CPU's features
 * are probed in core/caps.c). */
#include "fastconv/core.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int fc_openmp_version(void)
{
#ifdef _OPENMP
    return _OPENMP;
#else
    return 0;
#endif
}

const char *fc_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "GCC " __VERSION__;
#elif defined(_MSC_VER)
    return "MSVC";
#else
    return "unknown C compiler";
#endif
}

int fc_omp_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
