"""fastconv bench's whole-network rows for cnn_bn and ResNet-20, and the per-layer profile
of their training steps (benchmarks/profile_train_step.py). No timing thresholds."""
import importlib.util
import os

import numpy as np
import pytest

import fastconv
from fastconv import bench

torch = pytest.importorskip("torch")
SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "benchmarks", "profile_train_step.py")


@pytest.fixture(scope="module")
def profiler():
    spec = importlib.util.spec_from_file_location("profile_train_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flops_by_hooks(net, batch, shape):
    """Convolution and linear FLOPs of a training step, counted on the torch twin's
    actual layers: forward, weight gradient, and input gradient except the first layer."""
    model = bench.torch_network(net)
    total, first = [0.0], [True]

    def hook(module, args, out):
        if isinstance(module, torch.nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            fwd = 2.0 * out.numel() * module.in_channels * k
        else:
            fwd = 2.0 * out.numel() * module.in_features
        total[0] += fwd * (2 if first[0] else 3)
        first[0] = False
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            m.register_forward_hook(hook)
    model(torch.zeros((batch,) + shape))
    return total[0]


@pytest.mark.parametrize("net, shape", [("cnn_bn", (1, 28, 28)), ("resnet20", (3, 32, 32))])
def test_step_flops_count_every_layer(net, shape):
    assert [c[1:] for c in bench.NETWORK_CASES if c[1] == net] == [(net, 64, shape)]
    assert bench.train_step_flops(net, 64) == pytest.approx(_flops_by_hooks(net, 64, shape),
                                                             rel=1e-12)


@pytest.mark.parametrize("net, shape", [("cnn_bn", (1, 28, 28)), ("resnet20", (3, 32, 32))])
def test_train_steps_update_both_networks(net, shape):
    ours = bench.fastconv_train_step(net, 4, shape)
    theirs = bench.torch_train_step(net, 4, shape)
    for step in (ours, theirs):
        step()
        step()
    # the closures hold the optimizer; its parameters moved and stayed finite
    for step in (ours, theirs):
        opt = next(c.cell_contents for c in step.__closure__
                   if hasattr(c.cell_contents, "param_groups"))
        for p in opt.param_groups[0]["params"]:
            data = p.detach().numpy() if hasattr(p, "detach") else p.numpy()
            assert np.all(np.isfinite(data))
        assert any(s for s in opt.state.values())


def test_profile_records_every_leaf_layer(profiler):
    shapes = profiler.leaf_input_shapes("cnn_bn")
    assert list(shapes) == [str(i) for i in range(13)]
    assert shapes["0"] == ((64, 1, 28, 28), "Conv2d")
    assert shapes["9"] == ((64, 3136), "Linear")
    res = profiler.leaf_input_shapes("resnet20")
    assert res["conv1"] == ((64, 3, 32, 32), "Conv2d")
    assert res["layer3.0.conv1"] == ((64, 32, 16, 16), "Conv2d")
    assert res["linear"] == ((64, 64), "Linear")
    assert sum(kind == "BatchNorm2d" for _, kind in res.values()) == 19


def test_profile_table_sums_layers_per_kind(profiler):
    rows = [profiler.LayerTime("0", "Conv2d", (2, 1, 4, 4), 1.0, 2.0, 3.0, 6.0),
            profiler.LayerTime("1", "ReLU", (2, 3, 4, 4), 0.5, 0.5, 1.0, 1.0),
            profiler.LayerTime("2", "Conv2d", (2, 3, 4, 4), 1.0, 1.0, 2.0, 2.0)]
    text = profiler.format_profile("cnn_bn", 2, rows, 10.0, 20.0)
    lines = text.splitlines()
    conv = next(line for line in lines if line.strip().startswith("Conv2d (2)"))
    assert conv.split()[2:] == ["2.000", "3.000", "1.50x", "5.000", "8.000", "1.60x"]
    assert next(line for line in lines if "all layers" in line).split()[-3:] == [
        "6.000", "9.000", "1.50x"]
    assert "2.00x" in next(line for line in lines if "whole SGD step" in line)


@pytest.mark.slow
def test_profile_runs_on_cnn_bn(profiler):
    before = fastconv.get_num_threads()
    rows, ours, theirs = profiler.profile("cnn_bn", 1, 1)
    fastconv.set_num_threads(before)
    assert [r.name for r in rows] == [str(i) for i in range(13)]
    assert all(r.fastconv_step > 0 and r.torch_step > 0 for r in rows) and ours > 0
