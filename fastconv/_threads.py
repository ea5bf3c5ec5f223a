"""How many threads the native kernels use.

Order of precedence: `set_num_threads(n)`; otherwise OpenMP's own setting
(omp_get_max_threads, which follows OMP_NUM_THREADS and threadpoolctl's limits).
In a child process made by fork() the kernels run on one thread, since libgomp's
thread pool does not survive a fork.

Idle OpenMP threads spin before they sleep (libgomp: 300,000 spins by default). On a
machine whose cores are shared with other work that spinning starves the thread doing
the work, and a LeNet-5 step measured 2-7x slower with 2 threads than with 1. Unless the
user chose a wait policy, fastconv caps the spin at GOMP_SPINCOUNT=10000 (tens of
microseconds: enough for back-to-back kernels, short enough to yield a busy core). It
must be set before libgomp starts, hence here, before the native module is imported.
"""
import os

if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "10000"

from . import _cpu  # noqa: E402

_requested = None
_forked_child = False


def set_num_threads(n: int) -> None:
    """Use `n` threads (>= 1) in every native kernel from now on."""
    global _requested
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("set_num_threads: n must be an int, got %s" % type(n).__name__)
    if n < 1:
        raise ValueError("set_num_threads: n must be >= 1, got %d" % n)
    _requested = n


def get_num_threads() -> int:
    """The number of threads the next native kernel call will use."""
    if _forked_child:
        return 1
    if _requested is not None:
        return _requested
    return max(1, _cpu.omp_max_threads())


def _after_fork_in_child() -> None:
    global _forked_child
    _forked_child = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
