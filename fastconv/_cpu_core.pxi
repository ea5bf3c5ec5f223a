# Runtime information and the capability record (csrc/include/fastconv/core.h).
# Included by _cpu.pyx.
import warnings

ISA_LEVELS = ("generic", "avx2", "avx512")   # fc_isa, lowest first
DIRECT_MODES = ("off", "on", "force")        # fc_direct_mode


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
    """True when this CPU has AVX2 and FMA (whatever FASTCONV_ISA allows)."""
    return core.fc_caps_get().cpu_isa >= core.FC_ISA_AVX2


def capabilities() -> dict:
    """The capability record every native kernel consults (csrc/core/caps.c):

    isa           the instruction set the kernels use: "generic", "avx2" or "avx512"
    cpu_isa       the best one this CPU runs
    cpu_features  the x86 features found that the kernels use, e.g. ("avx2", "fma", ...)
    direct        the direct convolution kernels: "off", "on" (where faster) or "force"
    winograd      Winograd F(2x2, 3x3) allowed (True) or not

    Read once from the CPU and FASTCONV_ISA, FASTCONV_CONV_DIRECT and FASTCONV_WINOGRAD;
    changed at run time by set_capabilities (fastconv._caps.override in tests).
    """
    cdef core.fc_caps c = core.fc_caps_get()
    return {"isa": ISA_LEVELS[c.isa], "cpu_isa": ISA_LEVELS[c.cpu_isa],
            "cpu_features": tuple(core.fc_cpu_features().decode().split()),
            "direct": DIRECT_MODES[c.direct], "winograd": bool(c.winograd)}


def set_capabilities(**changes) -> dict:
    """Change isa, direct and/or winograd (values as capabilities() gives them; direct
    also takes True/False) for every later kernel call, process-wide; returns the
    previous values of those three, so that set_capabilities(**previous) restores them.
    An isa above cpu_isa raises ValueError. For tests and benchmarks."""
    unknown = set(changes) - {"isa", "direct", "winograd"}
    if unknown:
        raise TypeError("set_capabilities: unknown setting(s) %s; expected isa, direct, "
                        "winograd" % ", ".join(sorted(unknown)))
    cdef core.fc_caps c = core.fc_caps_get()
    cdef core.fc_caps previous
    if "isa" in changes:
        isa = changes["isa"]
        if isa not in ISA_LEVELS:
            raise ValueError("set_capabilities: isa must be one of %s, got %r"
                             % (", ".join(ISA_LEVELS), isa))
        if ISA_LEVELS.index(isa) > c.cpu_isa:
            raise ValueError("set_capabilities: isa=%r is above what this CPU runs (%s)"
                             % (isa, ISA_LEVELS[c.cpu_isa]))
        c.isa = <core.fc_isa> <int> ISA_LEVELS.index(isa)
    if "direct" in changes:
        direct = changes["direct"]
        if direct is True or direct is False:
            direct = "on" if direct else "off"
        if direct not in DIRECT_MODES:
            raise ValueError("set_capabilities: direct must be one of %s (or a bool), "
                             "got %r" % (", ".join(DIRECT_MODES), direct))
        c.direct = <core.fc_direct_mode> <int> DIRECT_MODES.index(direct)
    if "winograd" in changes:
        winograd = changes["winograd"]
        if winograd is not True and winograd is not False:
            raise ValueError("set_capabilities: winograd must be True or False, got %r"
                             % (winograd,))
        c.winograd = 1 if winograd else 0
    _check_rc(core.fc_caps_set(&c, &previous))
    return {"isa": ISA_LEVELS[previous.isa], "direct": DIRECT_MODES[previous.direct],
            "winograd": bool(previous.winograd)}


def _warn_about_settings():
    """Warn once, at import, about FASTCONV_* values the kernels did not understand."""
    errors = core.fc_caps_env_errors().decode()
    if errors:
        warnings.warn("fastconv: ignored %s" % errors, RuntimeWarning, stacklevel=3)


_warn_about_settings()
