"""What `fastconv train --model NAME` builds and how it trains it by default.

Each entry of MODELS names a network for Fashion-MNIST's 1x28x28 images, its twin in
PyTorch (for benchmarks/train_torch_reference.py) and its best known recipe: the
optimizer, learning rate, schedule, augmentation and epochs that `fastconv train` uses
unless told otherwise. The figures behind each recipe are in its `note`.
"""
from dataclasses import dataclass
from typing import Any, Callable, Dict

from . import torch_twins
from .cnn_bn import cnn_bn
from .lenet import lenet5
from .resnet import resnet20
from .vgg import vgg11_bn

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("none", "step", "cosine", "onecycle")


@dataclass(frozen=True)
class Recipe:
    """How a model is trained: every option of `fastconv train` that changes the result."""

    optimizer: str                 # one of OPTIMIZERS
    lr: float                      # the peak rate with the onecycle schedule
    epochs: int
    batch_size: int = 64
    momentum: float = 0.9          # SGD only
    nesterov: bool = False         # SGD only
    weight_decay: float = 0.0      # L2 in the gradient (SGD, Adam); decoupled for AdamW
    scheduler: str = "none"        # one of SCHEDULERS, stepped after every batch
    label_smoothing: float = 0.0
    augment: bool = False          # random crop with padding + horizontal flip

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError("optimizer must be one of %s, got %r" % (OPTIMIZERS, self.optimizer))
        if self.scheduler not in SCHEDULERS:
            raise ValueError("scheduler must be one of %s, got %r" % (SCHEDULERS, self.scheduler))


# An optimizer's own defaults, used when a run picks another optimizer than the recipe's.
OPTIMIZER_DEFAULTS: Dict[str, Dict[str, float]] = {
    "sgd": {"lr": 0.01, "weight_decay": 0.0},
    "adam": {"lr": 1e-3, "weight_decay": 0.0},
    "adamw": {"lr": 1e-3, "weight_decay": 0.01},
}


@dataclass(frozen=True)
class ModelEntry:
    """A network `fastconv train` offers, built for 1x28x28 Fashion-MNIST images."""

    title: str                     # as the header line shows it
    build: Callable[[], Any]       # the fastconv network
    build_torch: Callable[[], Any]  # the same network in PyTorch
    recipe: Recipe
    note: str                      # the recipe in words, for --help


MODELS: Dict[str, ModelEntry] = {
    "lenet5": ModelEntry(
        "LeNet-5", lenet5, torch_twins.lenet5_torch,
        Recipe("adam", 1e-3, epochs=5),
        "Adam lr 1e-3, batch 64, 5 epochs, no schedule or augmentation"),
    "cnn_bn": ModelEntry(
        "CNN-BN", cnn_bn, torch_twins.cnn_bn_torch,
        Recipe("sgd", 0.05, epochs=10, nesterov=True, weight_decay=5e-4,
               scheduler="onecycle", label_smoothing=0.1, augment=True),
        "SGD lr 0.05 (OneCycle peak) Nesterov momentum 0.9, weight decay 5e-4, label "
        "smoothing 0.1, augmentation, batch 64, 10 epochs"),
    "resnet20": ModelEntry(
        "ResNet-20", lambda: resnet20(in_channels=1),
        lambda: torch_twins.resnet20_torch(in_channels=1),
        Recipe("sgd", 0.1, epochs=15, nesterov=True, weight_decay=5e-4,
               scheduler="onecycle", label_smoothing=0.1, augment=True),
        "SGD lr 0.1 (OneCycle peak) Nesterov momentum 0.9, weight decay 5e-4, label "
        "smoothing 0.1, augmentation, batch 64, 15 epochs"),
    "vgg11_bn": ModelEntry(
        "VGG-11-BN", lambda: vgg11_bn(in_channels=1),
        lambda: torch_twins.vgg11_bn_torch(in_channels=1),
        Recipe("sgd", 0.05, epochs=15, nesterov=True, weight_decay=5e-4,
               scheduler="onecycle", label_smoothing=0.1, augment=True),
        "SGD lr 0.05 (OneCycle peak) Nesterov momentum 0.9, weight decay 5e-4, label "
        "smoothing 0.1, augmentation, batch 64, 15 epochs"),
}
