"""mpi4py, imported only when a distributed function first needs it.

`import fastconv` (and `import fastconv.distributed`) never needs MPI: the extra
`fastconv[mpi]` brings mpi4py and an MPI library (MPICH's wheel) into the environment,
and the first call that needs them gets a clear ImportError naming it when they are
missing or broken.
"""
import importlib.util

INSTALL_HINT = "pip install 'fastconv[mpi]'   (mpi4py and the MPICH library: mpi4py mpich)"

_MPI = None


def is_available() -> bool:
    """True when mpi4py is installed (its MPI library is loaded only on first use)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):   # a broken or blocked mpi4py entry in sys.modules
        return False


def mpi():
    """The mpi4py.MPI module (importing it starts MPI in this process)."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError("fastconv.distributed needs mpi4py and an MPI library, which "
                              "are not installed: %s (%s)" % (INSTALL_HINT, e)) from e
        except Exception as e:  # mpi4py present but its MPI library missing or broken
            raise ImportError("fastconv.distributed: mpi4py is installed but could not start "
                              "MPI (%s: %s); reinstall with %s"
                              % (type(e).__name__, e, INSTALL_HINT)) from e
        _MPI = MPI
    return _MPI


def library_version() -> str:
    """The MPI library's own version line, and mpi4py's version (for `fastconv info`)."""
    MPI = mpi()
    import mpi4py
    text = " ".join(MPI.Get_library_version().strip().splitlines()[0].split())
    major, minor = MPI.Get_version()
    return "%s (MPI %d.%d; mpi4py %s)" % (text, major, minor, mpi4py.__version__)


def status() -> str:
    """One line for `fastconv info`: the MPI library mpi4py runs on, or why none."""
    if not is_available():
        return "unavailable: mpi4py is not installed (pip install 'fastconv[mpi]')"
    try:
        return "usable: " + library_version()
    except ImportError as e:
        return "unavailable: %s" % e
