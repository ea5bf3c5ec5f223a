"""The `fastconv` command: info, train, and clean errors for bad arguments."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastconv
from fastconv.cli import main
from fastconv.data import fashion_mnist as fm


def run_module(*args):
    """`python -m fastconv ARGS` against the fastconv under test, from a neutral directory."""
    env = dict(os.environ)
    pkg_parent = os.path.dirname(os.path.dirname(fastconv.__file__))
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "fastconv", *args], capture_output=True,
                          text=True, cwd=os.path.dirname(pkg_parent), env=env, timeout=120)


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for field in ("fastconv", "compiler", "OpenMP", "AVX2+FMA", "GEMM kernel", "threads",
                  "numpy", "GPU backend"):
        assert field in out
    assert fastconv.__version__ in out
    assert fastconv._cpu.gemm_kernel_name() in out
    assert "threads      %d" % fastconv.get_num_threads() in out


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert fastconv.__version__ in capsys.readouterr().out


def test_missing_data_dir(capsys):
    assert main(["train", "--data", "/nonexistent"]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent" in err and "no such directory" in err


def test_data_dir_without_the_files(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path)]) == 2
    assert "train-images-idx3-ubyte" in capsys.readouterr().err


def test_corrupt_data_file(tmp_path, capsys):
    for name in fm.FILES[True] + fm.FILES[False]:
        (tmp_path / name).write_bytes(b"not an idx file")
    assert main(["train", "--data", str(tmp_path)]) == 2
    assert "not an IDX file" in capsys.readouterr().err


def test_full_data_absent_gives_the_install_hint(monkeypatch, capsys):
    monkeypatch.setattr(fm, "DEBIAN_DIRS", ("/nonexistent/fashion-mnist",))
    assert main(["train", "--data", "full"]) == 2
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err


def test_save_into_missing_directory(tmp_path, capsys):
    assert main(["train", "--save", str(tmp_path / "no" / "w.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["train", "--epochs", "0"], ["train", "--lr", "-1"],
                                  ["train", "--optimizer", "rmsprop"], ["train", "--threads", "x"],
                                  ["frobnicate"], []])
def test_bad_arguments(args):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2


def test_console_errors_have_no_traceback():
    done = run_module("train", "--data", "/nonexistent")
    assert done.returncode == 2
    assert "no such directory" in done.stderr and "Traceback" not in done.stderr
    info = run_module("info")
    assert info.returncode == 0 and "GEMM kernel" in info.stdout


def test_train_one_epoch_on_a_slice(tmp_path, capsys):
    path = tmp_path / "lenet.npz"
    code = main(["train", "--epochs", "1", "--train-limit", "512", "--test-limit", "256",
                 "--batch-size", "32", "--threads", "2", "--no-progress", "--save", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "512 train / 256 test images" in out and "epoch 1/1" in out
    line = next(s for s in out.splitlines() if s.startswith("epoch 1/1"))
    accuracy = float(line.split("test accuracy")[1].split()[0])
    assert 0.0 <= accuracy <= 1.0
    state = fastconv.load(str(path))
    assert len(state) == 10  # weight and bias of 2 conv and 3 linear layers
    assert all(np.all(np.isfinite(np.asarray(getattr(v, "numpy", lambda: v)())))
               for v in state.values())


def test_train_with_sgd(capsys):
    assert main(["train", "--epochs", "1", "--optimizer", "sgd", "--lr", "0.05",
                 "--train-limit", "128", "--test-limit", "64", "--no-progress"]) == 0
    assert "SGD lr 0.05 momentum 0.9" in capsys.readouterr().out


def test_bench_prints_the_side_by_side_table():
    result = run_module("bench", "--quick", "--threads", "1", "--cases", "lenet-conv1",
                        "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("threads: 1") and "GFLOP/s" in lines[0]
    assert lines[1].split()[:3] == ["case", "fastconv", "ms"]
    rows = [line for line in lines if line.startswith("lenet-conv1")]
    assert len(rows) == 2  # forward, forward+backward
    for row in rows:
        assert float(row.split()[-5]) > 0  # fastconv ms
    at = lines.index("Python overhead per op (tiny inputs, 1 thread, median us per call)")
    end = lines.index("", at)   # then the small-ops table (fastconv.bench_small)
    overhead = lines[at + 1:end]
    assert any(line.split()[0] == "F.conv2d" for line in overhead)
    assert all(float(line.split()[-1]) > 0 for line in overhead)
    assert lines[end + 1].startswith("Small ops") and "v * v" in result.stdout
