"""conv2d forward and forward+backward on the layer shapes of issue 3: fastconv vs PyTorch.

Run: pytest benchmarks/ --benchmark-group-by=group --benchmark-columns=median,iqr,rounds
Each group holds fastconv and torch at one thread count, so the table reads as a ratio.
"""
import pytest

from fastconv.bench import CONV_CASES, fastconv_conv_step, torch_conv_step


@pytest.mark.parametrize("backward", [False, True], ids=["fwd", "fwd+bwd"])
@pytest.mark.parametrize("case", CONV_CASES, ids=[c.name for c in CONV_CASES])
def test_conv2d(benchmark, case, backward, impl, threads):
    make = fastconv_conv_step if impl == "fastconv" else torch_conv_step
    step = make(case, backward)
    benchmark.group = "%s %s %dthr" % (case.name, "fwd+bwd" if backward else "fwd", threads)
    benchmark.extra_info["gflop"] = (case.training_flops() if backward
                                     else case.forward_flops()) / 1e9
    benchmark(step)
