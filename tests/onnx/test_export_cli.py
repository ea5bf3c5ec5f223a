"""`fastconv export CKPT --model NAME -o model.onnx`."""
import numpy as np

from .helpers import assert_close, reference, session

import fastconv
import fastconv.models
from fastconv.cli import main


def test_export_a_checkpoint(tmp_path, capsys):
    fastconv.manual_seed(5)
    model = fastconv.models.lenet5()
    ckpt, out = tmp_path / "w.npz", tmp_path / "lenet.onnx"
    fastconv.save(model.state_dict(), str(ckpt))
    assert main(["export", str(ckpt), "--model", "lenet5", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    got = session(out).run(None, {"input": x})[0]
    assert_close(got, reference(model, x)[0])


def test_export_a_training_checkpoint(tmp_path):
    fastconv.manual_seed(6)
    model = fastconv.models.lenet5()
    ckpt, out = tmp_path / "run.npz", tmp_path / "lenet.onnx"
    fastconv.save({"epoch": 3, "model": model.state_dict()}, str(ckpt))
    assert main(["export", str(ckpt), "--model", "lenet5", "-o", str(out),
                 "--static-batch"]) == 0
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    assert_close(session(out).run(None, {"input": x})[0], reference(model, x)[0])


def test_export_errors_are_one_line(tmp_path, capsys):
    ckpt = tmp_path / "w.npz"
    fastconv.save(fastconv.models.lenet5().state_dict(), str(ckpt))
    out = str(tmp_path / "m.onnx")
    assert main(["export", str(ckpt), "--model", "nope", "-o", out]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.npz"), "--model", "lenet5", "-o", out]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", str(ckpt), "--model", "lenet5", "-o",
                 str(tmp_path / "no" / "m.onnx")]) == 2
    assert "directory" in capsys.readouterr().err
    assert main(["export", str(ckpt), "--model", "lenet5", "-o", out,
                 "--input-shape", "3,32,32"]) == 2       # the forward itself refuses it
    assert "channels" in capsys.readouterr().err
