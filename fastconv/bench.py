"""Side-by-side speed of fastconv and PyTorch CPU on the layers and networks we train.

`fastconv bench` prints one table: case, fastconv ms, PyTorch ms, ratio (PyTorch time /
fastconv time, so > 1 means fastconv is faster), GFLOP/s and percent of the machine's
peak, where the peak is what fastconv's own GEMM reaches on a large square problem.
The same cases feed the pytest-benchmark suites in benchmarks/. Timings are medians of
interleaved runs (fastconv, torch, fastconv, ...) so that machine noise hits both alike.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from .bench_dense import dense_jobs
from .bench_rnn import rnn_jobs  # LSTM and GRU rows of `fastconv bench`
from .bench_small import small_ops_table  # noqa: F401  (the small-ops table of `fastconv bench`)


@dataclass(frozen=True)
class ConvCase:
    """One convolution layer: input (n, c_in, h, w), c_out filters of k x k."""
    name: str
    n: int
    c_in: int
    c_out: int
    h: int
    w: int
    k: int
    stride: int = 1
    padding: int = 0
    input_grad: bool = True  # False for a network's first layer: its data needs no grad

    @property
    def out_hw(self) -> Tuple[int, int]:
        oh = (self.h + 2 * self.padding - self.k) // self.stride + 1
        ow = (self.w + 2 * self.padding - self.k) // self.stride + 1
        return oh, ow

    def forward_flops(self) -> float:
        oh, ow = self.out_hw
        return 2.0 * self.n * self.c_out * oh * ow * self.c_in * self.k * self.k

    def training_flops(self) -> float:
        """Forward, weight gradient, and data gradient when the input needs one."""
        return self.forward_flops() * (3 if self.input_grad else 2)

    def uses_winograd(self) -> bool:
        """True when fastconv runs this layer's forward on Winograd (F(2x2, 3x3) or
        F(2x2, 5x5))."""
        from fastconv import _cpu
        oh, ow = self.out_hw
        geom = (self.n, self.c_in, self.h, self.w, self.c_out, self.k, self.k, oh, ow,
                self.stride, self.stride, self.padding, self.padding, 1, 1, 1)
        return _cpu.conv2d_uses_winograd(geom, "forward")


CONV_CASES = [
    ConvCase("lenet-conv1 N64 1->6 5x5 28x28 p2", 64, 1, 6, 28, 28, 5, padding=2,
             input_grad=False),
    ConvCase("lenet-conv2 N64 6->16 5x5 14x14", 64, 6, 16, 14, 14, 5),
    ConvCase("cnn_bn-conv1 N64 1->32 5x5 28x28 p2", 64, 1, 32, 28, 28, 5, padding=2,
             input_grad=False),
    ConvCase("cnn_bn-conv2 N64 32->64 5x5 14x14 p2", 64, 32, 64, 14, 14, 5, padding=2),
    ConvCase("vgg 64->64 3x3 N32 32x32", 32, 64, 64, 32, 32, 3, padding=1),
    ConvCase("vgg 128->128 3x3 N32 16x16", 32, 128, 128, 16, 16, 3, padding=1),
    ConvCase("resnet 64->64 3x3 N8 56x56", 8, 64, 64, 56, 56, 3, padding=1),
    ConvCase("resnet 256->64 1x1 N8 56x56", 8, 256, 64, 56, 56, 1),
    ConvCase("resnet 128->256 3x3 s2 N8 28x28", 8, 128, 256, 28, 28, 3, stride=2, padding=1),
]


@dataclass(frozen=True)
class NormCase:
    """One BatchNorm2d layer in training: input (n, c, h, w), forward and backward."""
    name: str
    n: int
    c: int
    h: int
    w: int


BN_CASES = [
    NormCase("vgg 64ch 32x32 N32", 32, 64, 32, 32),
    NormCase("vgg 128ch 16x16 N32", 32, 128, 16, 16),
    NormCase("resnet 64ch 56x56 N8", 8, 64, 56, 56),
    NormCase("resnet20 16ch 32x32 N64", 64, 16, 32, 32),
    NormCase("resnet20 32ch 16x16 N64", 64, 32, 16, 16),
    NormCase("resnet20 64ch 8x8 N64", 64, 64, 8, 8),
]

# (name, input shape, dropout2d?): after cnn_bn's Linear(3136, 1024), and on a VGG map
DROPOUT_CASES = [
    ("dropout p=0.5 N64x1024", (64, 1024), False),
    ("dropout p=0.5 N32x64x32x32", (32, 64, 32, 32), False),
    ("dropout2d p=0.5 N32x64x32x32", (32, 64, 32, 32), True),
]


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of fn() in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """Fastest of `repeats` timed runs in ms: a peak is what the machine can do at best."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def interleaved_ms(fns: List[Callable[[], object]], repeats: int, warmup: int = 1
                   ) -> List[float]:
    """Median ms of each fn, timing them in turn so drifting load hits all of them."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [1e3 * statistics.median(t) for t in times]


# ---------------------------------------------------------------- step builders

def fastconv_conv_step(case: ConvCase, backward: bool, seed: int = 0) -> Callable[[], object]:
    """A closure running one conv2d forward (and backward) through fastconv.functional."""
    import fastconv
    import fastconv.functional as F
    rng = np.random.default_rng(seed)
    x = fastconv.tensor(rng.standard_normal((case.n, case.c_in, case.h, case.w)),
                        dtype=np.float32, requires_grad=backward and case.input_grad)
    w = fastconv.tensor(rng.standard_normal((case.c_out, case.c_in, case.k, case.k)) * 0.1,
                        dtype=np.float32, requires_grad=backward)
    b = fastconv.tensor(np.zeros(case.c_out), dtype=np.float32, requires_grad=backward)
    grad = fastconv.tensor(np.ones((case.n, case.c_out) + case.out_hw), dtype=np.float32)

    def step():
        if not backward:
            with fastconv.no_grad():
                return F.conv2d(x, w, b, stride=case.stride, padding=case.padding)
        w.grad = b.grad = x.grad = None
        F.conv2d(x, w, b, stride=case.stride, padding=case.padding).backward(grad)
    return step


def torch_conv_step(case: ConvCase, backward: bool, seed: int = 0) -> Callable[[], object]:
    """The same step in PyTorch CPU."""
    import torch
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((case.n, case.c_in, case.h, case.w)),
                     dtype=torch.float32, requires_grad=backward and case.input_grad)
    w = torch.tensor(rng.standard_normal((case.c_out, case.c_in, case.k, case.k)) * 0.1,
                     dtype=torch.float32, requires_grad=backward)
    b = torch.zeros(case.c_out, requires_grad=backward)
    grad = torch.ones((case.n, case.c_out) + case.out_hw)

    def step():
        if not backward:
            with torch.no_grad():
                return torch.nn.functional.conv2d(x, w, b, stride=case.stride,
                                                  padding=case.padding)
        w.grad = b.grad = x.grad = None
        torch.nn.functional.conv2d(x, w, b, stride=case.stride,
                                   padding=case.padding).backward(grad)
    return step


def _norm_step(module, x, grad, params) -> Callable[[], object]:
    """forward + backward of `module` on x (requiring grad) with upstream `grad`."""
    def step():
        for p in params:
            p.grad = None
        module(x).backward(grad)
    return step


def fastconv_batch_norm_step(case: NormCase, seed: int = 0) -> Callable[[], object]:
    """One BatchNorm2d forward (training: batch statistics, running stats updated) and
    backward through fastconv.nn."""
    import fastconv
    from fastconv import nn
    rng = np.random.default_rng(seed)
    shape = (case.n, case.c, case.h, case.w)
    bn = nn.BatchNorm2d(case.c)
    x = fastconv.tensor(rng.standard_normal(shape), dtype=np.float32, requires_grad=True)
    grad = fastconv.tensor(rng.standard_normal(shape), dtype=np.float32)
    return _norm_step(bn, x, grad, [x, bn.weight, bn.bias])


def torch_batch_norm_step(case: NormCase, seed: int = 0) -> Callable[[], object]:
    """The same step in PyTorch CPU."""
    import torch
    rng = np.random.default_rng(seed)
    shape = (case.n, case.c, case.h, case.w)
    bn = torch.nn.BatchNorm2d(case.c)
    x = torch.tensor(rng.standard_normal(shape), dtype=torch.float32, requires_grad=True)
    grad = torch.tensor(rng.standard_normal(shape), dtype=torch.float32)
    return _norm_step(bn, x, grad, [x, bn.weight, bn.bias])


def fastconv_dropout_step(shape, channelwise: bool, seed: int = 0) -> Callable[[], object]:
    """One Dropout (or Dropout2d) forward and backward, p = 0.5, through fastconv.nn."""
    import fastconv
    from fastconv import nn
    rng = np.random.default_rng(seed)
    layer = nn.Dropout2d(0.5) if channelwise else nn.Dropout(0.5)
    x = fastconv.tensor(rng.standard_normal(shape), dtype=np.float32, requires_grad=True)
    grad = fastconv.tensor(rng.standard_normal(shape), dtype=np.float32)
    return _norm_step(layer, x, grad, [x])


def torch_dropout_step(shape, channelwise: bool, seed: int = 0) -> Callable[[], object]:
    """The same step in PyTorch CPU."""
    import torch
    rng = np.random.default_rng(seed)
    layer = torch.nn.Dropout2d(0.5) if channelwise else torch.nn.Dropout(0.5)
    x = torch.tensor(rng.standard_normal(shape), dtype=torch.float32, requires_grad=True)
    grad = torch.tensor(rng.standard_normal(shape), dtype=torch.float32)
    return _norm_step(layer, x, grad, [x])


def small_vgg(nn):
    """conv-relu x2, pool, conv-relu x2, pool, conv-relu, pool, fc: a CIFAR-shaped net.

    `nn` is fastconv.nn or torch.nn: both build the same architecture."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * 4 * 4, 10))


