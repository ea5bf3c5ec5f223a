"""Dropout, Dropout1d and Dropout2d: randomly zeroed units in training, identity in eval."""
from .. import functional as F
from ..autograd import Tensor
from ..ops.dropout import check_probability
from .module import Module


class _DropoutNd(Module):
    """p (the probability of zeroing) checked on construction, as torch does."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = check_probability(p)
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return "p={}, inplace={}".format(self.p, self.inplace)


class Dropout(_DropoutNd):
    """Zero each element with probability p in training and scale the kept ones by
    1 / (1 - p), as torch.nn.Dropout; the identity in evaluation mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) inputs, as torch.nn.Dropout1d."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) inputs, as torch.nn.Dropout2d."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
