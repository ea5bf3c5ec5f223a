"""ONNX export op by op: each layer and functional op with its options, compared with
ONNX Runtime (through the exporter table)."""
import numpy as np
import pytest

from .helpers import export_and_compare

import fastconv
import fastconv.functional as F
from fastconv import nn


def _x(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


CONVS = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding="same", kernel_size=4),              # asymmetric: extra pad bottom/right
    dict(padding="same", kernel_size=(2, 3), dilation=2),
    dict(padding="valid", bias=False),
    dict(groups=2, padding=1),
    dict(groups=4, out_channels=8, padding=1, bias=False),   # depthwise
]


@pytest.mark.parametrize("options", CONVS, ids=lambda o: ",".join("%s=%s" % kv
                                                                  for kv in o.items()) or "plain")
@pytest.mark.parametrize("follow", ["none", "relu", "relu_pool"])
def test_conv2d_options(tmp_path, options, follow):
    options = dict(options)
    out_channels = options.pop("out_channels", 6)
    kernel_size = options.pop("kernel_size", 3)
    fastconv.manual_seed(0)
    conv = nn.Conv2d(4, out_channels, kernel_size, **options)
    layers = [conv] + {"none": [], "relu": [nn.ReLU()],
                       "relu_pool": [nn.ReLU(), nn.MaxPool2d(3, 2, 1, ceil_mode=True)]}[follow]
    export_and_compare(nn.Sequential(*layers), _x((2, 4, 9, 10)), tmp_path, batches=(1,))


def test_unbatched_conv_and_pool(tmp_path):
    fastconv.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), nn.AvgPool2d(2))
    export_and_compare(model, _x((3, 10, 10)), tmp_path, dynamic_batch=False)


POOLS = [
    lambda: nn.MaxPool2d(2),
    lambda: nn.MaxPool2d(3, stride=2, padding=1),
    lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True),
    lambda: nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True),
    lambda: nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)),
    lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    lambda: nn.AvgPool2d(2),
    lambda: nn.AvgPool2d(3, stride=2, padding=1),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda: nn.AvgPool2d((2, 4), stride=(3, 1), padding=(1, 2)),
    lambda: nn.AdaptiveAvgPool2d(1),
    lambda: nn.AdaptiveAvgPool2d((2, 4)),
    lambda: nn.AdaptiveAvgPool2d((None, 2)),
    lambda: nn.AdaptiveMaxPool2d(1),
    lambda: nn.AdaptiveMaxPool2d((4, 2)),
]


@pytest.mark.parametrize("make", POOLS, ids=lambda m: repr(m()))
def test_pooling(tmp_path, make):
    export_and_compare(make(), _x((2, 3, 8, 8)), tmp_path, batches=(3,))


@pytest.mark.parametrize("make", POOLS[:6] + POOLS[6:13], ids=lambda m: repr(m()))
def test_pooling_odd_sizes(tmp_path, make):
    export_and_compare(make(), _x((1, 2, 11, 9)), tmp_path)


