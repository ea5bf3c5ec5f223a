"""Data-parallel training under `mpiexec -n 2` on this machine (loopback), launched from
pytest and skipped with the reason where mpi4py or mpiexec is missing.

One launch of mpi_worker.py runs every check (starting MPI costs about a second); each
test below asserts on one check's results. References are one process on the global
batch, computed in the same run."""
import json
import os

import numpy as np
import pytest

from .mpi_launch import HERE, run_mpi


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpi") / "results.json"
    proc = run_mpi([os.path.join(HERE, "mpi_worker.py"), str(out)], timeout=180)
    assert proc.returncode == 0, "mpi_worker failed (exit %s):\n%s\n%s" % (
        proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return json.loads(out.read_text())


def _ok(results, name):
    result = results[name]
    assert result["ok"], result["error"]
    return result


def test_two_ranks_of_32_equal_one_process_of_64_float64(results):
    r = _ok(results, "lenet_float64")
    assert r["reductions"] == 50
    assert r["max_abs_diff"] <= 1e-12, r
    assert r["identical_every_step"]


def test_two_ranks_of_32_equal_one_process_of_64_float32(results):
    r = _ok(results, "lenet_float32")
    ulp = float(np.spacing(np.float32(r["max_abs_param"])))
    assert r["max_abs_diff"] <= 8 * ulp, r          # a few roundings after 50 steps
    assert r["identical_every_step"]


def test_allreduce_starts_while_backward_still_runs(results):
    r = _ok(results, "lenet_float64")
    assert r["buckets"] >= 3                        # bucket_mb=0.02 on LeNet-5 in float64
    assert r["launch_before_conv1_grad"]            # before the first layer's gradient


def test_progress_thread_changes_timing_only(results):
    r = _ok(results, "progress_thread_changes_nothing_but_timing")
    assert r["thread_used"] and r["thread_off"] and r["identical"]


def test_no_sync_accumulates_locally_then_averages_once(results):
    r = _ok(results, "no_sync_accumulates_then_averages_once")
    assert r["reductions_in_no_sync"] == 0 and r["reductions_after"] == 1
    assert r["ranks_equal"] and r["max_abs_diff"] <= 1e-13, r


def test_sync_batchnorm_equals_batchnorm_on_the_global_batch(results):
    r = _ok(results, "sync_batchnorm_matches_batchnorm_on_the_global_batch")
    assert r["kinds"][1] == "SyncBatchNorm" and r["same_keys"]
    assert r["output_diff"] <= 1e-12 and r["eval_diff"] <= 1e-12, r
    assert max(r["state_diffs"].values()) <= 1e-12, r


def test_sync_batch_norm_passes_gradcheck(results):
    assert _ok(results, "sync_batch_norm_gradcheck_on_one_rank")["checked"] == [True, True]


def test_wrapping_broadcasts_rank0_parameters_and_buffers(results):
    r = _ok(results, "wrapping_broadcasts_rank0_weights_and_buffers")
    assert r["differed_before"] and r["equal_after"]
    assert r["running_mean"] == [1.0, 1.0, 1.0]     # rank 0's buffer


def test_unused_parameters_detected_or_reported(results):
    r = _ok(results, "unused_parameters")
    assert r["reductions_with_detection"] == 2
    assert r["error_without"].startswith("Expected to have finished reduction")


def test_collectives_and_metric_reduction(results):
    r = _ok(results, "collectives_and_metrics")
    assert r["sum"] == [3.0, 6.0]
    assert r["max"] == [[0.0, 4.0], [6.0, 10.0]]    # non-contiguous, written back
    assert r["avg"] == [0.5, 0.5, 0.5]
    assert r["bcast"] == [1.0, 1.0]
    assert r["gather"] == [[0, 0], [1, 10]]
    assert r["mean"] == pytest.approx((0 * 1 + 1 * 2) / 3)
    bad_list, avg_int, bad_op, bad_src, short_list = r["errors"]
    assert bad_list.startswith("TypeError: tensor must be a fastconv Tensor or a numpy")
    assert avg_int.startswith("TypeError: ReduceOp.AVG needs a floating-point")
    assert bad_op.startswith("ValueError: op must be one of")
    assert bad_src.startswith("ValueError: src must be a rank in [0, 1]")
    assert short_list.startswith("ValueError: tensor_list must hold 2 tensors")
    loss, accuracy, images, seconds = r["stats"]
    assert images == 30 and seconds == 1.5
    assert loss == pytest.approx((1 * 10 + 2 * 20) / 30)
    assert accuracy == pytest.approx((0 + 0.5 * 20) / 30)


def test_sampler_shards_are_disjoint_cover_the_set_and_reshuffle(results):
    r = _ok(results, "sampler_shards_with_a_dataloader")
    first, second = (np.array(e) for e in r["epochs"])    # (rank, 52) each
    for shards in (first, second):
        assert shards.shape == (2, 52)                     # 103 padded to 104
        together = np.concatenate(shards)
        assert sorted(set(together.tolist())) == list(range(103))
        assert len(together) - len(set(together.tolist())) == 1   # one padding index
    assert not np.array_equal(first, second)


def test_training_processes_split_the_batch_and_the_data(results):
    r = _ok(results, "training_processes_shard_and_reduce")
    assert (r["rank"], r["world"], r["local_world"]) == (0, 2, 2)
    assert r["batches"] == [4] * 8 + [3]                # 70 images: 35 per rank, batch 8 / 2
    train = np.array(r["train"])
    assert sorted(train.ravel().tolist()) == list(range(70))
    assert r["test"] == list(range(70))                 # each test image once, no padding
    assert "does not split evenly over 2 processes" in r["odd_batch"]
    assert r["epoch"] == [1.5, 70, 2.0]                 # mean loss, all images, slowest rank
    assert r["describe"].startswith("2 processes (2 on this machine), ")


def test_a_rank_that_raises_stops_the_whole_job():
    proc = run_mpi([os.path.join(HERE, "mpi_raise.py")], timeout=60)
    assert proc.returncode is not None, "the job hung (killed after 60 s)"
    assert proc.returncode != 0
    assert "ValueError: rank 1 fails on purpose" in proc.stderr
    assert "passed the barrier" not in proc.stdout


def test_benchmark_script_runs():
    """benchmarks/distributed.py end to end on LeNet-5 (a smoke run: the figures of so
    short a run mean nothing and are not checked)."""
    import subprocess
    import sys

    from .mpi_launch import ROOT, mpiexec
    mpiexec()
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "distributed.py"),
                           "--models", "lenet5", "--rounds", "1", "--steps", "2",
                           "--no-torch", "--bucket-mb", "0.05"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = proc.stdout.splitlines()[-1]
    assert row.startswith("lenet5       0.25    3 |"), proc.stdout
