"""fastconv.bench.peak_memory_mb runs a training child and reports sane numbers."""
import math

from fastconv import bench


def test_peak_memory_mb_fastconv_is_positive_and_finite():
    delta = bench.peak_memory_mb("fastconv", batch=64, steps=3)
    assert math.isfinite(delta) and delta > 0


def test_training_memory_reports_baseline_and_peak():
    use = bench.training_memory("fastconv", batch=64, steps=3, threads=1)
    assert math.isfinite(use.baseline_mb) and use.baseline_mb > 0
    assert math.isfinite(use.peak_mb) and use.peak_mb >= use.baseline_mb
