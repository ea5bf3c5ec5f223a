"""fastconv bench's dense-op rows: every step runs and trains what it should, and the
rows cover the shapes issue 11 names (no timing thresholds: speed is claimed from
benchmarks, never asserted)."""
import numpy as np
import pytest

from fastconv import bench, bench_dense


@pytest.mark.parametrize("lib", ["fastconv", "torch"])
def test_steps_run_on_tiny_shapes(lib):
    if lib == "torch":
        pytest.importorskip("torch")
    case = bench_dense.ConvTransposeCase("tiny", 2, 4, 3, 4, 4, 1)
    bench_dense.conv_transpose_step(lib, case)()
    bench_dense.interpolate_step(lib, (2, 3, 4, 4), (8, 8), "bilinear")()
    bench_dense.interpolate_step(lib, (2, 3, 4, 4), (8, 8), "nearest")()
    bench_dense.grid_sample_step(lib, (2, 3, 5, 5))()


def test_rows_cover_the_issue_shapes():
    shapes = {(c.c_in, c.c_out, c.h, c.k) for c in bench_dense.CONV_TRANSPOSE_CASES}
    assert {(64, 32, 16, 2), (64, 32, 16, 4)} <= shapes
    assert any(shape == (64, 32, 32, 32) and mode == "bilinear"
               for _, shape, _, mode in bench_dense.INTERPOLATE_CASES)
    assert any(shape == (64, 32, 32, 32) for _, shape in bench_dense.GRID_SAMPLE_CASES)
    jobs = bench_dense.dense_jobs(have_torch=False, only="conv_transpose2d")
    assert [j[0] for j in jobs] == [c.name + " fwd+bwd" for c in bench_dense.CONV_TRANSPOSE_CASES]
    assert all(j[3] is None and j[1] > 0 for j in jobs)


def test_bench_run_includes_the_dense_rows(monkeypatch):
    monkeypatch.setattr(bench, "gemm_gflops", lambda *a, **k: 1.0)
    monkeypatch.setattr(bench, "numpy_gemm_gflops", lambda *a, **k: 1.0)
    monkeypatch.setattr(bench_dense, "INTERPOLATE_CASES",
                        [("interpolate bilinear tiny", (1, 2, 3, 3), (6, 6), "bilinear")])
    rows, _, _ = bench.run(1, quick=True, progress=False, only="interpolate bilinear tiny")
    assert [r.case for r in rows] == ["interpolate bilinear tiny fwd+bwd"]
    assert rows[0].fastconv_ms > 0 and np.isfinite(rows[0].fastconv_ms)
