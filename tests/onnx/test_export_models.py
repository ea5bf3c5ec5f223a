"""ONNX export of whole networks: the graph passes onnx.checker and ONNX Runtime gives
fastconv's outputs (LeNet-5, a small VGG with BatchNorm, a ResNet-style block), at the
traced batch size and others (dynamic batch)."""
import numpy as np
import pytest

from .helpers import (assert_close, export_and_compare, onnx, randomize_batch_norm,
                      reference, session)

import fastconv
import fastconv.models
import fastconv.onnx
from fastconv import nn
import fastconv.functional as F


def _x(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_lenet5_matches_onnxruntime_at_several_batch_sizes(tmp_path):
    fastconv.manual_seed(0)
    model = fastconv.models.lenet5()
    proto = export_and_compare(model, _x((3, 1, 28, 28)), tmp_path, batches=(1, 5, 8))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 2 and ops.count("MaxPool") == 2 and ops.count("Gemm") == 3
    names = {i.name for i in proto.graph.initializer}
    assert {"0.weight", "0.bias", "3.weight", "7.weight", "11.bias"} <= names
    dim0 = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim0.dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_static_batch_keeps_the_traced_size(tmp_path):
    fastconv.manual_seed(0)
    model = fastconv.models.lenet5()
    proto = export_and_compare(model, _x((2, 1, 28, 28)), tmp_path, dynamic_batch=False,
                               input_names=["images"], output_names=["logits"])
    assert proto.graph.input[0].name == "images" and proto.graph.output[0].name == "logits"
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2


def _small_vgg():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),          # conv-bn-relu
        nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),       # conv-bn
        nn.BatchNorm2d(16), nn.ReLU(),                                          # bn-relu
        nn.AvgPool2d(2), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(32, 10), nn.LogSoftmax(dim=1))


def test_small_vgg_with_batch_norm_in_eval(tmp_path):
    fastconv.manual_seed(1)
    model = randomize_batch_norm(_small_vgg())
    model.train()
    model[21].eval()
    fastconv.onnx.export(model, fastconv.tensor(_x((2, 3, 16, 16))), None)
    flags = [m.training for m in model.modules()]
    assert flags[0] and not flags[-2] and sum(flags) == len(flags) - 1   # restored
    export_and_compare(model, _x((2, 3, 16, 16)), tmp_path, batches=(1, 3))


def test_batch_norm_relu_pool_run(tmp_path):
    # BN -> ReLU -> MaxPool2d(2) with no conv to fold into: the pool of a ReLU output
    fastconv.manual_seed(2)
    model = randomize_batch_norm(nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                                               nn.Flatten(), nn.Linear(3 * 4 * 3, 5)))
    model.eval()
    y = model(fastconv.tensor(_x((2, 3, 9, 7)), requires_grad=True))
    names, stack = set(), [y]
    while stack:                      # every op on the tape below y
        node = stack.pop()._node
        if node is not None:
            names.add(node.name())
            inputs = node._inputs if type(node._inputs) is tuple else (node._inputs,)
            stack.extend(t for t in inputs if isinstance(t, fastconv.Tensor))
    assert "MaxPool2x2OfReLUBackward" in names
    export_and_compare(model, _x((2, 3, 9, 7)), tmp_path, batches=(1, 3))


def test_float64_model_with_the_onnx_reference_evaluator():
    """ONNX Runtime's CPU provider has no float64 Conv: onnx's own reference runs it."""
    from onnx.reference import ReferenceEvaluator
    fastconv.manual_seed(1)
    model = randomize_batch_norm(_small_vgg().double())
    x = _x((2, 3, 16, 16), dtype=np.float64)
    proto = fastconv.onnx.export(model, fastconv.tensor(x), None)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    got = ReferenceEvaluator(proto).run(None, {"input": x})[0]
    assert_close(got, reference(model, x)[0], rtol=1e-12)


class _Block(nn.Module):
    """A ResNet basic block with a projection shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class _TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU())
        self.block1 = _Block(8, 8, 1)
        self.block2 = _Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(self.pool(x).view(x.shape[0], -1))


def test_resnet_block_with_residual_add_and_adaptive_pool(tmp_path):
    fastconv.manual_seed(2)
    model = randomize_batch_norm(_TinyResNet())
    proto = export_and_compare(model, _x((2, 3, 12, 12)), tmp_path, batches=(1, 4))
    ops = [n.op_type for n in proto.graph.node]
    assert "Add" in ops and "GlobalAveragePool" in ops and "BatchNormalization" in ops
    names = {i.name for i in proto.graph.initializer}
    assert {"block1.conv1.weight", "block2.bn1.running_var", "fc.weight"} <= names


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 4)
        self.b = nn.Linear(6, 3)

    def forward(self, x):
        h = fastconv.cat([self.a(x), self.b(x) * 2.0], dim=1)
        return F.softmax(h, dim=1), h.reshape(-1, 7) - 1.0


def test_two_outputs_cat_softmax(tmp_path):
    fastconv.manual_seed(3)
    proto = export_and_compare(_TwoHeads(), _x((5, 6)), tmp_path, batches=(2,))
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]


def test_exported_model_is_a_loadable_file(tmp_path):
    fastconv.manual_seed(0)
    model = fastconv.models.lenet5()
    path = tmp_path / "m.onnx"
    fastconv.onnx.export(model, fastconv.randn(1, 1, 28, 28), str(path))
    sess = session(path)
    assert sess.get_inputs()[0].name == "input"
    assert sess.get_inputs()[0].shape[0] == "batch"


@pytest.mark.parametrize("opset", [13, 15, 18, 21])
def test_other_opsets(tmp_path, opset):
    fastconv.manual_seed(2)
    model = randomize_batch_norm(_TinyResNet())
    export_and_compare(model, _x((2, 3, 12, 12)), tmp_path, batches=(3,), opset_version=opset)
