"""Pick the kernels for an array type: numpy -> fastconv._cpu, cupy -> backends.cuda.

Every backend exposes the kernels listed in fastconv.ops._contract with the same
arguments (a geometry tuple, inputs, preallocated outputs, nthreads), so each op in
fastconv.ops is written once.

FASTCONV_BACKEND=generic routes numpy arrays through the array-generic implementation
(fastconv.backends.generic) instead of the native kernels: a debugging aid and the
oracle the native kernels are tested against. `use_backend("generic")` does the same
inside a `with` block (tests).
"""
import contextlib
import os
from types import ModuleType
from typing import Iterator

import numpy as np

from .. import _cpu
from .._threads import get_num_threads

_CPU_BACKENDS = ("native", "generic")
_FORCE_GENERIC = os.environ.get("FASTCONV_BACKEND") == "generic"


def backend(xp) -> ModuleType:
    """The kernel module for array module `xp`."""
    if xp is np:
        if _FORCE_GENERIC:
            from ..backends import generic
            return generic
        return _cpu
    from ..backends import cuda
    return cuda


def cpu_backend() -> str:
    """'native' or 'generic': which backend numpy arrays go to now."""
    return "generic" if _FORCE_GENERIC else "native"


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Within the block, send numpy arrays to the 'native' or the 'generic' backend.

    Process-wide (not thread-local): for tests and debugging, not for concurrent code.
    """
    global _FORCE_GENERIC
    if name not in _CPU_BACKENDS:
        raise ValueError("backend must be one of %s, got %r" % (_CPU_BACKENDS, name))
    saved = _FORCE_GENERIC
    _FORCE_GENERIC = name == "generic"
    try:
        yield
    finally:
        _FORCE_GENERIC = saved


nthreads = get_num_threads   # the thread count for the next kernel call
