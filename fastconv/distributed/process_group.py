"""The communicator fastconv's collectives run over: init, rank, world size, barrier.

`init()` takes MPI.COMM_WORLD, or a communicator the caller passes in, so that fastconv
can train inside a larger MPI program on a part of its processes. Every function that
communicates also takes `group=` (torch's name): a communicator to use instead of the
default one for that call.

init() also makes an uncaught exception on any rank stop the whole job: the traceback is
printed and flushed first, then MPI_Abort ends every process, instead of the other ranks
waiting forever in their next collective.
"""
import sys
import time
from typing import Any, Optional

from ._mpi import mpi

ABORT_GRACE_S = 1.0       # seconds between printing a rank's traceback and the abort
_default_comm = None      # the communicator of init(), None before init()
_previous_excepthook = None


def init(comm: Any = None, *, abort_on_error: bool = True) -> None:
    """Start fastconv.distributed on `comm` (default MPI.COMM_WORLD): every process of
    the communicator calls it once, before any other function of this module.

    abort_on_error: an uncaught exception on any rank prints its traceback, then aborts
    the whole MPI job (so the other ranks do not hang). Raises ImportError naming
    `pip install 'fastconv[mpi]'` when mpi4py or the MPI library is missing."""
    global _default_comm
    MPI = mpi()
    if comm is None:
        comm = MPI.COMM_WORLD
    elif not isinstance(comm, MPI.Comm):
        raise TypeError("comm must be an mpi4py communicator (MPI.Comm), got %s"
                        % type(comm).__name__)
    if comm == MPI.COMM_NULL:
        raise ValueError("comm is MPI.COMM_NULL: this process is not part of it")
    _default_comm = comm
    if abort_on_error:
        _install_abort_hook()


def init_process_group(backend: str = "mpi", init_method: Optional[str] = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       **kwargs: Any) -> None:
    """torch.distributed.init_process_group for ported scripts: backend "mpi" (or
    "gloo", the CPU backend such scripts name) over MPI.COMM_WORLD; MPI's launcher
    (mpiexec) sets the rank and world size, so world_size and rank, when given, are
    checked against them."""
    if backend not in ("mpi", "gloo"):
        raise ValueError("fastconv.distributed runs on MPI: backend must be 'mpi' (or 'gloo', "
                         "taken as MPI), got %r" % (backend,))
    init()
    comm = _default_comm
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise ValueError("world_size=%d but mpiexec started %d processes"
                         % (world_size, comm.Get_size()))
    if rank not in (-1, None) and rank != comm.Get_rank():
        raise ValueError("rank=%d but MPI gave this process rank %d" % (rank, comm.Get_rank()))


def is_available() -> bool:
    """True when mpi4py is installed, so that init() can work."""
    from ._mpi import is_available as available
    return available()


def is_initialized() -> bool:
    """True after init() (and before destroy_process_group())."""
    return _default_comm is not None


def destroy_process_group(group: Any = None) -> None:
    """Forget the default communicator (MPI itself is finalised when Python exits)."""
    global _default_comm
    if group is None or group is _default_comm:
        _default_comm = None


def get_comm(group: Any = None):
    """The communicator a call with this `group=` uses: group itself, else init()'s."""
    if group is not None:
        return group
    if _default_comm is None:
        raise RuntimeError("fastconv.distributed is not initialised: call "
                           "fastconv.distributed.init() first (in every process)")
    return _default_comm


def get_rank(group: Any = None) -> int:
    """This process's rank in the communicator (0 .. world size - 1)."""
    return get_comm(group).Get_rank()


def get_world_size(group: Any = None) -> int:
    """The number of processes in the communicator."""
    return get_comm(group).Get_size()


def barrier(group: Any = None) -> None:
    """Wait until every process of the communicator has called barrier()."""
    get_comm(group).Barrier()


def abort(errorcode: int = 1) -> None:
    """End every process of the job now (MPI_Abort on init()'s communicator)."""
    (_default_comm or mpi().COMM_WORLD).Abort(errorcode)


def _install_abort_hook() -> None:
    """sys.excepthook: print the traceback as usual, flush, then abort the job when it
    has more than one process."""
    global _previous_excepthook
    if _previous_excepthook is not None:
        return
    _previous_excepthook = sys.excepthook

    def hook(kind, value, traceback):
        _previous_excepthook(kind, value, traceback)
        comm = _default_comm
        if comm is None or comm.Get_size() == 1 or issubclass(kind, SystemExit):
            return
        try:
            rank = comm.Get_rank()
            sys.stderr.write("fastconv.distributed: rank %d raised %s; aborting all %d "
                             "processes\n" % (rank, kind.__name__, comm.Get_size()))
            sys.stdout.flush()
            sys.stderr.flush()
            # mpiexec forwards each rank's output through its own pipes, and the abort
            # kills them: give it a moment to pass the traceback on (a busy machine lost
            # its tail otherwise)
            time.sleep(ABORT_GRACE_S)
        finally:
            comm.Abort(1)

    sys.excepthook = hook
