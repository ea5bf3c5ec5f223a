"""Small-op overhead: Tensor arithmetic, indexing, reductions and shape ops on 3-element and
3x3 float32 tensors that require grad, fastconv and PyTorch side by side (one thread).

The cases are fastconv.bench_small.SMALL_CASES, the same expressions `fastconv bench`
prints in its small-ops table; each benchmark times one call of the expression."""
import pytest

import fastconv
from fastconv.bench_small import SMALL_CASES, _chain_forward, _operands


@pytest.fixture
def one_thread():
    previous = fastconv.get_num_threads()
    fastconv.set_num_threads(1)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch_previous = torch.get_num_threads()
        torch.set_num_threads(1)
    yield
    fastconv.set_num_threads(previous)
    if torch is not None:
        torch.set_num_threads(torch_previous)


def _lib(impl):
    if impl == "torch":
        import torch
        return torch
    return fastconv


@pytest.mark.parametrize("name,fn", SMALL_CASES, ids=[name for name, _ in SMALL_CASES])
def test_small_op(benchmark, impl, one_thread, name, fn):
    v, m = _operands(_lib(impl))
    benchmark.group = "small op: %s" % name
    benchmark(fn, v, m)


@pytest.mark.parametrize("part", ["forward", "backward"])
def test_chain_of_adds(benchmark, impl, one_thread, part):
    """1,000 steps of y = y + 1, then one backward through all of them."""
    v, _ = _operands(_lib(impl))
    benchmark.group = "chain of 1000 y = y + 1: %s" % part
    if part == "forward":
        benchmark(_chain_forward, v, 1000)
    else:
        benchmark.pedantic(lambda y: y.backward(),
                           setup=lambda: ((_chain_forward(v, 1000).sum(),), {}), rounds=20)
