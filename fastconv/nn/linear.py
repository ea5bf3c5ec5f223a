"""Linear, Flatten and Identity."""

from .. import functional as F
from ..autograd import Tensor
from . import init
from ._utils import new_parameter, positive_int
from .module import Module


class Linear(Module):
    """y = x @ weight.T + bias over the last axis; PyTorch's default initialisation
    (kaiming_uniform_(a=sqrt(5)) weight, bias uniform in +-1/sqrt(in_features))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", 0)
        self.out_features = positive_int(out_features, "out_features", 0)
        self.weight = new_parameter((self.out_features, self.in_features), dtype, device)
        if bias:
            self.bias = new_parameter((self.out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)); bias U(+-1/sqrt(fan_in))."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return "in_features={}, out_features={}, bias={}".format(
            self.in_features, self.out_features, self.bias is not None)


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one (by default all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return "start_dim={}, end_dim={}".format(self.start_dim, self.end_dim)


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); ignores constructor arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input
