"""The dense-prediction ops of issue 11, forward + backward: conv_transpose2d on decoder
shapes, interpolate and affine_grid + grid_sample; fastconv vs PyTorch.

Run: pytest benchmarks/test_dense_ops.py --benchmark-group-by=group
Each group holds fastconv and torch at one thread count, so the table reads as a ratio.
The cases are fastconv.bench_dense's, the rows `fastconv bench` prints.
"""
import pytest

from fastconv.bench_dense import (CONV_TRANSPOSE_CASES, GRID_SAMPLE_CASES, INTERPOLATE_CASES,
                                  conv_transpose_step, grid_sample_step, interpolate_step)


@pytest.mark.parametrize("case", CONV_TRANSPOSE_CASES, ids=[c.name for c in CONV_TRANSPOSE_CASES])
def test_conv_transpose2d(benchmark, case, impl, threads):
    benchmark.group = "%s fwd+bwd %dthr" % (case.name, threads)
    benchmark.extra_info["gflop"] = case.flops() / 1e9
    benchmark(conv_transpose_step(impl, case))


@pytest.mark.parametrize("label,shape,size,mode", INTERPOLATE_CASES,
                         ids=[c[0] for c in INTERPOLATE_CASES])
def test_interpolate(benchmark, label, shape, size, mode, impl, threads):
    benchmark.group = "%s fwd+bwd %dthr" % (label, threads)
    benchmark(interpolate_step(impl, shape, size, mode))


@pytest.mark.parametrize("label,shape", GRID_SAMPLE_CASES, ids=[c[0] for c in GRID_SAMPLE_CASES])
def test_grid_sample(benchmark, label, shape, impl, threads):
    benchmark.group = "%s fwd+bwd %dthr" % (label, threads)
    benchmark(grid_sample_step(impl, shape))
