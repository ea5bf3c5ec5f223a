"""examples/gru_fashion.py's model and recipe in PyTorch, for comparison.

The same data (fastconv's Fashion-MNIST reader, normalised the same way), model
(GRU(28, hidden) over the 28 rows, a linear layer on the last state), optimizer (Adam,
cosine schedule), batch size and epochs. Prints the same per-epoch lines and, last,
`test accuracy 0.XXXX`.

    python benchmarks/gru_fashion_torch.py --data full --epochs 2 --threads 2
"""
import argparse
import sys
import time

import numpy as np
import torch

from fastconv.data import FashionMNIST, find_fashion_mnist


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    root = find_fashion_mnist() if args.data == "full" else args.data
    train = FashionMNIST(root, train=True, normalize=True)
    test = FashionMNIST(root, train=False, normalize=True)
    x_train = torch.from_numpy(train.data.reshape(-1, 28, 28))
    y_train = torch.from_numpy(train.targets)
    x_test = torch.from_numpy(test.data.reshape(-1, 28, 28))
    y_test = torch.from_numpy(test.targets)
    gru = torch.nn.GRU(28, args.hidden, batch_first=True)
    head = torch.nn.Linear(args.hidden, 10)
    params = list(gru.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    rng = np.random.default_rng(args.seed)
    start, accuracy = time.perf_counter(), 0.0
    for epoch in range(1, args.epochs + 1):
        order = torch.from_numpy(rng.permutation(len(y_train)))
        total, seen, t0 = 0.0, 0, time.perf_counter()
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            logits = head(gru(x_train[idx])[1][-1])
            loss = torch.nn.functional.cross_entropy(logits, y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        scheduler.step()
        with torch.no_grad():
            logits = torch.cat([head(gru(x_test[i:i + 1000])[1][-1])
                                for i in range(0, len(y_test), 1000)])
        accuracy = (logits.argmax(1) == y_test).double().mean().item()
        print("epoch %2d  train loss %.4f  test accuracy %.4f  %.0f img/s  %.1f s"
              % (epoch, total / seen, accuracy, seen / (time.perf_counter() - t0),
                 time.perf_counter() - start), flush=True)
    print("test accuracy %.4f" % accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
