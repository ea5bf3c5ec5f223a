"""Training and evaluation loops, shared by the `fastconv train` command, tests and benchmarks.

The loops, `make_optimizer` and `make_scheduler` take fastconv's objects or PyTorch's
alike (the same names and protocol), so benchmarks/train_torch_reference.py runs the
very same recipe in PyTorch. Checkpoints of a whole run (`training_checkpoint`,
`restore_training_checkpoint`) hold everything that resuming needs to give the same
result, bit for bit, as not stopping.
"""
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

import numpy as np


@dataclass
class EpochStats:
    """What one pass over the training data did."""

    loss: float      # mean loss per image
    images: int
    seconds: float

    @property
    def images_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class EvalStats:
    """Loss and accuracy of a model over a data set."""

    loss: float      # mean loss per image
    accuracy: float  # fraction of images classified correctly
    images: int
    seconds: float


def _total_images(loader: Any) -> Optional[int]:
    try:
        return min(len(loader) * loader.batch_size, len(loader.dataset))
    except (AttributeError, TypeError):
        return None


def train_epoch(model: Any, loader: Iterable, optimizer: Any, *,
                loss_fn: Optional[Callable] = None, scheduler: Any = None,
                progress: bool = False, desc: str = "train") -> EpochStats:
    """One epoch of mini-batch training: forward, loss, backward, optimizer step (and
    scheduler.step() after each, when a learning-rate scheduler is given).

    loss_fn(logits, target) defaults to fastconv.functional.cross_entropy. With
    progress=True a tqdm bar shows the running loss and images/s.
    """
    if loss_fn is None:
        from .functional import cross_entropy as loss_fn
    model.train()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=_total_images(loader), desc=desc, unit="img", leave=False,
                   dynamic_ncols=True)
    total_loss, images = 0.0, 0
    start = time.perf_counter()
    try:
        for x, y in loader:
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            n = int(x.shape[0])
            total_loss += float(loss.item()) * n
            images += n
            if bar is not None:
                bar.set_postfix_str("loss %.4f" % (total_loss / images), refresh=False)
                bar.update(n)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    return EpochStats(loss=total_loss / max(images, 1), images=images, seconds=seconds)


def evaluate(model: Any, loader: Iterable, *, loss_fn: Optional[Callable] = None) -> EvalStats:
    """Mean loss and accuracy of `model` (put in eval mode, no gradients) over `loader`."""
    import fastconv

    if loss_fn is None:
        from .functional import cross_entropy as loss_fn
    model.eval()
    total_loss, correct, images = 0.0, 0, 0
    start = time.perf_counter()
    with fastconv.no_grad():
        for x, y in loader:
            logits = model(x)
            n = int(x.shape[0])
            total_loss += float(loss_fn(logits, y).item()) * n
            correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
            images += n
    seconds = time.perf_counter() - start
    return EvalStats(loss=total_loss / max(images, 1), accuracy=correct / max(images, 1),
                     images=images, seconds=seconds)



# ------------------------------------------------------------------ recipes

def make_optimizer(optim: Any, params: Iterable, name: str, lr: float, *,
                   momentum: float = 0.9, nesterov: bool = False,
                   weight_decay: float = 0.0) -> Any:
    """An "sgd", "adam" or "adamw" optimizer from `optim` (fastconv.optim or torch.optim).

    momentum and nesterov apply to SGD only; weight_decay is L2 added to the gradient
    for SGD and Adam, decoupled for AdamW, as each library defines it."""
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov,
                         weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError("optimizer must be 'sgd', 'adam' or 'adamw', got %r" % (name,))


