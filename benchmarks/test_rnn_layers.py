"""LSTM and GRU forward+backward, fastconv against PyTorch CPU (fastconv.bench_rnn's
cases), at 1 and 2 threads. Run: pytest benchmarks/test_rnn_layers.py."""
import pytest

from fastconv.bench_rnn import RNN_CASES, fastconv_rnn_step, torch_rnn_step


@pytest.mark.parametrize("case", RNN_CASES, ids=[c.name for c in RNN_CASES])
def test_rnn_layer(benchmark, case, impl, threads):
    step = fastconv_rnn_step(case) if impl == "fastconv" else torch_rnn_step(case)
    benchmark.group = "%s %dthr" % (case.name, threads)
    benchmark.extra_info["gflop"] = case.flops() / 1e9
    benchmark(step)
