"""Parameter: a Tensor that a Module registers as trainable state."""
from ..autograd import Tensor, tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and is registered by Module.__setattr__."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = tensor([])
        super().__init__(data._data if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
