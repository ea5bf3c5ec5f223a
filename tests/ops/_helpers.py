"""Small helpers for the fastconv.ops tests (no fixtures; import explicitly)."""
import contextlib

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

