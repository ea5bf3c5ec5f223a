"""Activation layers: ReLU, Softmax, LogSoftmax, and the pointwise ones over the native
activation family (LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Hardtanh, ReLU6,
Hardswish, Hardsigmoid, Mish)."""
from typing import Optional

from .. import functional as F
from ..autograd import Tensor
from .module import Module


class ReLU(Module):
    """max(x, 0). inplace=True is accepted for PyTorch compatibility; the result is the
    same, computed into a new array (the tape needs the input unchanged)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softmax(Module):
    """softmax(x, dim): each slice along dim sums to 1."""

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return "dim={}".format(self.dim)


class LogSoftmax(Module):
    """log_softmax(x, dim), computed stably."""

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return "dim={}".format(self.dim)


class _Pointwise(Module):
    """A pointwise activation module: forward calls F.<name> with the module's options."""

    def _inplace_repr(self, prefix: str = "") -> str:
        suffix = "inplace=True" if getattr(self, "inplace", False) else ""
        return prefix + (", " + suffix if prefix and suffix else suffix)


class LeakyReLU(_Pointwise):
    """x if x > 0 else negative_slope * x, as torch.nn.LeakyReLU."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr("negative_slope={}".format(self.negative_slope))


class ELU(_Pointwise):
    """x if x > 0 else alpha * (exp(x) - 1), as torch.nn.ELU."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr("alpha={}".format(self.alpha))


class GELU(_Pointwise):
    """x * Phi(x), or its tanh approximation (approximate='tanh'), as torch.nn.GELU."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return "approximate={}".format(repr(self.approximate))


class SiLU(_Pointwise):
    """x * sigmoid(x), as torch.nn.SiLU."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr()


class Sigmoid(_Pointwise):
    """1 / (1 + exp(-x)), as torch.nn.Sigmoid."""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(_Pointwise):
    """tanh(x), as torch.nn.Tanh."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Softplus(_Pointwise):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold, as torch.nn.Softplus."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return "beta={}, threshold={}".format(self.beta, self.threshold)


class Hardtanh(_Pointwise):
    """x clamped to [min_val, max_val], as torch.nn.Hardtanh."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        if not max_val > min_val:
            raise ValueError("max_val (%r) must be greater than min_val (%r)"
                             % (max_val, min_val))
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr("min_val={}, max_val={}".format(self.min_val, self.max_val))


class ReLU6(Hardtanh):
    """min(max(x, 0), 6), as torch.nn.ReLU6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr()


class Hardswish(_Pointwise):
    """x * relu6(x + 3) / 6, as torch.nn.Hardswish."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Hardsigmoid(_Pointwise):
    """relu6(x + 3) / 6, as torch.nn.Hardsigmoid."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Mish(_Pointwise):
    """x * tanh(softplus(x)), as torch.nn.Mish."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr()
