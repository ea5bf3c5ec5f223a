#!/usr/bin/env python3
"""Build the Fashion-MNIST subset shipped in fastconv/data/subset/ from the full set.

Stratified and deterministic: the first N images of each class, in file order (the
files are already shuffled), kept in their original order. The gzip streams carry no
timestamp, so running this twice gives byte-identical files.

    python3 tools/make_subset.py [--source DIR] [--train-per-class 500] [--test-per-class 100]
"""
import argparse
import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # this repository's fastconv (built in place)

from fastconv.data.fashion_mnist import FILES, SUBSET_DIR, find_fashion_mnist, load_fashion_mnist  # noqa: E402
from fastconv.data.idx import write_idx  # noqa: E402


def stratified_first(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Sorted indices of the first `per_class` items of each class."""
    picked = []
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        if len(where) < per_class:
            raise SystemExit("class %d has only %d items, fewer than %d" % (c, len(where), per_class))
        picked.append(where[:per_class])
    return np.sort(np.concatenate(picked))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", help="directory with the four full files (default: Debian's)")
    ap.add_argument("--out", default=str(SUBSET_DIR))
    ap.add_argument("--train-per-class", type=int, default=500)
    ap.add_argument("--test-per-class", type=int, default=100)
    args = ap.parse_args()
    source = args.source or find_fashion_mnist()
    if source is None:
        raise SystemExit("full Fashion-MNIST not found; apt-get install dataset-fashion-mnist "
                         "or pass --source DIR")
    os.makedirs(args.out, exist_ok=True)
    for train, per_class in ((True, args.train_per_class), (False, args.test_per_class)):
        images, labels = load_fashion_mnist(source, train)
        idx = stratified_first(labels, per_class)
        for name, arr in zip(FILES[train], (images[idx], labels[idx].astype(np.uint8))):
            path = os.path.join(args.out, name + ".gz")
            write_idx(path, arr)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:16]
            print("%-40s %8d bytes  %s  sha256 %s" % (path, os.path.getsize(path), arr.shape, digest))


if __name__ == "__main__":
    main()
