"""Time the transforms on one batch: batched (one call for N images) against a per-image
Python loop of the same transforms, and torchvision's per-image transforms on torch
tensors when torchvision is importable.

    python -m fastconv.data.transforms.bench [--batch 64] [--repeats 30]

Times are medians of interleaved runs, in milliseconds per batch.
"""
import argparse
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from . import (Compose, Normalize, RandomAffine, RandomCrop, RandomHorizontalFlip, ToTensor)

MEAN3, STD3 = (0.49, 0.48, 0.45), (0.25, 0.24, 0.26)


def cases(batch: int) -> List[Dict[str, Any]]:
    """(name, input batch, fastconv transform, torchvision transform factory) rows."""
    rng = np.random.default_rng(0)
    rgb = rng.random((batch, 3, 32, 32), dtype=np.float32)
    grey = rng.random((batch, 1, 28, 28), dtype=np.float32)
    rgb_u8 = rng.integers(0, 256, (batch, 32, 32, 3), dtype=np.uint8)
    affine = dict(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1))
    rows = [
        ("RandomCrop(32, padding=4)", rgb, lambda: RandomCrop(32, padding=4),
         lambda T: T.RandomCrop(32, padding=4)),
        ("RandomHorizontalFlip()", rgb, RandomHorizontalFlip, lambda T: T.RandomHorizontalFlip()),
        ("Normalize(3 channels)", rgb, lambda: Normalize(MEAN3, STD3),
         lambda T: T.Normalize(MEAN3, STD3)),
        ("RandomAffine nearest", rgb, lambda: RandomAffine(**affine),
         lambda T: T.RandomAffine(**affine)),
        ("RandomAffine bilinear", rgb, lambda: RandomAffine(interpolation="bilinear", **affine),
         lambda T: T.RandomAffine(interpolation=T.InterpolationMode.BILINEAR, **affine)),
        ("crop+flip+normalize", rgb,
         lambda: Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(),
                          Normalize(MEAN3, STD3)]),
         lambda T: T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                              T.Normalize(MEAN3, STD3)])),
        ("ToTensor uint8 HWC", rgb_u8, ToTensor, None),
        ("crop+flip+ToTensor+norm u8", rgb_u8,
         lambda: Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(),
                          Normalize(MEAN3, STD3)]), None),
        ("RandomCrop(28, padding=2)", grey, lambda: RandomCrop(28, padding=2),
         lambda T: T.RandomCrop(28, padding=2)),
        ("RandomAffine nearest", grey, lambda: RandomAffine(**affine),
         lambda T: T.RandomAffine(**affine)),
        ("RandomAffine bilinear", grey, lambda: RandomAffine(interpolation="bilinear", **affine),
         lambda T: T.RandomAffine(interpolation=T.InterpolationMode.BILINEAR, **affine)),
    ]
    return [dict(name=n, x=x, fc=f(), tv=tv) for n, x, f, tv in rows]


def _median_ms(fns: Sequence[Optional[Callable[[], Any]]], repeats: int) -> List[float]:
    times: List[List[float]] = [[] for _ in fns]
    for _ in range(repeats):   # interleaved: each round runs every contender once
        for k, fn in enumerate(fns):
            if fn is None:
                continue
            t0 = time.perf_counter()
            fn()
            times[k].append((time.perf_counter() - t0) * 1e3)
    return [statistics.median(t) if t else float("nan") for t in times]


def _torchvision() -> Any:
    try:
        import torch
        import torchvision.transforms as T
        return torch, T
    except Exception:   # absent, or a build whose compiled ops do not load here
        return None


def run(batch: int = 64, repeats: int = 30) -> List[Dict[str, Any]]:
    """Time every case; returns rows with batched_ms, loop_ms and torchvision_ms."""
    tv = _torchvision()
    results = []
    for case in cases(batch):
        x, t = case["x"], case["fc"]
        fns: List[Optional[Callable[[], Any]]] = [
            lambda: t.apply_batch(x),
            lambda: np.stack([np.asarray(t(x[i])) for i in range(len(x))]),
            None,
        ]
        if tv is not None and case["tv"] is not None:
            torch, T = tv
            tt = case["tv"](T)
            xt = torch.from_numpy(x)
            fns[2] = lambda: torch.stack([tt(xt[i]) for i in range(len(xt))])
        batched, loop, ref = _median_ms(fns, repeats)
        shape = "x".join(map(str, x.shape[1:]))
        results.append(dict(name=case["name"], shape=shape, batched_ms=batched, loop_ms=loop,
                            torchvision_ms=ref))
    return results


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    rows = run(args.batch, args.repeats)
    print("%-28s %-9s %10s %12s %16s" % ("transform", "image", "batched ms", "loop ms",
                                         "torchvision ms"))
    for r in rows:
        print("%-28s %-9s %10.3f %12.3f %16.3f" % (r["name"], r["shape"], r["batched_ms"],
                                                   r["loop_ms"], r["torchvision_ms"]))


if __name__ == "__main__":
    main()
