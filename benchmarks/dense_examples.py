"""One training step of each dense-prediction example's network, fastconv and PyTorch
CPU side by side (same network code, same batch, same threads, interleaved medians).

    python benchmarks/dense_examples.py [--threads 1 2] [--repeats 7]

The networks come from the examples themselves (examples/segment.py, detect.py, stn.py
build them from a torch.nn-like module), so both libraries run the same architecture:
forward, the example's loss, backward and an AdamW step, on a batch of random scenes
(segmentation, detection: batch 32 of 64x64) or distorted images (STN: batch 64 of
42x42). Prints the milliseconds per step and the ratio PyTorch / fastconv.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "examples"))

import fastconv  # noqa: E402
from fastconv.bench import interleaved_ms  # noqa: E402
from fastconv.data.scenes import DistortedFashionMNIST, Scenes  # noqa: E402


def _lib(name):
    if name == "fastconv":
        return fastconv, fastconv.functional
    import torch
    return torch, torch.nn.functional


def _step(lib, model, loss_of):
    """forward + loss + backward + AdamW step on the fixed batch."""
    optimizer = lib.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        loss = loss_of()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def segment_step(name, batch):
    import segment
    lib, F = _lib(name)
    lib.manual_seed(0)
    model = segment.build_fcn(lib.nn, lib.cat)
    x, masks = lib.tensor(batch[0]), lib.tensor(batch[1])
    return _step(lib, model, lambda: F.cross_entropy(model(x), masks))


def detect_step(name, batch):
    import detect
    lib, _ = _lib(name)
    lib.manual_seed(0)
    model = detect.build_detector(lib.nn)
    x, boxes, labels = (lib.tensor(a) for a in (batch[0], batch[2], batch[3]))
    return _step(lib, model, lambda: detect.detection_loss(model(x), boxes, labels, lib))


def stn_step(name, batch, transformer: bool):
    import stn
    lib, F = _lib(name)
    lib.manual_seed(0)
    model = stn.build_stn(lib.nn, F) if transformer else stn.build_classifier(lib.nn)
    x, y = lib.tensor(batch[0]), lib.tensor(batch[1])
    return _step(lib, model, lambda: F.cross_entropy(model(x), y))


def cases():
    scenes = Scenes(32, seed=0).get_batch(np.arange(32))
    distorted = DistortedFashionMNIST(train=False, limit=64).get_batch(np.arange(64))
    return [
        ("segment FCN (N32 64x64)", lambda n: segment_step(n, scenes)),
        ("detect grid detector (N32 64x64)", lambda n: detect_step(n, scenes)),
        ("stn: plain CNN (N64 42x42)", lambda n: stn_step(n, distorted, False)),
        ("stn: STN + CNN (N64 42x42)", lambda n: stn_step(n, distorted, True)),
    ]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    import torch
    for threads in args.threads:
        fastconv.set_num_threads(threads)
        torch.set_num_threads(threads)
        print("threads: %d" % threads)
        print("%-36s %11s %11s %7s" % ("training step", "fastconv ms", "PyTorch ms", "ratio"))
        for label, make in cases():
            ours, theirs = make("fastconv"), make("torch")
            ms_ours, ms_theirs = interleaved_ms([ours, theirs], args.repeats)
            print("%-36s %11.1f %11.1f %6.2fx" % (label, ms_ours, ms_theirs,
                                                  ms_theirs / ms_ours), flush=True)


if __name__ == "__main__":
    main()