def lenet5_torch():
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


NETWORK_CASES = [
    # name, batch, input (c, h, w)
    ("lenet5 train step N64", "lenet5", 64, (1, 28, 28)),
    ("lenet5 train step N256", "lenet5", 256, (1, 28, 28)),
    ("small-vgg train step N64", "small_vgg", 64, (3, 32, 32)),
    ("cnn_bn train step N64", "cnn_bn", 64, (1, 28, 28)),
    ("resnet20 train step N64", "resnet20", 64, (3, 32, 32)),
]


def fastconv_network(net: str):
    """A NETWORK_CASES network built with fastconv (seeded by fastconv.manual_seed)."""
    from fastconv import models, nn
    builders = {"lenet5": models.lenet5, "small_vgg": lambda: small_vgg(nn),
                "cnn_bn": models.cnn_bn, "resnet20": models.resnet20}
    return builders[net]()


def torch_network(net: str):
    """The same network in PyTorch (seeded by torch.manual_seed)."""
    import torch
    from fastconv.models import torch_twins
    builders = {"lenet5": lenet5_torch, "small_vgg": lambda: small_vgg(torch.nn),
                "cnn_bn": torch_twins.cnn_bn_torch, "resnet20": torch_twins.resnet20_torch}
    return builders[net]()


def fastconv_train_step(net: str, batch: int, shape, seed: int = 0) -> Callable[[], object]:
    """One SGD step (forward, cross-entropy, backward, update) in fastconv."""
    import fastconv
    import fastconv.functional as F
    from fastconv import optim
    fastconv.manual_seed(seed)
    model = fastconv_network(net)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(seed)
    x = fastconv.tensor(rng.standard_normal((batch,) + shape), dtype=np.float32)
    y = fastconv.tensor(rng.integers(0, 10, batch), dtype=np.int64)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def torch_train_step(net: str, batch: int, shape, seed: int = 0) -> Callable[[], object]:
    """The same step in PyTorch CPU."""
    import torch
    torch.manual_seed(seed)
    model = torch_network(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((batch,) + shape), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 10, batch), dtype=torch.int64)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def train_step_flops(net: str, batch: int) -> float:
    """Convolution and linear FLOPs of one training step (forward + backward)."""
    if net == "lenet5":
        convs = [ConvCase("", batch, 1, 6, 28, 28, 5, padding=2, input_grad=False),
                 ConvCase("", batch, 6, 16, 14, 14, 5)]
        fcs = [(400, 120), (120, 84), (84, 10)]
    elif net == "cnn_bn":
        convs = [ConvCase("", batch, 1, 32, 28, 28, 5, padding=2, input_grad=False),
                 ConvCase("", batch, 32, 64, 14, 14, 5, padding=2)]
        fcs = [(3136, 1024), (1024, 10)]
    elif net == "resnet20":
        convs = [ConvCase("", batch, 3, 16, 32, 32, 3, padding=1, input_grad=False)]
        size, width = 32, 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for block in range(3):
                s = stride if block == 0 else 1
                convs.append(ConvCase("", batch, width, planes, size, size, 3, stride=s,
                                      padding=1))
                size //= s
                convs.append(ConvCase("", batch, planes, planes, size, size, 3, padding=1))
                width = planes
        fcs = [(64, 10)]
    else:
        convs = [ConvCase("", batch, 3, 32, 32, 32, 3, padding=1, input_grad=False),
                 ConvCase("", batch, 32, 32, 32, 32, 3, padding=1),
                 ConvCase("", batch, 32, 64, 16, 16, 3, padding=1),
                 ConvCase("", batch, 64, 64, 16, 16, 3, padding=1),
                 ConvCase("", batch, 64, 128, 8, 8, 3, padding=1)]
        fcs = [(2048, 10)]
    return (sum(c.training_flops() for c in convs)
            + sum(3 * 2.0 * batch * i * o for i, o in fcs))


