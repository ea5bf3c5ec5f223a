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
