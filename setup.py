"""Build fastconv's native extension: C kernels in csrc/ behind the Cython module fastconv._cpu.

Every csrc/**/*.c is compiled (a new kernel file needs no entry here); csrc/include holds
the public headers, csrc/ the family-internal ones (included as "family/name.h").

OpenMP is found by a compile-and-run probe; without it the kernels build serially and the
build says so. No -ffast-math and no -march=native: AVX2/FMA code lives in its own files
compiled with target attributes and is chosen at run time. FASTCONV_NATIVE=1 opts into
-march=native for a build that only ever runs on the machine that made it.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# sorted: the same link order (and so the same binary) wherever the tree is built
C_SOURCES = sorted(glob.glob(os.path.join("csrc", "**", "*.c"), recursive=True))
C_HEADERS = sorted(glob.glob(os.path.join("csrc", "**", "*.h"), recursive=True))
CYTHON_DECLS = sorted(glob.glob(os.path.join("fastconv", "*.pxd")) +
                      glob.glob(os.path.join("fastconv", "*.pxi")))

OPENMP_PROBE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n > 0);
    return n > 0 ? 0 : 1;
}
"""


def _openmp_works(compiler_cmd: list, flag: str) -> bool:
    """Compile, link and run a tiny OpenMP program with `flag`; True when all three work."""
    tmp = tempfile.mkdtemp(prefix="fastconv-omp-")
    try:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        build = subprocess.run(compiler_cmd + [flag, src, "-o", exe, flag],
                               capture_output=True, text=True)
        if build.returncode != 0:
            return False
        return subprocess.run([exe], capture_output=True).returncode == 0
    except OSError:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """build_ext that probes for OpenMP and sets portable optimisation flags."""

    def build_extensions(self):
        cc = self.compiler.compiler_so[:1] if hasattr(self.compiler, "compiler_so") else ["cc"]
        msvc = self.compiler.compiler_type == "msvc"
        if msvc:
            omp_flag = "/openmp"
            omp_ok = True
            opt = ["/O2"]
        else:
            omp_flag = "-fopenmp"
            omp_ok = os.environ.get("FASTCONV_NO_OPENMP") != "1" and _openmp_works(cc, omp_flag)
            opt = ["-O3", "-std=c11", "-fno-strict-aliasing", "-Wall", "-Wno-unused-function",
                   "-Wno-unknown-pragmas"]
            if os.environ.get("FASTCONV_NATIVE") == "1":
                opt.append("-march=native")
        sanitize = []
        if os.environ.get("FASTCONV_SANITIZE") == "1" and not msvc:
            # AddressSanitizer + UBSan, every report fatal (tools/sanitize.sh runs the tests
            # against such a build with libasan preloaded)
            sanitize = ["-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                        "-fno-omit-frame-pointer", "-g"]
            print("fastconv: building with AddressSanitizer and UBSan")
        if omp_ok:
            print("fastconv: building with OpenMP (%s)" % omp_flag)
        else:
            print("fastconv: WARNING: OpenMP not found; the kernels will run on one thread",
                  file=sys.stderr)
        for ext in self.extensions:
            ext.extra_compile_args = opt + sanitize + ([omp_flag] if omp_ok else [])
            ext.extra_link_args = sanitize + ([omp_flag] if (omp_ok and not msvc) else [])
        super().build_extensions()


extensions = [
    Extension(
        "fastconv._cpu",
        sources=["fastconv/_cpu.pyx"] + C_SOURCES,
        include_dirs=[os.path.join("csrc", "include"), "csrc", numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        depends=C_HEADERS + CYTHON_DECLS,
    )
]

setup(
    ext_modules=cythonize(extensions, language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
    cmdclass={"build_ext": BuildExt},
)
