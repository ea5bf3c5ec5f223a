"""What the dense-prediction examples share: their command-line options, the choice of
Fashion-MNIST files, a training loop with a tqdm bar, and matplotlib imported only when
--plot asks for it."""
import argparse
import sys
import time
from typing import Callable, Iterable, Optional

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