ACTIVATIONS = [
    nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.GELU(), nn.GELU(approximate="tanh"),
    nn.SiLU(), nn.Sigmoid(), nn.Tanh(), nn.Softplus(), nn.Softplus(beta=2.0, threshold=3.0),
    nn.Hardtanh(-0.5, 0.7), nn.ReLU6(), nn.Hardswish(), nn.Hardsigmoid(), nn.Mish(),
    nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_activation(tmp_path, act):
    x = _x((4, 64), scale=4.0)
    x[0, :8] = [-30, -10, -3, -1e-3, 0, 1e-3, 3, 30]
    export_and_compare(act, x, tmp_path, batches=(1,))


@pytest.mark.parametrize("opset", [18, 20])
def test_activations_at_newer_opsets(tmp_path, opset):
    model = nn.Sequential(nn.GELU(), nn.Mish(), nn.GELU(approximate="tanh"))
    export_and_compare(model, _x((3, 16), scale=3.0), tmp_path, opset_version=opset)


def test_tensor_method_activations_and_arithmetic(tmp_path):
    def fn(x):
        y = x.sigmoid() * x.tanh() + x.relu() - x.exp() / 4.0
        y = 1.0 - y
        y = (y * 3.0 + 0.5) / 2.0
        return -y + x.abs().sqrt()
    export_and_compare(_Lambda(fn), _x((3, 5, 4)), tmp_path, batches=(2,))


def test_linear_with_leading_dims_and_reshapes(tmp_path):
    fastconv.manual_seed(0)
    lin = nn.Linear(8, 5)

    def fn(x):                                  # x: (N, 3, 8)
        y = lin(x)                              # (N, 3, 5)
        y = y.permute(0, 2, 1).flatten(1)       # (N, 15)
        return y.view(-1, 3, 5).mean(dim=1) + y.reshape(y.shape[0], 15, 1).sum(dim=(1, 2),
                                                                                keepdim=True)
    export_and_compare(_Lambda(fn), _x((2, 3, 8)), tmp_path, batches=(1, 6))


def test_linear_without_bias_and_matmul(tmp_path):
    fastconv.manual_seed(0)
    lin = nn.Linear(6, 4, bias=False)
    w = fastconv.randn(4, 3)
    export_and_compare(_Lambda(lambda x: lin(x) @ w), _x((5, 6)), tmp_path, batches=(2,))


def test_cat_stack_and_dropout_in_eval(tmp_path):
    drop = nn.Dropout(0.3)

    def supported(x):
        a = F.relu(x)
        b = drop(x * 2.0)
        c = fastconv.cat([a, b, x], dim=1)
        return c + fastconv.stack([x, a, b], dim=1).reshape(x.shape[0], -1)
    model = _Lambda(supported)
    model.drop = drop     # a child module: export's eval() reaches it
    drop.train()
    export_and_compare(model, _x((3, 4)), tmp_path, batches=(1,))


def test_batch_norm_1d_on_3d_input_and_functional_forms(tmp_path):
    fastconv.manual_seed(0)
    bn = nn.BatchNorm1d(3, affine=False)
    bn.running_mean._data[...] = [0.5, -1.0, 2.0]
    bn.running_var._data[...] = [2.0, 0.5, 1.5]
    export_and_compare(bn, _x((2, 3, 7)), tmp_path, batches=(4,))


@pytest.mark.parametrize("index", [
    (slice(None), slice(None), slice(None, None, 2), slice(None, None, 2)),
    (Ellipsis, 1),
    (slice(None), 0, None, slice(1, -1)),
    (slice(None), slice(None, None, -1)),
    (Ellipsis, slice(3, 0, -2), None),
], ids=["stride2", "ellipsis_int", "int_none_slice", "reverse", "backward_step"])
def test_basic_indexing(tmp_path, index):
    export_and_compare(_Lambda(lambda x: x[index] * 1.0), _x((2, 3, 6, 5)), tmp_path,
                       batches=(1, 4))


def test_cat_with_constant_zero_channels_follows_the_batch(tmp_path):
    """ResNet option-A shortcut: zeros(n, ...) made at the traced batch size."""
    def shortcut(x):
        y = x[:, :, ::2, ::2]
        n, _, h, w = y.shape
        return fastconv.cat([fastconv.zeros(n, 2, h, w), y, fastconv.zeros(n, 1, h, w)], 1)
    proto = export_and_compare(_Lambda(shortcut), _x((3, 4, 6, 6)), tmp_path, batches=(1, 5))
    assert "Expand" in [n.op_type for n in proto.graph.node]
    used = {i for n in proto.graph.node for i in n.input}
    assert all(i.name in used for i in proto.graph.initializer)   # replaced ones dropped


def test_clamp_pow_maximum_expand_and_split(tmp_path):
    bound = fastconv.tensor(np.linspace(-0.5, 0.5, 4).astype(np.float32))

    def fn(x):                                     # x: (N, 4)
        a, b = x.chunk(2, dim=1)                   # Split: two outputs
        c = fastconv.maximum(a, b) - fastconv.minimum(a, b) ** 2
        d = x.clamp(-0.7, 0.9) + x.clamp(min=bound) + x.clamp(max=0.2)
        e = x[:, :1].expand(x.shape[0], 4)
        parts = x.unbind(1)
        return fastconv.cat([c, d, e, parts[0].unsqueeze(1) * parts[3].unsqueeze(1)], dim=1)
    export_and_compare(_Lambda(fn), _x((3, 4)), tmp_path, batches=(1, 6))
