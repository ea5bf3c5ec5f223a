"""fastconv bench's batch-norm and dropout rows: the steps run, and memory-bound rows print
no GFLOP/s (no timing thresholds: speed is claimed from benchmarks, never asserted)."""
from fastconv import bench


def test_batch_norm_and_dropout_steps_run_and_train_the_layer():
    case = bench.NormCase("tiny", 2, 3, 4, 4)
    step = bench.fastconv_batch_norm_step(case)
    step()
    step()
    for shape, channelwise in (((4, 8), False), ((2, 3, 4, 4), True)):
        bench.fastconv_dropout_step(shape, channelwise)()


def test_bench_lists_the_layer_shapes_the_issue_names():
    names = {c.name for c in bench.BN_CASES}
    shapes = {(c.n, c.c, c.h, c.w) for c in bench.BN_CASES}
    assert {(32, 64, 32, 32), (32, 128, 16, 16), (8, 64, 56, 56), (64, 16, 32, 32),
            (64, 32, 16, 16), (64, 64, 8, 8)} <= shapes
    assert len(names) == len(bench.BN_CASES)


def test_memory_bound_rows_print_no_gflops():
    rows = [bench.Row("batchnorm2d x fwd+bwd", 1.0, 2.0, 0.0)]
    line = bench.format_table(rows, peak=100.0, threads=1).splitlines()[2]
    assert line.startswith("batchnorm2d x fwd+bwd") and "2.00x" in line
    assert line.split()[-2:] == ["-", "-"]
