"""fastconv.bench_small runs every small-op case in both libraries and formats the table
(no timing thresholds: speed is claimed from benchmarks, never asserted)."""
import math

import fastconv
from fastconv import bench, bench_small


def test_small_ops_table_times_every_case_and_restores_threads():
    before = fastconv.get_num_threads()
    rows = bench_small.small_ops_us(number=3, repeat=3, chain=20)
    assert fastconv.get_num_threads() == before
    names = [r.case for r in rows]
    assert names[:len(bench_small.SMALL_CASES)] == [n for n, _ in bench_small.SMALL_CASES]
    assert any("forward" in n for n in names) and any("backward" in n for n in names)
    for r in rows:
        assert math.isfinite(r.fastconv_us) and r.fastconv_us > 0
        if r.torch_us is not None:
            assert r.ratio == r.torch_us / r.fastconv_us
    text = bench_small.format_small_ops(rows)
    assert all(r.case in text for r in rows) and "ratio" in text


def test_only_selects_cases_and_bench_exposes_the_table():
    rows = bench_small.small_ops_us(number=2, repeat=1, chain=10, only="v * v")
    assert [r.case for r in rows] == ["v * v", "(v * v).sum().backward()"]
    assert bench.small_ops_table is bench_small.small_ops_table
