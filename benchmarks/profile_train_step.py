"""Where a training step's time goes, layer by layer, fastconv next to PyTorch CPU.

    python3 benchmarks/profile_train_step.py [--net cnn_bn resnet20] [--threads 1 2]

For the networks of `fastconv bench`'s whole-step rows (cnn_bn at batch 64, 1x28x28;
ResNet-20 at batch 64, 3x32x32), one training step is run through the torch twin with
forward hooks to learn the input shape of every leaf module. Each module is then timed
alone, in training mode, in both libraries: forward, and forward + backward of a gradient
of ones (the first layer's input needs no gradient, as in the step). Runs are
interleaved (fastconv, torch, fastconv, ...) and the medians reported. The table ends
with the sum per kind of layer, the whole SGD step (fastconv.bench's train-step rows) and
what the layers leave unexplained: the loss, the optimizer, the ResNet's functional
ReLUs, additions and shortcuts, and Python overhead between layers.
"""
import argparse
import os
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fastconv import bench  # noqa: E402

INPUTS = {"cnn_bn": (64, (1, 28, 28)), "resnet20": (64, (3, 32, 32))}


@dataclass
class LayerTime:
    name: str
    kind: str
    shape: Tuple[int, ...]
    fastconv_fwd: float
    torch_fwd: float
    fastconv_step: float     # forward + backward
    torch_step: float


def leaf_input_shapes(net: str) -> "OrderedDict[str, Tuple[Tuple[int, ...], str]]":
    """name -> (input shape, module type) of each leaf module, in the order a forward
    pass of the torch twin calls them."""
    import torch
    batch, shape = INPUTS[net]
    model = bench.torch_network(net)
    seen: "OrderedDict[str, Tuple[Tuple[int, ...], str]]" = OrderedDict()
    handles = []
    for name, module in model.named_modules():
        if not list(module.children()) and name:
            def hook(mod, args, _name=name):
                seen.setdefault(_name, (tuple(args[0].shape), type(mod).__name__))
            handles.append(module.register_forward_pre_hook(hook))
    model(torch.zeros((batch,) + shape))
    for h in handles:
        h.remove()
    return seen


def _layer_steps(module: Any, shape, needs_grad: bool, lib: str):
    """(forward, forward+backward) closures for one module on random input of `shape`."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape).astype(np.float32)
    if lib == "fastconv":
        import fastconv
        x = fastconv.tensor(x_np, requires_grad=needs_grad)
        params = list(module.parameters())
        with fastconv.no_grad():
            grad = fastconv.ones(*module(x).shape)

        def forward():
            with fastconv.no_grad():
                return module(x)
    else:
        import torch
        x = torch.from_numpy(x_np).requires_grad_(needs_grad)
        params = list(module.parameters())
        with torch.no_grad():
            grad = torch.ones(module(x).shape)

        def forward():
            with torch.no_grad():
                return module(x)

    def step():
        for p in params:
            p.grad = None
        x.grad = None
        module(x).backward(grad)
    module.train()
    return forward, step


def profile(net: str, threads: int, repeats: int) -> Tuple[List[LayerTime], float, float]:
    """Per-layer times (ms) and the whole step's, fastconv and torch, with `threads`."""
    import torch

    import fastconv
    fastconv.set_num_threads(threads)
    torch.set_num_threads(threads)
    shapes = leaf_input_shapes(net)
    fastconv.manual_seed(0)
    torch.manual_seed(0)
    ours = dict(bench.fastconv_network(net).named_modules())
    theirs = dict(bench.torch_network(net).named_modules())
    rows = []
    for i, (name, (shape, kind)) in enumerate(shapes.items()):
        needs_grad = i > 0
        f_fwd, f_step = _layer_steps(ours[name], shape, needs_grad, "fastconv")
        t_fwd, t_step = _layer_steps(theirs[name], shape, needs_grad, "torch")
        ff, tf, fs, ts = bench.interleaved_ms([f_fwd, t_fwd, f_step, t_step], repeats)
        rows.append(LayerTime(name, kind, shape, ff, tf, fs, ts))
    batch, image = INPUTS[net]
    total_ours, total_theirs = bench.interleaved_ms(
        [bench.fastconv_train_step(net, batch, image), bench.torch_train_step(net, batch, image)],
        repeats)
    return rows, total_ours, total_theirs


def _ratio(theirs: float, ours: float) -> str:
    return "%.2fx" % (theirs / ours) if ours > 0 else "-"


def format_profile(net: str, threads: int, rows: List[LayerTime], total_ours: float,
                   total_theirs: float) -> str:
    lines = ["%s training step, batch %d, %d thread(s): ms, medians of interleaved runs; "
             "ratio = PyTorch / fastconv (> 1: fastconv faster)" % (net, INPUTS[net][0], threads),
             "%-22s %-10s %-18s %9s %9s %7s %9s %9s %7s" % (
                 "layer", "kind", "input", "fc fwd", "torch fwd", "ratio", "fc f+b",
                 "torch f+b", "ratio")]
    for r in rows:
        lines.append("%-22s %-10s %-18s %9.3f %9.3f %7s %9.3f %9.3f %7s" % (
            r.name, r.kind[:10], "x".join(map(str, r.shape)), r.fastconv_fwd, r.torch_fwd,
            _ratio(r.torch_fwd, r.fastconv_fwd), r.fastconv_step, r.torch_step,
            _ratio(r.torch_step, r.fastconv_step)))
    kinds: Dict[str, List[float]] = OrderedDict()
    for r in rows:
        k = kinds.setdefault(r.kind, [0.0, 0.0, 0.0, 0.0])
        k[0] += r.fastconv_fwd
        k[1] += r.torch_fwd
        k[2] += r.fastconv_step
        k[3] += r.torch_step
    lines.append("sums per kind of layer:")
    for kind, (ff, tf, fs, ts) in kinds.items():
        lines.append("  %-39s %9.3f %9.3f %7s %9.3f %9.3f %7s" % (
            "%s (%d)" % (kind, sum(r.kind == kind for r in rows)), ff, tf, _ratio(tf, ff),
            fs, ts, _ratio(ts, fs)))
    layers_ours = sum(r.fastconv_step for r in rows)
    layers_theirs = sum(r.torch_step for r in rows)
    lines.append("  %-39s %9s %9s %7s %9.3f %9.3f %7s" % (
        "all layers", "", "", "", layers_ours, layers_theirs, _ratio(layers_theirs, layers_ours)))
    lines.append("  %-39s %9s %9s %7s %9.3f %9.3f %7s" % (
        "whole SGD step (bench row)", "", "", "", total_ours, total_theirs,
        _ratio(total_theirs, total_ours)))
    lines.append("  %-39s %9s %9s %7s %9.3f %9.3f" % (
        "step - layers (loss, optimizer, glue)", "", "", "", total_ours - layers_ours,
        total_theirs - layers_theirs))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--net", nargs="+", choices=list(INPUTS), default=list(INPUTS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    from fastconv._malloc import keep_freed_memory
    keep_freed_memory()
    for net in args.net:
        for threads in args.threads:
            rows, ours, theirs = profile(net, threads, args.repeats)
            print(format_profile(net, threads, rows, ours, theirs))
            print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
