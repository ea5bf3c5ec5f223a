# Runtime information: the build and the CPU (csrc/include/fastconv/core.h).
# Included by _cpu.pyx.

def openmp_version() -> int:
    """_OPENMP of the build, 0 when the kernels were built without OpenMP."""
    return core.fc_openmp_version()


def compiler() -> str:
    """The compiler that built the kernels."""
    return core.fc_compiler().decode()


def omp_max_threads() -> int:
    """omp_get_max_threads(): honours OMP_NUM_THREADS and threadpoolctl."""
    return core.fc_omp_max_threads()


def cpu_has_avx2_fma() -> bool:
    """True when this CPU has AVX2 and FMA."""
    return bool(core.fc_cpu_has_avx2_fma())
