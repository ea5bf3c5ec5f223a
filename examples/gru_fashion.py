"""A GRU reads each Fashion-MNIST image row by row and classifies it.

Every image is a sequence of 28 steps of 28 pixels (its rows, top to bottom); a GRU runs
over the rows (one native call per layer for the whole batch and all 28 steps, forward
and backward) and a linear layer classifies its last hidden state.

    python examples/gru_fashion.py                     # shipped subset, quick
    python examples/gru_fashion.py --data full         # 60k/10k (dataset-fashion-mnist)
    python examples/gru_fashion.py --data full --plot curves.png

Prints the loss and test accuracy after each epoch; the last line is
`test accuracy 0.XXXX`. --plot FILE draws the training curves (needs matplotlib).
"""
import argparse
import sys
import time

import fastconv
from fastconv import nn, optim
from fastconv.data import DataLoader, FashionMNIST, find_fashion_mnist
from fastconv.train import evaluate, train_epoch


class RowGRU(nn.Module):
    """GRU over the 28 rows of an image, then a linear classifier on its last state."""

    def __init__(self, hidden: int = 128, layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        self.gru = nn.GRU(28, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.classifier = nn.Linear(hidden, 10)

    def forward(self, images: fastconv.Tensor) -> fastconv.Tensor:
        rows = images.reshape(images.shape[0], 28, 28)   # (batch, steps, pixels)
        _, h_n = self.gru(rows)
        return self.classifier(h_n[-1])


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, metavar="DIR",
                   help="'full' for Debian's dataset-fashion-mnist (60k/10k), a directory "
                        "with the four IDX files, or nothing for the shipped subset")
    p.add_argument("--epochs", type=int, default=10, help="default: 10")
    p.add_argument("--batch-size", type=int, default=128, help="default: 128")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate (2e-3)")
    p.add_argument("--hidden", type=int, default=128, help="GRU hidden size (128)")
    p.add_argument("--layers", type=int, default=1, help="GRU layers (1)")
    p.add_argument("--threads", type=int, default=None, help="native kernel threads")
    p.add_argument("--seed", type=int, default=0, help="default: 0")
    p.add_argument("--train-limit", type=int, default=None, metavar="N",
                   help="use only the first N training images")
    p.add_argument("--plot", metavar="FILE", help="draw the training curves into FILE (PNG)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def data_root(arg):
    if arg != "full":
        return arg
    root = find_fashion_mnist()
    if root is None:
        sys.exit("--data full: Fashion-MNIST is not installed (apt-get install "
                 "dataset-fashion-mnist), or pass its directory with --data DIR")
    return root


def plot_curves(path: str, history) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = [h[0] for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [h[1] for h in history], "o-", label="train")
    left.plot(epochs, [h[2] for h in history], "o-", label="test")
    left.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    left.legend()
    right.plot(epochs, [h[3] for h in history], "o-", color="C2")
    right.axhline(0.88, color="grey", linestyle="--", linewidth=1, label="target 0.88")
    right.set(xlabel="epoch", ylabel="accuracy", title="test accuracy")
    right.legend()
    fig.suptitle("GRU reading Fashion-MNIST rows (fastconv)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            sys.exit("--plot needs matplotlib: pip install matplotlib")
    if args.threads:
        fastconv.set_num_threads(args.threads)
    fastconv.manual_seed(args.seed)
    root = data_root(args.data)
    train_set = FashionMNIST(root, train=True, normalize=True)
    test_set = FashionMNIST(root, train=False, normalize=True)
    if args.train_limit:
        train_set.data = train_set.data[:args.train_limit]
        train_set.targets = train_set.targets[:args.train_limit]
    train = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test = DataLoader(test_set, batch_size=1000)
    model = RowGRU(args.hidden, args.layers)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    print("GRU(28, %d, layers=%d) on %d training / %d test images, %d threads"
          % (args.hidden, args.layers, len(train_set), len(test_set),
             fastconv.get_num_threads()))
    history, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        stats = train_epoch(model, train, optimizer, progress=not args.no_progress,
                            desc="epoch %d/%d" % (epoch, args.epochs))
        scheduler.step()
        result = evaluate(model, test)
        history.append((epoch, stats.loss, result.loss, result.accuracy))
        print("epoch %2d  train loss %.4f  test loss %.4f  test accuracy %.4f  %.0f img/s  "
              "%.1f s" % (epoch, stats.loss, result.loss, result.accuracy,
                          stats.images_per_s, time.perf_counter() - start), flush=True)
    if args.plot:
        plot_curves(args.plot, history)
        print("training curves written to %s" % args.plot)
    print("test accuracy %.4f" % history[-1][3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
