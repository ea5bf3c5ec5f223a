"""Training and evaluation loops, shared by the `fastconv train` command, tests and benchmarks."""
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional


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
                loss_fn: Optional[Callable] = None, progress: bool = False,
                desc: str = "train") -> EpochStats:
    """One epoch of mini-batch training: forward, loss, backward, optimizer step.

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

