"""Activation layers: ReLU, Softmax, LogSoftmax."""
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
