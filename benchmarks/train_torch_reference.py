"""`fastconv train`'s run in PyTorch CPU: the same model, recipe, data and output lines.

    python3 benchmarks/train_torch_reference.py [--model cnn_bn] [--data full] ...

Takes the same options as `fastconv train` (less --save, --checkpoint and --resume), with
the same per-model default recipes, and prints, per epoch, the training loss, test
accuracy, images/s and seconds in the same format, so the two runs can be put side by
side. What is shared rather than copied:

- the options, recipe, data pipeline and output lines: fastconv.cli (add_train_arguments,
  resolve_recipe, training_data, format_header, format_epoch); the data is
  fastconv.data.FashionMNIST, normalised and (with --augment) augmented, through
  fastconv's DataLoader with the same seeds, so the very same batches; its numpy batches
  are handed to PyTorch with torch.from_numpy;
- the model: the twin in fastconv.models.recipes.MODELS (fastconv.models.torch_twins),
  seeded with torch.manual_seed(--seed), so PyTorch's own initialisation (the initial
  weights and dropout masks differ from fastconv's);
- the optimizer and schedule: fastconv.train.make_optimizer and make_scheduler, given
  torch.optim and torch.optim.lr_scheduler;
- the loops and their timing: fastconv.train.train_epoch and evaluate, given
  torch.nn.functional.cross_entropy (with --label-smoothing for training) and run under
  torch.no_grad() for evaluation.

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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a network on Fashion-MNIST in PyTorch CPU with the recipe and "
                    "data of `fastconv train`, printing the same per-epoch lines.",
        epilog=cli.recipes_epilog())
    cli.add_train_arguments(parser, save=False)
    return parser


def train(args: argparse.Namespace) -> int:
    import functools

    import torch

    import fastconv
    from fastconv._malloc import keep_freed_memory
    from fastconv.models.recipes import MODELS
    from fastconv.train import (evaluate, make_optimizer, make_scheduler, total_steps,
                                train_epoch)

    keep_freed_memory()  # as `fastconv train` does, so the comparison stays even

    cli.resolve_recipe(args)
    data = cli.training_data(args, as_numpy=True)
    train_batches = TorchBatches(data.train_loader)
    test_batches = TorchBatches(data.test_loader)
    torch.set_num_threads(args.threads or fastconv.get_num_threads())
    torch.manual_seed(args.seed)
    model = MODELS[args.model].build_torch()
    optimizer = make_optimizer(torch.optim, model.parameters(), args.optimizer, args.lr,
                               momentum=args.momentum, nesterov=args.nesterov,
                               weight_decay=args.weight_decay)
    scheduler = make_scheduler(torch.optim.lr_scheduler, optimizer, args.scheduler,
                               total_steps(data.train_loader, args.epochs))
    loss_fn = torch.nn.functional.cross_entropy
    train_loss = functools.partial(loss_fn, label_smoothing=args.label_smoothing)
    print(cli.format_header("PyTorch %s" % torch.__version__, args, data,
                            torch.get_num_threads()), flush=True)
    for epoch in range(1, args.epochs + 1):
        stats = train_epoch(model, train_batches, optimizer, loss_fn=train_loss,
                            scheduler=scheduler, progress=not args.no_progress,
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
