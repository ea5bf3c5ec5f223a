"""The one place that answers "numpy or cupy?" for every layer of fastconv.

Arrays are numpy's on the CPU and cupy's on a GPU. CuPy is imported only when a cupy
array actually arrives, so `import fastconv` never needs it. Every other module asks
here instead of testing types itself.
"""
from types import ModuleType

import numpy as np

_ndarray = np.ndarray


def is_cupy(a) -> bool:
    """True for cupy arrays (tested by module name: cupy need not be importable)."""
    return type(a).__module__.startswith("cupy")


def is_array(a) -> bool:
    """True for numpy and cupy arrays."""
    return isinstance(a, _ndarray) or is_cupy(a)


def array_module(*arrays) -> ModuleType:
    """numpy or cupy, whichever the given arrays belong to; None and non-arrays are skipped.

    Mixing numpy and cupy arrays is a TypeError: data never moves between devices
    silently.
    """
    for a in arrays:
        if a is not None and type(a) is not _ndarray:
            return _array_module_slow(arrays)
    return np


def _array_module_slow(arrays) -> ModuleType:
    """array_module for anything but plain numpy arrays and None."""
    kinds = set()
    for a in arrays:
        if isinstance(a, _ndarray):
            kinds.add("numpy")
        elif is_cupy(a):
            kinds.add("cupy")
    if len(kinds) > 1:
        raise TypeError("all arrays must live on one device: got both numpy and cupy arrays")
    if kinds == {"cupy"}:
        import cupy
        return cupy
    return np


def to_host(a):
    """A numpy array with a's values: a itself for numpy arrays, a device-to-host copy for
    cupy arrays."""
    return a.get() if is_cupy(a) else a


def device_of(a) -> str:
    """'cuda' for cupy arrays, 'cpu' for everything else."""
    return "cuda" if is_cupy(a) else "cpu"
