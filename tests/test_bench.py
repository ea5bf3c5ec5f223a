"""fastconv.bench helpers that run without PyTorch (no timing thresholds: speed is
claimed from benchmarks, never asserted)."""
import math

import fastconv
from fastconv import bench


def test_op_overhead_us_gives_a_positive_finite_time_per_op():
    before = fastconv.get_num_threads()
    result = bench.op_overhead_us(number=3, repeat=3)
    assert fastconv.get_num_threads() == before          # thread setting restored
    for kind in ("ops.", "F."):
        assert any(name.startswith(kind) for name in result)
    assert any(name.endswith("forward+backward") for name in result)
    for name, us in result.items():
        assert isinstance(us, float) and math.isfinite(us) and us > 0, (name, us)
    text = bench.format_overhead(result)
    assert all(name in text for name in result)


def test_conv_cases_know_which_run_on_winograd():
    by_name = {c.name: c for c in bench.CONV_CASES}
    assert by_name["vgg 64->64 3x3 N32 32x32"].uses_winograd()
    assert not by_name["lenet-conv2 N64 6->16 5x5 14x14"].uses_winograd()
    assert by_name["cnn_bn-conv2 N64 32->64 5x5 14x14 p2"].uses_winograd()
    assert not by_name["resnet 128->256 3x3 s2 N8 28x28"].uses_winograd()


def test_table_marks_winograd_rows_and_explains_the_gflops():
    rows = [bench.Row("direct fwd", 2.0, 4.0, 4e9), bench.Row("wino fwd", 1.0, 2.0, 4e9, True)]
    text = bench.format_table(rows, peak=100.0, threads=2)
    lines = text.splitlines()
    assert lines[2].startswith("direct fwd ") and "*" not in lines[2]
    assert lines[3].startswith("wino fwd *")
    assert "4000.0" in lines[3] and "2.00x" in lines[3]
    assert lines[-1].startswith("* Winograd")
    assert "*" not in bench.format_table(rows[:1], peak=100.0, threads=2)


def test_rnn_cases_count_their_work_and_run_one_step():
    from fastconv import bench_rnn
    names = [c.name for c in bench_rnn.RNN_CASES]
    assert "LSTM T28 N64 28->128 fwd+bwd" in names
    assert "GRU T50 N32 256->256 x2 fwd+bwd" in names
    lstm = bench_rnn.RNNCase("LSTM", 2, 3, 4, 5)
    assert lstm.flops() == 3 * 2.0 * 2 * 3 * 20 * (4 + 5)
    small = bench_rnn.RNNCase("GRU", 3, 2, 4, 5, 2, True)
    jobs = [(small.name, small.flops(), bench_rnn.fastconv_rnn_step(small), None, False)]
    jobs[0][2]()   # one forward+backward runs
    assert bench_rnn.rnn_jobs("no such case", False) == []


def test_layer_op_cases_run_forward_and_backward_in_both_libraries():
    """Each pooling/activation row's step runs forward and backward (fastconv, and torch
    where installed), shrunk to one image so that the check stays cheap; names are unique
    and fit the table."""
    import dataclasses

    import pytest
    cases = [dataclasses.replace(c, shape=(1,) + c.shape[1:]) for c in bench.LAYER_OP_CASES]
    names = [c.name for c in bench.LAYER_OP_CASES]
    assert len(set(names)) == len(names)
    assert all(len(name + " fwd+bwd") <= 46 for name in names)   # the table's case column
    for case in cases:
        bench.layer_op_step(case, "fastconv")()
    pytest.importorskip("torch")
    for case in cases:
        bench.layer_op_step(case, "torch")()
