"""parameters_to_vector and vector_to_parameters, as torch.nn.utils."""
from typing import Iterable

from ...autograd import Tensor, cat


def _check_one_device(parameters) -> None:
    devices = {p.device for p in parameters}
    if len(devices) > 1:
        raise TypeError("Found two parameters on different devices (%s), this is currently "
                        "not supported." % ", ".join(sorted(devices)))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable with
    respect to them)."""
    parameters = list(parameters)
    _check_one_device(parameters)
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the next slice of `vec` (reshaped to it), as torch
    does: the parameters then share memory with vec."""
    if not isinstance(vec, Tensor):
        raise TypeError("expected a Tensor for vec, but got: %s" % type(vec).__name__)
    if vec.ndim != 1:
        raise ValueError("vec must be 1-D, got shape %s" % (vec.shape,))
    parameters = list(parameters)
    _check_one_device(parameters + [vec])
    needed = sum(p.numel() for p in parameters)
    if vec.numel() < needed:
        raise ValueError("vec has %d elements but the parameters need %d"
                         % (vec.numel(), needed))
    start = 0
    for p in parameters:
        size = p.numel()
        p._data = vec._data[start:start + size].reshape(p.shape)
        start += size
