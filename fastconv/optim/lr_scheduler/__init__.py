"""fastconv.optim.lr_scheduler: learning-rate schedules with torch.optim.lr_scheduler's
names, arguments and values (the same recursive forms, so the rates agree to rounding)."""
from .base import LRScheduler, _LRScheduler  # noqa: F401  (torch's old name, kept)
from .composite import ChainedScheduler, SequentialLR
from .cosine import CosineAnnealingLR
from .lambda_lr import LambdaLR, MultiplicativeLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .step import ExponentialLR, MultiStepLR, StepLR
from .warmup import ConstantLR, LinearLR, PolynomialLR

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
           "ChainedScheduler", "ReduceLROnPlateau", "OneCycleLR", "PolynomialLR"]
