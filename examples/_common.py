"""What the dense-prediction examples share: their command-line options, the choice of
Fashion-MNIST files, a training loop with a tqdm bar, and matplotlib imported only when
--plot asks for it."""
import argparse
import sys
import time
from typing import Callable, Iterable, Optional, Tuple

import numpy as np

import fastconv
from fastconv.data.fashion_mnist import find_fashion_mnist


def parser(description: str, *, epochs: int, batch_size: int, lr: float
           ) -> argparse.ArgumentParser:
    """The options every example takes; each adds its own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default="auto",
                   help="Fashion-MNIST items: 'full' (Debian's dataset-fashion-mnist), "
                        "'subset' (shipped with fastconv), a directory of the IDX files, "
                        "or 'auto' (full where installed, else the subset)")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr, help="peak learning rate (one cycle)")
    p.add_argument("--threads", type=int, default=None, help="kernel threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="FILE", default=None, help="draw results into a PNG")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def setup(args: argparse.Namespace):
    """Apply --threads and --seed; return the data root for fastconv.data.scenes. With
    --plot, matplotlib is checked now, not after the training."""
    if getattr(args, "plot", None):
        pyplot(args.plot)
    if args.threads:
        fastconv.set_num_threads(args.threads)
    fastconv.manual_seed(args.seed)
    if args.data == "auto":
        return "full" if find_fashion_mnist() is not None else None
    if args.data == "subset":
        return None
    return args.data


def scene_arguments(p: argparse.ArgumentParser, *, train_scenes: int, fresh: bool) -> None:
    """The scene options of segment.py and detect.py."""
    p.add_argument("--train-scenes", type=int, default=train_scenes,
                   help="training scenes (per epoch with --fresh)")
    p.add_argument("--test-scenes", type=int, default=1000)
    p.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=fresh,
                   help="new training scenes every epoch instead of the same ones")


def scene_loaders(args: argparse.Namespace, root):
    """(training batches, held-out Scenes) for the scene options in `args`."""
    from fastconv.data import DataLoader
    from fastconv.data.scenes import Scenes
    start = time.perf_counter()
    test_set = Scenes(args.test_scenes, seed=args.seed + 1, train=False, root=root)
    if args.fresh:
        loader = FreshScenes(args.train_scenes, args.seed, root, args.batch_size)
        what = "%d new train per epoch" % args.train_scenes
    else:
        train_set = Scenes(args.train_scenes, seed=args.seed, train=True, root=root)
        loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                            drop_last=True, seed=args.seed)
        what = "%d train" % args.train_scenes
    print("scenes: %s, %d test (%.0f s)" % (what, len(test_set), time.perf_counter() - start))
    return loader, test_set


class FreshScenes:
    """Training batches over `n` new scenes every epoch (fastconv.data.scenes.Scenes with
    seed `seed + 1000 * epoch`, training items), shuffled, in batches of `batch_size`:
    the examples learn from new arrangements of the items each epoch instead of seeing
    the same scenes again, which is what their accuracy is short of."""

    def __init__(self, n: int, seed: int, root, batch_size: int) -> None:
        self.n, self.seed, self.root, self.batch_size = n, seed, root, batch_size
        self.epoch = 0

    def __len__(self) -> int:
        return self.n // self.batch_size

    def __iter__(self):
        from fastconv.data import DataLoader
        from fastconv.data.scenes import Scenes
        self.epoch += 1
        scenes = Scenes(self.n, seed=self.seed + 1000 * self.epoch, train=True, root=self.root)
        return iter(DataLoader(scenes, batch_size=self.batch_size, shuffle=True,
                               drop_last=True, seed=self.seed + self.epoch))


def flip_scenes(batch: Tuple, rng: np.random.Generator) -> Tuple:
    """A scene batch (images, masks, boxes, labels) with each scene mirrored left to
    right with probability 1/2: image, mask and boxes alike (a mirrored item is another
    valid item of its class), so the examples see twice the variety of scenes."""
    images, masks, boxes, labels = (np.array(t.numpy()) for t in batch)
    flip = rng.random(len(images)) < 0.5
    images[flip] = images[flip, ..., ::-1]
    masks[flip] = masks[flip, ..., ::-1]
    width = images.shape[-1]
    real = flip[:, None] & (labels >= 0)                 # padded boxes stay zeros
    x1 = boxes[..., 0].copy()
    boxes[..., 0] = np.where(real, width - boxes[..., 2], boxes[..., 0])
    boxes[..., 2] = np.where(real, width - x1, boxes[..., 2])
    return tuple(fastconv.tensor(a) for a in (images, masks, boxes, labels))


def train(model, loader: Iterable, optimizer, step_loss: Callable, epochs: int, *,
          scheduler=None, progress: bool = True, log: Callable[[str], None] = print) -> float:
    """Train for `epochs` epochs: step_loss(batch) -> loss Tensor; the scheduler steps
    once per batch. Prints one line per epoch; returns the seconds spent."""
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=epochs * len(loader), unit="batch", dynamic_ncols=True,
                   file=sys.stderr)
    start = time.perf_counter()
    try:
        for epoch in range(epochs):
            model.train()
            total, count = 0.0, 0
            for batch in loader:
                loss = step_loss(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                total += float(loss.item())
                count += 1
                if bar is not None:
                    bar.set_postfix_str("epoch %d loss %.4f" % (epoch + 1, total / count),
                                        refresh=False)
                    bar.update(1)
            message = "epoch %d: loss %.4f (%.0f s)" % (epoch + 1, total / max(count, 1),
                                                        time.perf_counter() - start)
            if bar is not None:
                bar.write(message)
            else:
                log(message)
    finally:
        if bar is not None:
            bar.close()
    return time.perf_counter() - start


def pyplot(path: Optional[str]):
    """matplotlib.pyplot (Agg backend) for --plot, or a clear exit when it is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--plot %s needs matplotlib: pip install matplotlib" % path)
    return plt