# ---------------------------------------------------------------- pools and activations

@dataclass(frozen=True)
class LayerOpCase:
    """A pooling or activation layer on an (n, c, h, w) float32 input, timed forward +
    backward; `op(F, x)` is written once for both libraries (torch.nn.functional and
    fastconv.functional take the same arguments)."""
    name: str
    shape: Tuple[int, int, int, int]
    op: Callable[[object, object], object]


_POOL_SHAPES = [(64, 64, 8, 8), (32, 64, 32, 32), (8, 64, 56, 56)]   # ResNet/VGG stages
_POOLS = [
    ("avg_pool2d 3x3 s2 p1", lambda F, x: F.avg_pool2d(x, 3, 2, 1)),
    ("avg_pool2d 2x2", lambda F, x: F.avg_pool2d(x, 2)),
    ("adaptive_avg_pool2d 1x1", lambda F, x: F.adaptive_avg_pool2d(x, 1)),
    ("adaptive_max_pool2d 1x1", lambda F, x: F.adaptive_max_pool2d(x, 1)),
]
_ACTIVATIONS = [
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.1)), ("elu", lambda F, x: F.elu(x)),
    ("gelu", lambda F, x: F.gelu(x)), ("silu", lambda F, x: F.silu(x)),
    ("sigmoid", lambda F, x: F.sigmoid(x)), ("tanh", lambda F, x: F.tanh(x)),
]

