"""Pooling and activation layers forward+backward (issue 9): fastconv vs PyTorch.

Run: pytest benchmarks/test_layer_ops.py --benchmark-group-by=group
     --benchmark-columns=median,iqr,rounds
Each group holds fastconv and torch at one thread count, so the table reads as a ratio.
"""
import pytest

from fastconv.bench import LAYER_OP_CASES, layer_op_step


@pytest.mark.parametrize("case", LAYER_OP_CASES, ids=[c.name for c in LAYER_OP_CASES])
def test_layer_op(benchmark, case, impl, threads):
    step = layer_op_step(case, impl)
    benchmark.group = "%s fwd+bwd %dthr" % (case.name, threads)
    benchmark(step)
