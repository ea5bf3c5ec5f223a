"""fastconv.cuda: the GPU as torch.cuda shows it, through fastconv's CuPy backend.

is_available() is true only where CuPy imports and sees a usable CUDA device, so scripts'
`device = "cuda" if torch.cuda.is_available() else "cpu"` picks the CPU elsewhere.
"""
from .backends import cuda as _backend


def is_available() -> bool:
    """True when fastconv's CuPy backend can run on a CUDA GPU here."""
    return _backend.available()


def device_count() -> int:
    """The number of CUDA devices CuPy sees (0 without a usable GPU)."""
    if not is_available():
        return 0
    import cupy
    return int(cupy.cuda.runtime.getDeviceCount())


def current_device() -> int:
    """The index of the current CUDA device."""
    cupy = _backend.require_cupy()
    return int(cupy.cuda.Device().id)


def get_device_name(device=None) -> str:
    """The name of a CUDA device (the current one by default)."""
    cupy = _backend.require_cupy()
    index = current_device() if device is None else int(getattr(device, "index", device) or 0)
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait for every kernel queued on the GPU (a no-op without one)."""
    if is_available():
        import cupy
        cupy.cuda.Device().synchronize()


def empty_cache() -> None:
    """Return CuPy's cached GPU memory blocks to the driver (a no-op without a GPU)."""
    if is_available():
        import cupy
        cupy.get_default_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Seed the GPU's random draws. fastconv draws every random number on the host from
    one generator (fastconv.manual_seed), so there is nothing separate to seed here."""
    int(seed)


manual_seed_all = manual_seed


def is_initialized() -> bool:
    return is_available()
