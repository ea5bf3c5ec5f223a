"""Launching test scripts under `mpiexec -n N` from pytest, skipped (with the reason)
where mpi4py or mpiexec is missing. CI installs both (`pip install mpi4py mpich`)."""
import os
import shutil
import signal
import subprocess
import sys
from typing import List, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def mpiexec() -> str:
    """The mpiexec beside this Python (a venv's MPICH wheel) or on PATH; else skip."""
    try:
        import mpi4py  # noqa: F401  (the package only: MPI itself starts in the children)
    except ImportError:
        pytest.skip("mpi4py is not installed (pip install 'fastconv[mpi]')")
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    found = shutil.which("mpiexec", path=path)
    if found is None:
        pytest.skip("mpiexec not found beside %s or on PATH (pip install mpich)"
                    % sys.executable)
    return found


def run_mpi(args: List[str], n: int = 2, timeout: float = 120,
            env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run `mpiexec -n n python args...` from the repository root, with one kernel thread
    per rank; the whole process group is killed after `timeout` seconds (the result then
    has returncode None)."""
    launcher = mpiexec()
    full_env = dict(os.environ)
    full_env.update({"OMP_NUM_THREADS": "1", "PYTHONPATH": ROOT,
                     # Open MPI, where it is the MPI installed: allow root, 2 ranks on 1 core
                     "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                     "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    full_env.update(env or {})
    command = [launcher, "-n", str(n), sys.executable] + list(args)
    proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    return subprocess.CompletedProcess(command, code, out, err)
