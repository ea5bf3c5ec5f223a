"""fastconv's own sgemm against numpy's BLAS on square and skinny shapes."""
import numpy as np
import pytest

import fastconv

SHAPES = [(1024, 1024, 1024), (6, 784 * 64, 25), (64, 120, 400)]


@pytest.mark.parametrize("lib", ["fastconv", "numpy"])
@pytest.mark.parametrize("m,n,k", SHAPES, ids=["%dx%dx%d" % s for s in SHAPES])
def test_sgemm(benchmark, m, n, k, lib, threads):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    benchmark.group = "sgemm %dx%dx%d %dthr" % (m, n, k, threads)
    benchmark.extra_info["gflop"] = 2.0 * m * n * k / 1e9
    if lib == "fastconv":
        benchmark(fastconv.ops.gemm, a, b, out=c)
    else:
        benchmark(np.matmul, a, b, out=c)


# the Linear(3136, 1024) forward of models' cnn_bn at batch 64: y = x @ W^T, a GEMM whose
# transposed B (the weight) dominates the packing
@pytest.mark.parametrize("lib", ["fastconv", "torch"])
def test_linear_forward_transposed_weight(benchmark, lib, threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3136), dtype=np.float32)
    w = rng.standard_normal((1024, 3136), dtype=np.float32)
    b = rng.standard_normal(1024, dtype=np.float32)
    benchmark.group = "linear 64x3136 -> 1024 %dthr" % threads
    benchmark.extra_info["gflop"] = 2.0 * 64 * 1024 * 3136 / 1e9
    if lib == "fastconv":
        benchmark(fastconv.ops.linear_forward, x, w, b)
    else:
        torch = pytest.importorskip("torch")
        torch.set_num_threads(threads)
        xt, wt, bt = (torch.from_numpy(a) for a in (x, w, b))
        benchmark(torch.nn.functional.linear, xt, wt, bt)