LAYER_OP_CASES = (
    [LayerOpCase("%s N%d C%d %dx%d" % ((name,) + shape), shape, op)
     for name, op in _POOLS for shape in _POOL_SHAPES]
    + [LayerOpCase("adaptive_avg_pool2d 7x7 N32 C64 32x32", (32, 64, 32, 32),   # 7 does
                   lambda F, x: F.adaptive_avg_pool2d(x, 7)),                 # not divide
       LayerOpCase("adaptive_max_pool2d 7x7 N32 C64 32x32", (32, 64, 32, 32),
                   lambda F, x: F.adaptive_max_pool2d(x, 7))]
    + [LayerOpCase("%s N64 C64 32x32" % name, (64, 64, 32, 32), op)
       for name, op in _ACTIVATIONS])


def layer_op_step(case: LayerOpCase, library: str, seed: int = 0) -> Callable[[], object]:
    """A closure running case.op forward and backward in "fastconv" or "torch"."""
    x = np.random.default_rng(seed).standard_normal(case.shape).astype(np.float32)
    if library == "torch":
        import torch
        functional, t = torch.nn.functional, torch.tensor(x, requires_grad=True)
        grad = torch.ones(tuple(case.op(functional, t).shape))
    else:
        import fastconv
        import fastconv.functional as functional
        t = fastconv.tensor(x, requires_grad=True)
        grad = fastconv.tensor(np.ones(case.op(functional, t).shape, np.float32))

    def step():
        t.grad = None
        case.op(functional, t).backward(grad)
    return step


