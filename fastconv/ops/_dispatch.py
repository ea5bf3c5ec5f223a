"""Pick the kernels for an array type: numpy -> fastconv._cpu, cupy -> backends.cuda.

Both backends expose the same functions with the same arguments (a geometry tuple,
inputs, preallocated outputs, nthreads), so each op in fastconv.ops is written once.

FASTCONV_BACKEND=generic routes numpy arrays through the array-generic implementation
(fastconv.backends.generic) instead of the native kernels: a debugging aid and the
oracle the native kernels are tested against.
"""
import os

import numpy as np

from .. import _cpu
from .._threads import get_num_threads


_FORCE_GENERIC = os.environ.get("FASTCONV_BACKEND") == "generic"


def backend(xp):
    """The kernel module for array module `xp`."""
    if xp is np:
        if _FORCE_GENERIC:
            from ..backends import generic
            return generic
        return _cpu
    from ..backends import cuda
    return cuda


nthreads = get_num_threads   # the thread count for the next kernel call
