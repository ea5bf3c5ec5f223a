"""What `fastconv train --model NAME` builds and how it trains it by default.

Each entry of MODELS names a network for Fashion-MNIST's 1x28x28 images, its twin in
PyTorch (for benchmarks/train_torch_reference.py) and its best known recipe: the
optimizer, learning rate, schedule, augmentation and epochs that `fastconv train` uses
unless told otherwise. The measured runs behind the recipes are in README ("Models").
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
    augment: bool = False          # random horizontal flips (cli.AUGMENT_HELP)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError("optimizer must be one of %s, got %r" % (OPTIMIZERS, self.optimizer))
        if self.scheduler not in SCHEDULERS:
            raise ValueError("scheduler must be one of %s, got %r" % (SCHEDULERS, self.scheduler))

    def summary(self) -> str:
        """The recipe in a few words, as `fastconv train --help` lists it."""
        name = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}[self.optimizer]
        parts = ["%s lr %g%s" % (name, self.lr,
                                 " (peak)" if self.scheduler == "onecycle" else "")]
        if self.optimizer == "sgd":
            parts[0] += " %smomentum %g" % ("Nesterov " if self.nesterov else "", self.momentum)
        if self.weight_decay:
            parts.append("weight decay %g" % self.weight_decay)
        parts.append("%s schedule" % self.scheduler if self.scheduler != "none"
                     else "no schedule")
        if self.label_smoothing:
            parts.append("label smoothing %g" % self.label_smoothing)
        parts.append("augmented" if self.augment else "no augmentation")
        parts.append("batch %d, %d epochs" % (self.batch_size, self.epochs))
        return ", ".join(parts)


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


MODELS: Dict[str, ModelEntry] = {
    "lenet5": ModelEntry(
        "LeNet-5", lenet5, torch_twins.lenet5_torch,
        Recipe("adam", 1e-3, epochs=5)),
    "cnn_bn": ModelEntry(
        "CNN-BN", cnn_bn, torch_twins.cnn_bn_torch,
        Recipe("sgd", 0.05, epochs=10, nesterov=True, weight_decay=1e-4,
               scheduler="onecycle", label_smoothing=0.1, augment=True)),
    "resnet20": ModelEntry(
        "ResNet-20", lambda: resnet20(in_channels=1),
        lambda: torch_twins.resnet20_torch(in_channels=1),
        Recipe("sgd", 0.1, epochs=15, nesterov=True, weight_decay=5e-4,
               scheduler="onecycle", label_smoothing=0.1, augment=True)),
    "vgg11_bn": ModelEntry(
        "VGG-11-BN", lambda: vgg11_bn(in_channels=1),
        lambda: torch_twins.vgg11_bn_torch(in_channels=1),
        Recipe("sgd", 0.05, epochs=15, nesterov=True, weight_decay=5e-4,
               scheduler="onecycle", label_smoothing=0.1, augment=True)),
}