# ---------------------------------------------------------------- peak

def gemm_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Best GFLOP/s of fastconv's own sgemm on a size^3 problem: the measured peak."""
    from . import ops
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    c = np.empty((size, size), dtype=np.float32)
    return 2.0 * size ** 3 / (best_ms(lambda: ops.gemm(a, b, out=c), repeats) * 1e-3) / 1e9


def numpy_gemm_gflops(size: int = 2048, repeats: int = 5, threads: Optional[int] = None
                      ) -> float:
    """The same problem through numpy's BLAS, for reference, on `threads` BLAS threads."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=threads, user_api="blas"):
        return _numpy_gemm_gflops(size, repeats)


def _numpy_gemm_gflops(size: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    c = np.empty((size, size), dtype=np.float32)
    return 2.0 * size ** 3 / (best_ms(lambda: np.matmul(a, b, out=c), repeats) * 1e-3) / 1e9


# ---------------------------------------------------------------- per-op overhead

def op_overhead_us(number: int = 1000, repeat: int = 7) -> Dict[str, float]:
    """Median microseconds per call of ops on tiny inputs (a few elements), one thread.

    The native work is negligible there, so these numbers are what the Python layers
    cost per op: raw `fastconv.ops` calls, `fastconv.functional` forwards (recorded on
    the tape) and forward+backward. A LeNet-5 step runs about a dozen such ops, so this
    says how much of a small network's step is overhead rather than arithmetic.
    """
    import fastconv
    import fastconv.functional as F
    from . import _threads, ops

    def tensor(*shape, grad=False):
        return fastconv.tensor(np.ones(shape, np.float32), requires_grad=grad)

    x, w, b = tensor(1, 1, 2, 2, grad=True), tensor(1, 1, 1, 1, grad=True), tensor(1, grad=True)
    xl, wl, v = tensor(1, 1, grad=True), tensor(1, 1, grad=True), tensor(1, grad=True)
    g4, g2, g1, gp = tensor(1, 1, 2, 2), tensor(1, 1), tensor(1), tensor(1, 1, 1, 1)
    scores, target = tensor(1, 2, grad=True), fastconv.tensor(np.zeros(1, np.int64))
    a1, x4, w4 = v._data.copy(), x._data.copy(), w._data.copy()
    xl2, wl2, b1 = xl._data.copy(), wl._data.copy(), b._data.copy()

    def fresh(*leaves):
        for leaf in leaves:
            leaf.grad = None

    cases = {
        "ops.relu_forward": lambda: ops.relu_forward(a1),
        "ops.conv2d_forward": lambda: ops.conv2d_forward(x4, w4, b1),
        "ops.max_pool2d_forward": lambda: ops.max_pool2d_forward(x4, 2),
        "ops.linear_forward": lambda: ops.linear_forward(xl2, wl2, b1),
        "F.relu forward": lambda: F.relu(v),
        "F.conv2d forward": lambda: F.conv2d(x, w, b),
        "F.max_pool2d forward": lambda: F.max_pool2d(x, 2),
        "F.linear forward": lambda: F.linear(xl, wl, b),
        "F.relu forward+backward": lambda: (fresh(v), F.relu(v).backward(g1)),
        "F.conv2d forward+backward": lambda: (fresh(x, w, b), F.conv2d(x, w, b).backward(g4)),
        "F.max_pool2d forward+backward": lambda: (fresh(x), F.max_pool2d(x, 2).backward(gp)),
        "F.linear forward+backward": lambda: (fresh(xl, wl, b), F.linear(xl, wl, b).backward(g2)),
        "F.conv2d_relu_max_pool2d forward+backward":   # what nn.Sequential runs for LeNet
            lambda: (fresh(x, w, b), F.conv2d_relu_max_pool2d(x, w, b).backward(gp)),
        "F.cross_entropy forward+backward":
            lambda: (fresh(scores), F.cross_entropy(scores, target).backward()),
    }
    previous = _threads._requested
    fastconv.set_num_threads(1)   # overhead, not thread wake-ups
    try:
        result = {}
        for name, fn in cases.items():
            def batch(fn=fn):
                for _ in range(number):
                    fn()   # each result dropped at once, as in a training loop
            result[name] = 1e3 * median_ms(batch, repeat) / number
        return result
    finally:
        _threads._requested = previous


def format_overhead(overhead: Dict[str, float]) -> str:
    """op_overhead_us() as a small fixed-width table."""
    lines = ["Python overhead per op (tiny inputs, 1 thread, median us per call)"]
    lines += ["  %-42s %8.1f" % (name, us) for name, us in overhead.items()]
    return "\n".join(lines)


# ---------------------------------------------------------------- memory

# Run in a fresh interpreter: build a LeNet-5 step, note the RSS high-water mark, train,
# note it again. On Linux the mark is VmHWM from /proc: ru_maxrss would not do, since Linux
# carries the parent's high-water mark across fork and exec, so a child started from a
# large process (pytest with torch loaded) reports the parent's peak. Elsewhere ru_maxrss
# (KiB on Linux, bytes on macOS).
_MEMORY_CHILD = """
import json, resource, sys
from fastconv import bench
impl, batch, steps, threads = json.loads(sys.argv[1])
if impl == "fastconv":
    import fastconv
    if threads:
        fastconv.set_num_threads(threads)
    make = bench.fastconv_train_step
