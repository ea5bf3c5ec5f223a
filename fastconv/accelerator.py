"""fastconv.accelerator: torch.accelerator's questions, answered for fastconv's backends."""
from typing import Optional

from . import cuda
from ._device import device


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU through CuPy) is usable."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> Optional[device]:
    """device('cuda') where a GPU is usable, else None."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    return cuda.current_device() if cuda.is_available() else -1


def synchronize(device=None) -> None:
    cuda.synchronize(device)
