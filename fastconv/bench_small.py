"""Small-op overhead: plain Tensor arithmetic, indexing, reductions and shape ops on tiny
tensors, fastconv and PyTorch side by side.

On a 3-element tensor the arithmetic itself costs nothing, so what these cases time is
each library's per-op Python (and dispatcher) cost: building the result, recording it on
the tape and, for the backward cases, walking the tape. Recurrent and attention code is
made of such ops. Every case is one expression written once for both libraries; times
are medians of interleaved runs (fastconv, torch, fastconv, ...) on one thread, measured
as the process's CPU time: on a shared machine, wall time would also count the turns of
other processes, which hit one library's runs and not the other's.
"""
import statistics
import time
from dataclasses import dataclass
from typing import Callable, List, Optional


_clock = time.process_time

# (name, expression of (v, m)): v is a (3,) and m a (3, 3) float32 tensor, both requiring
# grad, as in the issue that asked for these numbers.
SMALL_CASES = [
    ("v * v", lambda v, m: v * v),
    ("v + 1", lambda v, m: v + 1),
    ("v - m[0]", lambda v, m: v - m[0]),
    ("v / 2", lambda v, m: v / 2),
    ("-v", lambda v, m: -v),
    ("v[1:]", lambda v, m: v[1:]),
    ("m[:, 0]", lambda v, m: m[:, 0]),
    ("v.sum()", lambda v, m: v.sum()),
    ("m.sum(1)", lambda v, m: m.sum(1)),
    ("m.mean()", lambda v, m: m.mean()),
    ("v.exp()", lambda v, m: v.exp()),
    ("v.tanh()", lambda v, m: v.tanh()),
    ("v.reshape(3, 1)", lambda v, m: v.reshape(3, 1)),
    ("m.t()", lambda v, m: m.t()),
    ("v.unsqueeze(0)", lambda v, m: v.unsqueeze(0)),
    ("m @ m", lambda v, m: m @ m),
    ("(v * v).sum().backward()", lambda v, m: (v * v).sum().backward()),
    ("(m @ v).tanh().sum().backward()", lambda v, m: (m @ v).tanh().sum().backward()),
]


@dataclass(frozen=True)
class SmallRow:
    """One case: microseconds per op in each library (None where torch is missing)."""
    case: str
    fastconv_us: float
    torch_us: Optional[float]

    @property
    def ratio(self) -> Optional[float]:
        """PyTorch time / fastconv time: > 1 means fastconv is faster."""
        return None if self.torch_us is None else self.torch_us / self.fastconv_us


def _operands(lib):
    v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [1.0, 2.0, 3.0]], requires_grad=True)
    return v, m


def _loop(fn: Callable, v, m, number: int) -> Callable[[], None]:
    def run():
        for _ in range(number):
            fn(v, m)   # each result dropped at once, as in a training loop
    return run


def _chain_forward(v, n: int):
    y = v
    for _ in range(n):
        y = y + 1
    return y


def _interleaved_us(runs: List[Callable[[], float]], repeat: int) -> List[float]:
    """Median of each run()'s returned seconds, in microseconds, timing them in turn."""
    times = [[] for _ in runs]
    for fn in runs:
        fn()   # warm-up
    for _ in range(repeat):
        for i, fn in enumerate(runs):
            times[i].append(fn())
    return [1e6 * statistics.median(t) for t in times]


def _timed(fn: Callable[[], None], per: int) -> Callable[[], float]:
    def run():
        start = _clock()
        fn()
        return (_clock() - start) / per
    return run


def _chain_runs(v, n: int):
    """(forward, backward) timers of an n-step chain y = y + 1 (seconds per step)."""
    built = []

    def forward():
        start = _clock()
        built.append(_chain_forward(v, n).sum())
        return (_clock() - start) / n

    def backward():
        y = built.pop() if built else _chain_forward(v, n).sum()
        start = _clock()
        y.backward()
        return (_clock() - start) / n
    return forward, backward


def small_ops_us(number: int = 2000, repeat: int = 7, chain: int = 10_000,
                 only: Optional[str] = None) -> List[SmallRow]:
    """Median microseconds per op of every case (one thread), with torch where installed.

    `number` calls per timed run, `repeat` runs; the chain cases time `chain` steps of
    y = y + 1 forward and then backward, per step. Thread settings are restored."""
    import fastconv
    from . import _threads
    try:
        import torch
    except ImportError:
        torch = None
    libs = [fastconv] + ([torch] if torch is not None else [])
    previous = _threads._requested
    torch_previous = torch.get_num_threads() if torch is not None else None
    fastconv.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    try:
        operands = [_operands(lib) for lib in libs]
        rows = []
        for name, fn in SMALL_CASES:
            if only and only not in name:
                continue
            runs = [_timed(_loop(fn, v, m, number), number) for v, m in operands]
            us = _interleaved_us(runs, repeat)
            rows.append(SmallRow(name, us[0], us[1] if torch is not None else None))
        label = "chain of %d y = y + 1: %s per step" % (chain, "%s")
        if not only or only in label:
            pairs = [_chain_runs(v, chain) for v, m in operands]
            for i, part in enumerate(("forward", "backward")):
                us = _interleaved_us([p[i] for p in pairs], max(3, repeat // 2))
                rows.append(SmallRow(label % part, us[0],
                                     us[1] if torch is not None else None))
        return rows
    finally:
        _threads._requested = previous
        if torch is not None:
            torch.set_num_threads(torch_previous)


def format_small_ops(rows: List[SmallRow]) -> str:
    """small_ops_us() as a fixed-width table: both libraries' microseconds and the ratio."""
    lines = ["Small ops (3-element and 3x3 float32 tensors requiring grad, 1 thread, "
             "median us per op; ratio = PyTorch / fastconv, > 1 is faster)",
             "  %-44s %12s %11s %7s" % ("case", "fastconv us", "PyTorch us", "ratio")]
    for r in rows:
        lines.append("  %-44s %12.2f %11s %7s" % (
            r.case, r.fastconv_us, "-" if r.torch_us is None else "%.2f" % r.torch_us,
            "-" if r.ratio is None else "%.2fx" % r.ratio))
    return "\n".join(lines)


def small_ops_table(number: int = 2000, repeat: int = 7, chain: int = 10_000) -> str:
    """Time the small-op cases and return them as a table (what `fastconv bench` prints)."""
    return format_small_ops(small_ops_us(number, repeat, chain))