else:
    import torch
    if threads:
        torch.set_num_threads(threads)
    make = bench.torch_train_step
step = make("lenet5", batch, (1, 28, 28))
def maxrss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    unit = 1024.0 if sys.platform == "darwin" else 1.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit / 1024.0
base = maxrss()
for _ in range(steps):
    step()
print(json.dumps([base, maxrss()]))
"""


@dataclass(frozen=True)
class MemoryUse:
    """RSS high-water marks of a child process, in MB (MiB)."""
    impl: str
    batch: int
    baseline_mb: float  # after importing the library and building model, data and optimizer
    peak_mb: float      # after the training run

    @property
    def delta_mb(self) -> float:
        return self.peak_mb - self.baseline_mb


def training_memory(impl: str, batch: int = 64, steps: int = 50,
                    threads: Optional[int] = None) -> MemoryUse:
    """Baseline and peak RSS of `steps` LeNet-5 SGD steps run in a fresh subprocess.

    threads=None leaves each library at its default thread count.
    """
    if impl not in ("fastconv", "torch"):
        raise ValueError("impl must be 'fastconv' or 'torch', got %r" % (impl,))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    args = json.dumps([impl, int(batch), int(steps), threads])
    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError("memory child for %s failed:\n%s" % (impl, done.stderr))
    base, peak = json.loads(done.stdout.strip().splitlines()[-1])
    return MemoryUse(impl, int(batch), base, peak)


def peak_memory_mb(impl: str, batch: int = 64, steps: int = 50) -> float:
    """Growth in peak RSS (MB) of a LeNet-5 training run over the import-and-build baseline."""
    return training_memory(impl, batch, steps).delta_mb


def format_memory_table(results: List[MemoryUse]) -> str:
    """Rows of impl, batch, baseline, peak and delta MB as fixed-width text."""
    lines = ["%-10s %6s %12s %9s %9s" % ("impl", "batch", "baseline MB", "peak MB",
                                          "delta MB")]
    for r in results:
        lines.append("%-10s %6d %12.1f %9.1f %9.1f" % (r.impl, r.batch, r.baseline_mb,
                                                        r.peak_mb, r.delta_mb))
    return "\n".join(lines)


# ---------------------------------------------------------------- the table

@dataclass
class Row:
    case: str
    fastconv_ms: float
    torch_ms: Optional[float]
    flops: float
    winograd: bool = False  # GFLOP/s then counts the direct convolution's work

    @property
    def ratio(self) -> Optional[float]:
        return None if self.torch_ms is None else self.torch_ms / self.fastconv_ms

    @property
    def gflops(self) -> float:
        return self.flops / (self.fastconv_ms * 1e-3) / 1e9


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run(threads: int, repeats: int = 7, quick: bool = False, progress: bool = True,
        only: Optional[str] = None) -> Tuple[List[Row], float, Optional[float]]:
    """Time every case (or those whose name contains `only`) with `threads` threads.

    Returns the rows, the peak GFLOP/s of our sgemm and numpy's on the same problem."""
    import fastconv
    fastconv.set_num_threads(threads)
    have_torch = _torch_available()
    if have_torch:
        import torch
        torch.set_num_threads(threads)
    peak = gemm_gflops(1024 if quick else 2048)
    blas = numpy_gemm_gflops(1024 if quick else 2048, threads=threads)
    jobs = []
    for case in CONV_CASES:
        if only and only not in case.name:
            continue
        for backward in (False, True):
            label = "%s %s" % (case.name, "fwd+bwd" if backward else "fwd")
            flops = case.training_flops() if backward else case.forward_flops()
            jobs.append((label, flops, fastconv_conv_step(case, backward),
                         torch_conv_step(case, backward) if have_torch else None,
                         case.uses_winograd()))
    for case in BN_CASES:
        label = "batchnorm2d %s fwd+bwd" % case.name
        if only and only not in label:
            continue
        jobs.append((label, 0.0, fastconv_batch_norm_step(case),
                     torch_batch_norm_step(case) if have_torch else None, False))
    for label, shape, channelwise in DROPOUT_CASES:
        label += " fwd+bwd"
        if only and only not in label:
            continue
        jobs.append((label, 0.0, fastconv_dropout_step(shape, channelwise),
                     torch_dropout_step(shape, channelwise) if have_torch else None, False))
    jobs += dense_jobs(have_torch, only)   # transposed conv, upsampling, grid sampling
    for case in LAYER_OP_CASES:   # flops 0: no GFLOP/s for memory-bound layers
        if only and only not in case.name:
            continue
        jobs.append((case.name + " fwd+bwd", 0.0, layer_op_step(case, "fastconv"),
                     layer_op_step(case, "torch") if have_torch else None, False))
    for label, net, batch, shape in NETWORK_CASES:
        if only and only not in label:
            continue
        jobs.append((label, train_step_flops(net, batch), fastconv_train_step(net, batch, shape),
                     torch_train_step(net, batch, shape) if have_torch else None, False))
    jobs += rnn_jobs(only, have_torch)   # LSTM and GRU layers (bench_rnn.py)
    rows = []
    try:
        from tqdm import tqdm
        iterator = tqdm(jobs, desc="bench %d thread(s)" % threads, leave=False,
                        disable=not progress)
    except ImportError:
        iterator = jobs
    for label, flops, ours, theirs, winograd in iterator:
        reps = 3 if quick else repeats
        if theirs is None:
            rows.append(Row(label, median_ms(ours, reps), None, flops, winograd))
        else:
            ms_ours, ms_theirs = interleaved_ms([ours, theirs], reps)
            rows.append(Row(label, ms_ours, ms_theirs, flops, winograd))
    return rows, peak, blas


