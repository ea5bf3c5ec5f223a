"""`fastconv train` as a data-parallel job: `mpiexec -n 2 python -m fastconv train ...`
against `mpiexec -n 1 ... train --distributed` (one process on the same global batches),
and the command's checks that run before MPI starts (no MPI needed for those)."""
import numpy as np
import pytest

from fastconv.cli import main
from fastconv.distributed.training import LAUNCHER_SIZE_VARIABLES, launched_world_size

from .mpi_launch import run_mpi

TRAIN = ["-m", "fastconv", "train", "--optimizer", "sgd", "--epochs", "2", "--batch-size",
         "64", "--train-limit", "512", "--test-limit", "200", "--seed", "3", "--no-progress"]


@pytest.fixture
def no_launcher(monkeypatch):
    for name in LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_launched_world_size_reads_the_launchers_variables(no_launcher):
    assert launched_world_size() == 1
    no_launcher.setenv("PMI_SIZE", "3")
    assert launched_world_size() == 3
    no_launcher.delenv("PMI_SIZE")
    no_launcher.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert launched_world_size() == 4
    no_launcher.setenv("OMPI_COMM_WORLD_SIZE", "not a number")
    assert launched_world_size() == 1


def test_a_batch_that_does_not_split_is_a_usage_error_before_mpi_starts(no_launcher, capsys):
    no_launcher.setenv("PMI_SIZE", "3")
    assert main(["train", "--batch-size", "64", "--train-limit", "64", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--batch-size 64 does not split evenly over 3 processes" in err


def test_info_reports_mpi(capsys):
    assert main(["info"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("MPI ")]
    assert len(line) == 1, line
    assert ("usable: " in line[0]) or ("unavailable: " in line[0] and "fastconv[mpi]" in line[0])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same training as 2 processes x batch 32 and as 1 process x batch 64."""
    tmp = tmp_path_factory.mktemp("cli_mpi")
    two = run_mpi(TRAIN + ["--save", str(tmp / "two.npz")], n=2, timeout=240)
    one = run_mpi(TRAIN + ["--distributed", "--save", str(tmp / "one.npz")], n=1, timeout=240)
    for proc in (two, one):
        assert proc.returncode == 0, "exit %s:\n%s\n%s" % (proc.returncode, proc.stdout[-3000:],
                                                           proc.stderr[-3000:])
    return tmp, two, one


def _epoch_figures(stdout):
    """(train loss, test accuracy) of each epoch line."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith("epoch "):
            words = line.split()
            rows.append((float(words[4]), float(words[7])))
    return rows


def test_only_rank_0_prints(runs):
    _, two, _ = runs
    lines = two.stdout.splitlines()
    assert sum(ln.startswith("fastconv ") for ln in lines) == 1, two.stdout
    assert sum("data-parallel over 2 processes" in ln for ln in lines) == 1, two.stdout
    assert "per process: batch 32, threads 1" in two.stdout
    assert len(_epoch_figures(two.stdout)) == 2
    assert sum(ln.startswith("saved the weights") for ln in lines) == 1


def test_two_processes_train_like_one_on_the_global_batch(runs):
    import fastconv
    tmp, two, one = runs
    a, b = fastconv.load(str(tmp / "two.npz")), fastconv.load(str(tmp / "one.npz"))
    assert sorted(a) == sorted(b) and not any(k.startswith("module.") for k in a)
    for key in a:   # float32, 16 SGD steps: summation order differs, nothing else (measured
        # 7e-9; another shuffle of the same data gives 4e-3)
        np.testing.assert_allclose(np.asarray(a[key]), np.asarray(b[key]), rtol=0,
                                   atol=1e-6, err_msg=key)
    for (loss2, acc2), (loss1, acc1) in zip(_epoch_figures(two.stdout),
                                            _epoch_figures(one.stdout)):
        assert loss2 == pytest.approx(loss1, rel=1e-3)
        assert abs(acc2 - acc1) <= 0.011   # at most two of 200 test images differ


def test_a_bad_batch_under_mpiexec_stops_every_process_with_the_error():
    proc = run_mpi(["-m", "fastconv", "train", "--batch-size", "63", "--train-limit", "64"],
                   n=2, timeout=120)
    assert proc.returncode is not None, "the job hung"
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "does not split evenly over 2 processes" in proc.stderr


def test_progress_label_names_the_shard_only_when_distributed():
    from fastconv.distributed.training import TrainingProcesses
    assert TrainingProcesses(enabled=False).progress_suffix() == ""
    procs = TrainingProcesses.__new__(TrainingProcesses)
    procs.enabled, procs.world = True, 2
    assert procs.progress_suffix() == " (rank 0's shard of 2)"
