"""`fastconv train`'s run in PyTorch CPU: the same LeNet-5, recipe, data and output lines.

    python3 benchmarks/train_torch_reference.py [--data full] [--epochs 5] [--threads N] ...

Takes the same options as `fastconv train` (less --save) and prints, per epoch, the
training loss, test accuracy, images/s and seconds in the same format, so the two runs
can be put side by side. What is shared rather than copied:

- the options, data pipeline and output lines: fastconv.cli (add_train_arguments,
  training_data, format_header, format_epoch); the data is fastconv.data.FashionMNIST,
  normalised, through fastconv's DataLoader with the same seed and shuffling, its numpy
  batches handed to PyTorch with torch.from_numpy;
- the model: fastconv.bench.lenet5_torch(), seeded with torch.manual_seed(--seed), so
  PyTorch's own initialisation (the initial weights differ from fastconv's);
- the loops and their timing: fastconv.train.train_epoch and evaluate, given
  torch.nn.functional.cross_entropy and run under torch.no_grad() for evaluation.

Threads: --threads N, else as many as fastconv would use (OMP_NUM_THREADS or all cores).
"""
import argparse
import os
import sys
from typing import Any, Iterator, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fastconv import cli  # noqa: E402


class TorchBatches:
    """A numpy DataLoader seen as batches of torch tensors (zero-copy torch.from_numpy)."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.dataset = loader.dataset        # for train_epoch's progress bar
        self.batch_size = loader.batch_size

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Tuple[Any, Any]]:
        import torch
        for x, y in self.loader:
            yield torch.from_numpy(x), torch.from_numpy(y)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train_torch_reference.py",
        description="Train LeNet-5 on Fashion-MNIST in PyTorch CPU with the recipe and data "
                    "of `fastconv train`, printing the same per-epoch lines.")
    cli.add_train_arguments(parser, save=False)
    return parser


def train(args: argparse.Namespace) -> int:
    import torch

    import fastconv
    from fastconv._malloc import keep_freed_memory
    from fastconv.bench import lenet5_torch
    from fastconv.train import evaluate, train_epoch

    keep_freed_memory()  # as `fastconv train` does, so the comparison stays even

    data = cli.training_data(args, as_numpy=True)
    train_batches = TorchBatches(data.train_loader)
    test_batches = TorchBatches(data.test_loader)
    torch.set_num_threads(args.threads or fastconv.get_num_threads())
    torch.manual_seed(args.seed)
    model = lenet5_torch()
    lr = cli.learning_rate(args)
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=args.momentum)
    loss_fn = torch.nn.functional.cross_entropy
    print(cli.format_header("PyTorch %s" % torch.__version__, args, data,
                            torch.get_num_threads()), flush=True)
    for epoch in range(1, args.epochs + 1):
        stats = train_epoch(model, train_batches, optimizer, loss_fn=loss_fn,
                            progress=not args.no_progress,
                            desc="epoch %d/%d" % (epoch, args.epochs))
        with torch.no_grad():
            test = evaluate(model, test_batches, loss_fn=loss_fn)
        print(cli.format_epoch(epoch, args.epochs, stats, test), flush=True)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return cli.run_reporting_errors("train_torch_reference.py", train, args)


if __name__ == "__main__":
    sys.exit(main())
