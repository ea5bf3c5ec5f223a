"""Recurrent layers in `fastconv bench`: LSTM and GRU forward+backward against PyTorch.

Each case is a whole nn.LSTM / nn.GRU (float32, batch-major input as a sequence model
feeds it, time-major here as torch's default) run forward and backward from a fixed
upstream gradient, the same in both libraries; the rows join bench.py's table. The same
step builders feed benchmarks/test_rnn_layers.py.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class RNNCase:
    """One recurrent network: `mode` LSTM or GRU, input (seq, batch, input_size)."""
    mode: str
    seq: int
    batch: int
    input_size: int
    hidden: int
    layers: int = 1
    bidirectional: bool = False

    @property
    def name(self) -> str:
        return "%s T%d N%d %d->%d%s%s fwd+bwd" % (
            self.mode, self.seq, self.batch, self.input_size, self.hidden,
            " x%d" % self.layers if self.layers > 1 else "",
            " bidir" if self.bidirectional else "")

    def flops(self) -> float:
        """Multiply-adds x 2 of forward (input and recurrent products) and backward
        (twice forward: weight gradients and input/state gradients)."""
        gates = {"LSTM": 4, "GRU": 3}[self.mode] * self.hidden
        directions = 2 if self.bidirectional else 1
        total, size = 0.0, self.input_size
        for _ in range(self.layers):
            total += directions * 2.0 * self.seq * self.batch * gates * (size + self.hidden)
            size = directions * self.hidden
        return 3 * total


RNN_CASES = [
    RNNCase("LSTM", 28, 64, 28, 128),
    RNNCase("GRU", 28, 64, 28, 128),
    RNNCase("LSTM", 50, 32, 256, 256, 2),
    RNNCase("GRU", 50, 32, 256, 256, 2),
]


def _data(case: RNNCase, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case.seq, case.batch, case.input_size)).astype(np.float32)
    directions = 2 if case.bidirectional else 1
    grad = rng.standard_normal((case.seq, case.batch, directions * case.hidden))
    return x, grad.astype(np.float32)


def fastconv_rnn_step(case: RNNCase, seed: int = 0) -> Callable[[], object]:
    """A closure running the network forward and backward in fastconv."""
    import fastconv
    from fastconv import nn
    fastconv.manual_seed(seed)
    net = getattr(nn, case.mode)(case.input_size, case.hidden, num_layers=case.layers,
                                 bidirectional=case.bidirectional)
    x, g = _data(case, seed)
    x, g = fastconv.tensor(x, requires_grad=True), fastconv.tensor(g)

    def step():
        net.zero_grad()
        x.grad = None
        net(x)[0].backward(g)
    return step


def torch_rnn_step(case: RNNCase, seed: int = 0) -> Callable[[], object]:
    """The same network, data and gradient in PyTorch CPU."""
    import torch
    torch.manual_seed(seed)
    net = getattr(torch.nn, case.mode)(case.input_size, case.hidden, num_layers=case.layers,
                                       bidirectional=case.bidirectional)
    x, g = _data(case, seed)
    x, g = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

    def step():
        net.zero_grad()
        x.grad = None
        net(x)[0].backward(g)
    return step


def rnn_jobs(only: Optional[str], have_torch: bool) -> List[tuple]:
    """bench.run's jobs for the recurrent cases whose name contains `only`: (label,
    flops, fastconv step, torch step or None, winograd=False)."""
    return [(case.name, case.flops(), fastconv_rnn_step(case),
             torch_rnn_step(case) if have_torch else None, False)
            for case in RNN_CASES if not only or only in case.name]
