"""Small helpers for the fastconv.ops tests (no fixtures; import explicitly)."""
import contextlib
import os
import subprocess
import sys

from fastconv.ops import _dispatch


@contextlib.contextmanager
def generic_backend():
    """Route fastconv.ops calls on numpy arrays through fastconv.backends.generic."""
    saved = _dispatch._FORCE_GENERIC
    _dispatch._FORCE_GENERIC = True
    try:
        yield
    finally:
        _dispatch._FORCE_GENERIC = saved


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_script(script, *args, timeout=300, **env):
    """Run `python -c script args` from the repository root in a fresh interpreter (kernel
    choices are read once per process) with the environment changed by env (None
    unsets a variable); asserts it exited 0 and returns its stdout."""
    full = dict(os.environ)
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    full["PYTHONPATH"] = ROOT + os.pathsep + full.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", script, *args], env=full, cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout
