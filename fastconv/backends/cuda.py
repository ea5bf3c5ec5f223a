"""CuPy backend: the kernels of fastconv._cpu for cupy arrays.

For now the bodies are the array-generic implementations (fastconv.backends.generic) run
on cupy (cuBLAS matmul for the convolutions). CuPy is imported on first use only, and a
missing or unusable CuPy raises a RuntimeError saying why, so `import fastconv` never
needs a GPU.
"""
import functools

from ..ops._contract import KERNELS
from . import generic as _generic

__all__ = list(KERNELS) + ["available", "unavailable_reason", "require_cupy"]

_checked = None  # None: not checked yet; "" usable; otherwise the reason it is not


def unavailable_reason() -> str:
    """Why the GPU backend cannot run here ("" when it can). Checks once, lazily."""
    global _checked
    if _checked is None:
        try:
            import cupy
        except Exception as exc:  # ImportError, or a broken CUDA install raising on import
            _checked = ("CuPy is not installed or failed to import (%s: %s); install "
                        "fastconv[gpu] on a machine with CUDA" % (type(exc).__name__, exc))
        else:
            try:
                ok = bool(cupy.is_available())
            except Exception as exc:
                ok, why = False, "%s: %s" % (type(exc).__name__, exc)
            else:
                why = "cupy.is_available() is False"
            _checked = "" if ok else ("CuPy is installed but no usable CUDA GPU was found "
                                      "(%s)" % why)
    return _checked


def available() -> bool:
    """True when CuPy imports and sees a usable CUDA device."""
    return unavailable_reason() == ""


def _require():
    reason = unavailable_reason()
    if reason:
        raise RuntimeError("fastconv GPU backend unavailable: " + reason)


def require_cupy():
    """The cupy module, or a RuntimeError saying why the GPU cannot be used."""
    _require()
    import cupy
    return cupy


def _wrap(name):
    """The generic kernel `name`, checking first that CuPy can run (same signature)."""
    impl = getattr(_generic, name)

    @functools.wraps(impl)
    def kernel(*args, **kwargs):
        _require()
        return impl(*args, **kwargs)

    return kernel


# every kernel of the contract; a real GPU kernel replaces its generic body here
for _name in KERNELS:
    globals()[_name] = _wrap(_name)
del _name
