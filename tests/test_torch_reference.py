"""benchmarks/train_torch_reference.py: PyTorch CPU on `fastconv train`'s data and lines."""
import importlib.util
import os
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "benchmarks", "train_torch_reference.py")
EPOCH_LINE = re.compile(r"^epoch 1/1  train loss \d+\.\d{4}  test accuracy [01]\.\d{4}  "
                        r"\d+ images/s  \d+\.\d s \(\+\d+\.\d s test\)$")


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("train_torch_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def restore_torch_threads():
    saved = torch.get_num_threads()
    yield
    torch.set_num_threads(saved)


def test_one_epoch_prints_fastconv_trains_lines(reference, restore_torch_threads, capsys):
    assert reference.main(["--train-limit", "256", "--test-limit", "128", "--epochs", "1",
                           "--threads", "1", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("PyTorch %s: LeNet-5 on Fashion-MNIST (shipped subset: "
                               "256 train / 128 test images), Adam lr 0.001, batch 64, "
                               "threads 1" % torch.__version__)
    assert EPOCH_LINE.match(lines[1]), lines[1]


@pytest.mark.parametrize("model", ["lenet5", "cnn_bn", "resnet20", "vgg11_bn"])
def test_each_model_runs_its_recipe(model, reference, restore_torch_threads, capsys):
    from fastconv import cli
    from fastconv.models.recipes import MODELS
    assert reference.main(["--model", model, "--train-limit", "64", "--test-limit", "32",
                           "--epochs", "1", "--batch-size", "32", "--threads", "1",
                           "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    args = cli.build_parser().parse_args(["train", "--model", model, "--batch-size", "32"])
    cli.resolve_recipe(args)
    assert lines[0].startswith("PyTorch %s: %s on Fashion-MNIST" % (torch.__version__,
                                                                     MODELS[model].title))
    assert lines[0].endswith("%s, batch 32, threads 1" % cli.recipe_text(args))
    assert EPOCH_LINE.match(lines[1]), lines[1]


@pytest.mark.parametrize("extra", [[], ["--augment"]])
def test_batches_are_fastconv_trains_batches(reference, extra):
    from fastconv import cli
    args = reference.build_parser().parse_args(["--train-limit", "200", "--seed", "3", *extra])
    fastconv_batches = cli.training_data(args).train_loader
    torch_batches = reference.TorchBatches(cli.training_data(args, as_numpy=True).train_loader)
    assert len(torch_batches) == len(fastconv_batches) == 4
    for (fx, fy), (tx, ty) in zip(fastconv_batches, torch_batches):
        assert tx.dtype == torch.float32 and ty.dtype == torch.int64
        np.testing.assert_array_equal(tx.numpy(), fx.numpy())
        np.testing.assert_array_equal(ty.numpy(), fy.numpy())


def test_bad_data_dir_is_a_usage_error(reference, capsys):
    assert reference.main(["--data", "/nonexistent"]) == 2
    assert "no such directory" in capsys.readouterr().err
