"""Loss layers: CrossEntropyLoss, NLLLoss, MSELoss."""
from typing import Optional

from .. import functional as F
from ..autograd import Tensor
from .module import Module


class _WeightedLoss(Module):
    """A class-index loss holding optional per-class weights as a buffer, as torch does."""

    def __init__(self, weight: Optional[Tensor] = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError("reduction must be 'mean', 'sum' or 'none', got %r"
                             % (reduction,))
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.reduction = reduction


class CrossEntropyLoss(_WeightedLoss):
    """cross_entropy(input, target) of raw scores against int64 class indices."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction)


class NLLLoss(_WeightedLoss):
    """nll_loss(input, target) of log-probabilities against int64 class indices."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(Module):
    """mse_loss(input, target): mean (or sum, or none) of squared differences."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError("reduction must be 'mean', 'sum' or 'none', got %r"
                             % (reduction,))
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)