def make_scheduler(lr_scheduler: Any, optimizer: Any, name: str, total_steps: int) -> Any:
    """The learning-rate schedule `name` over a run of `total_steps` optimizer steps, from
    `lr_scheduler` (fastconv.optim.lr_scheduler or torch.optim.lr_scheduler), to be
    stepped after every batch; None for "none".

    "step": the rate x0.1 after half and after three quarters of the run (MultiStepLR);
    "cosine": cosine annealing to 0 (CosineAnnealingLR); "onecycle": warm up over 30% of
    the run from lr/25 to lr, then cosine annealing to lr/1e4 (OneCycleLR, with
    momentum or Adam's beta1 cycled between 0.85 and 0.95)."""
    if total_steps < 1:
        raise ValueError("total_steps must be >= 1, got %d" % total_steps)
    if name == "none":
        return None
    if name == "step":
        milestones = sorted({max(1, total_steps // 2), max(1, (3 * total_steps) // 4)})
        return lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"],
                                       total_steps=total_steps)
    raise ValueError("scheduler must be 'none', 'step', 'cosine' or 'onecycle', got %r"
                     % (name,))


# ------------------------------------------------------------------ checkpoints

CHECKPOINT_FORMAT = "fastconv.train checkpoint"
CHECKPOINT_VERSION = 1


def training_checkpoint(epoch: int, model: Any, optimizer: Any, scheduler: Any,
                        generators: Mapping[str, Optional[np.random.Generator]],
                        settings: Mapping[str, Any]) -> Dict[str, Any]:
    """Everything a run needs to go on after `epoch` completed epochs, as one nested dict
    for fastconv.save: the model (parameters and buffers), optimizer and scheduler
    state, the state of fastconv's random generator (dropout, initialisation) and of
    every named numpy generator of the data pipeline (shuffling, augmentation), and the
    run's settings (so that a resumed run can check it continues the same run)."""
    from . import random as fastconv_random
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "epoch": int(epoch),
        "settings": dict(settings),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": {"fastconv": fastconv_random.get_rng_state(),
                **{name: None if g is None else g.bit_generator.state
                   for name, g in generators.items()}},
    }


def check_training_checkpoint(state: Any) -> Dict[str, Any]:
    """`state` if it is a checkpoint that training_checkpoint made; ValueError saying
    what is wrong otherwise."""
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError("not a checkpoint of `fastconv train` (a model's weights alone "
                         "cannot resume a run)")
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError("checkpoint version %r, this fastconv reads version %d"
                         % (state.get("version"), CHECKPOINT_VERSION))
    missing = [k for k in ("epoch", "settings", "model", "optimizer", "scheduler", "rng")
               if k not in state]
    if missing:
        raise ValueError("checkpoint lacks %s" % ", ".join(missing))
    return state


def restore_training_checkpoint(state: Mapping[str, Any], model: Any, optimizer: Any,
                                scheduler: Any,
                                generators: Mapping[str, Optional[np.random.Generator]]
                                ) -> int:
    """Load a training_checkpoint into freshly built objects (the same run's model,
    optimizer, scheduler and generators) and fastconv's random generator; returns the
    number of completed epochs."""
    from . import random as fastconv_random
    check_training_checkpoint(state)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if (scheduler is None) != (state["scheduler"] is None):
        raise ValueError("checkpoint %s a learning-rate scheduler, this run %s"
                         % ("has" if state["scheduler"] is not None else "has no",
                            "has one" if scheduler is not None else "has none"))
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    rng = state["rng"]
    fastconv_random.set_rng_state(rng["fastconv"])
    for name, g in generators.items():
        if g is not None:
            if rng.get(name) is None:
                raise ValueError("checkpoint has no state for the %s generator" % name)
            g.bit_generator.state = rng[name]
    return int(state["epoch"])


def total_steps(loader: Any, epochs: int) -> int:
    """Optimizer steps in `epochs` passes over `loader` (at least 1)."""
    return max(1, len(loader) * int(epochs))


__all__ = ["EpochStats", "EvalStats", "train_epoch", "evaluate", "make_optimizer",
           "make_scheduler", "training_checkpoint", "check_training_checkpoint",
           "restore_training_checkpoint", "total_steps"]
