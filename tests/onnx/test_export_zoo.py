"""Every network of fastconv.models exports, passes onnx.checker and gives fastconv's
outputs in ONNX Runtime (eval mode, trained-like BatchNorm statistics), at batch 2 and
at other batch sizes."""
import numpy as np
import pytest

from .helpers import export_and_compare, randomize_batch_norm

import fastconv
import fastconv.models

# (network, its input (C, H, W)): as fastconv.models builds them by default
ZOO = [("lenet5", (1, 28, 28)), ("cnn_bn", (1, 28, 28)), ("resnet20", (3, 32, 32)),
       ("vgg11_bn", (3, 32, 32))]


def test_the_zoo_list_is_complete():
    assert sorted(name for name, _ in ZOO) == sorted(fastconv.models.__all__)


@pytest.mark.parametrize("name,shape", ZOO, ids=[z[0] for z in ZOO])
def test_model_zoo(tmp_path, name, shape):
    fastconv.manual_seed(0)
    model = randomize_batch_norm(getattr(fastconv.models, name)())
    x = np.random.default_rng(1).standard_normal((2,) + shape).astype(np.float32)
    export_and_compare(model, x, tmp_path, batches=(1, 3))


def test_resnet20_on_fashion_mnist_shape(tmp_path):
    """As `fastconv train --model resnet20` builds it: one channel, 28x28."""
    fastconv.manual_seed(0)
    model = randomize_batch_norm(fastconv.models.resnet20(in_channels=1))
    x = np.random.default_rng(1).standard_normal((2, 1, 28, 28)).astype(np.float32)
    export_and_compare(model, x, tmp_path, batches=(5,))


@pytest.mark.parametrize("name", ["cnn_bn", "resnet20"])
def test_cli_exports_what_fastconv_train_saves(tmp_path, capsys, name):
    """`fastconv train --model NAME --save w.npz` then `fastconv export w.npz --model NAME`."""
    from fastconv.cli import main
    from fastconv.models.recipes import MODELS
    from .helpers import assert_close, reference, session
    fastconv.manual_seed(0)
    model = randomize_batch_norm(MODELS[name].build())
    ckpt, out = tmp_path / "w.npz", tmp_path / "m.onnx"
    fastconv.save(model.state_dict(), str(ckpt))
    assert main(["export", str(ckpt), "--model", name, "-o", str(out)]) == 0
    x = np.random.default_rng(2).standard_normal((3, 1, 28, 28)).astype(np.float32)
    assert_close(session(out).run(None, {"input": x})[0], reference(model, x)[0])
