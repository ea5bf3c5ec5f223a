"""The native kernels' capability record from Python: what it holds, the FASTCONV_*
settings behind it, and a context manager that changes it for a block (tests).

The record lives in C (csrc/core/caps.c): the instruction set the kernels may use
(generic, avx2, avx512; never above what the CPU runs), whether the direct convolution
kernels run (off, on where faster, or forced), and whether Winograd is allowed. It is
read once from the CPU and the environment; `fastconv._cpu.capabilities()` shows it,
`fastconv._cpu.set_capabilities(...)` changes it, and `override(...)` below changes it
for a `with` block. Which algorithm a convolution then runs:
`fastconv._cpu.conv2d_algorithm(geom, pass_, dtype)`.
"""
import contextlib
import os
from typing import Dict, Iterator, NamedTuple, Optional, Tuple

from . import _cpu


class Setting(NamedTuple):
    """One FASTCONV_* environment variable (README's "Settings" says more)."""
    name: str
    values: str
    default: str
    meaning: str
    when: str   # "run": read once when fastconv starts; "build": read by setup.py


# Every FASTCONV_* variable, in the order of README's "Settings" table (a test checks
# that every one the code mentions is here and in README).
SETTINGS: Tuple[Setting, ...] = (
    Setting("FASTCONV_ISA", "generic, avx2, avx512", "the CPU's best",
            "caps the instruction set of every native kernel", "run"),
    Setting("FASTCONV_CONV_DIRECT", "0, 1, force", "1",
            "direct AVX-512 conv kernels: off, where faster, always", "run"),
    Setting("FASTCONV_WINOGRAD", "0, 1", "1",
            "Winograd F(2x2, 3x3) and F(2x2, 5x5) for 3x3 and 5x5 stride-1 convolutions", "run"),
    Setting("FASTCONV_GEMM_KERNEL", "generic, avx2, avx512", "unset",
            "old name of FASTCONV_ISA (read when that is unset)", "run"),
    Setting("FASTCONV_POOL_KERNEL", "generic", "unset",
            "old name: generic reads as FASTCONV_ISA=generic", "run"),
    Setting("FASTCONV_BACKEND", "generic", "unset",
            "numpy arrays to the generic Python backend", "run"),
    Setting("FASTCONV_NATIVE", "1", "unset", "build with -march=native", "build"),
    Setting("FASTCONV_SANITIZE", "1", "unset",
            "build with AddressSanitizer and UBSan (tools/sanitize.sh)", "build"),
    Setting("FASTCONV_NO_OPENMP", "1", "unset", "build without OpenMP (one thread)",
            "build"),
)


def capabilities() -> Dict[str, object]:
    """The record now (see fastconv._cpu.capabilities)."""
    return _cpu.capabilities()


@contextlib.contextmanager
def override(isa: Optional[str] = None, direct=None,
             winograd: Optional[bool] = None) -> Iterator[Dict[str, object]]:
    """Within the block, run the native kernels with these settings (None: unchanged);
    yields the record in force, restores the previous settings on exit.

    Process-wide, not thread-local: for tests and benchmarks, e.g.
        with override(isa="generic"):      # the portable kernels
        with override(direct="off"):       # the convolution without its direct kernels
    An isa above the CPU's raises ValueError (check capabilities()["cpu_isa"] first).
    """
    changes = {k: v for k, v in (("isa", isa), ("direct", direct), ("winograd", winograd))
               if v is not None}
    previous = _cpu.set_capabilities(**changes)
    try:
        yield _cpu.capabilities()
    finally:
        _cpu.set_capabilities(**previous)


def isa_available(isa: str) -> bool:
    """True when this CPU runs instruction set `isa` ("generic", "avx2" or "avx512")."""
    levels = _cpu.ISA_LEVELS
    return levels.index(isa) <= levels.index(_cpu.capabilities()["cpu_isa"])


def settings_in_effect() -> Tuple[Tuple[str, str], ...]:
    """(name, value or "unset") of every FASTCONV_* variable, for `fastconv info`."""
    return tuple((s.name, os.environ.get(s.name, "unset")) for s in SETTINGS)