def format_table(rows: List[Row], peak: float, threads: int, blas: Optional[float] = None
                 ) -> str:
    """The bench table as fixed-width text (also pasted into README and closing notes)."""
    lines = ["threads: %d   peak (fastconv sgemm, large square): %.1f GFLOP/s%s"
             % (threads, peak, "" if blas is None else "   numpy sgemm: %.1f GFLOP/s" % blas),
             "%-46s %11s %11s %7s %9s %7s" % ("case", "fastconv ms", "PyTorch ms", "ratio",
                                              "GFLOP/s", "% peak")]
    for r in rows:   # memory-bound rows (flops 0: batch norm, dropout) have no GFLOP/s
        lines.append("%-46s %11.3f %11s %7s %9s %7s" % (
            r.case + (" *" if r.winograd else ""), r.fastconv_ms,
            "-" if r.torch_ms is None else "%.3f" % r.torch_ms,
            "-" if r.ratio is None else "%.2fx" % r.ratio,
            "%.1f" % r.gflops if r.flops else "-",
            "%.0f%%" % (100 * r.gflops / peak) if r.flops else "-"))
    if any(r.winograd for r in rows):
        lines.append("* Winograd F(2x2,3x3) or F(2x2,5x5): GFLOP/s counts the direct "
                     "convolution's multiply-adds (2.25x or 2.78x the work done), so it "
                     "can pass the peak")
    return "\n".join(lines)
