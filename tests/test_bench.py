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
