"""What fastconv.onnx refuses, and how: an ExportError naming the op or the option."""
import numpy as np
import pytest

from .helpers import onnx  # noqa: F401  (skips without onnx)

import fastconv
import fastconv.functional as F
import fastconv.onnx
from fastconv import nn


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _export(model, shape=(2, 3, 8, 8)):
    x = fastconv.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    return fastconv.onnx.export(model, x, None)


def test_op_without_exporter_is_named():
    with pytest.raises(fastconv.onnx.ExportError, match=r"'Cumsum'.*no exporter"):
        _export(_Lambda(lambda x: x.cumsum(1)))


def test_divisor_override_is_refused_by_name():
    with pytest.raises(fastconv.onnx.ExportError, match="AvgPool2d.*divisor_override"):
        _export(nn.AvgPool2d(2, divisor_override=3))


def test_adaptive_pool_with_uneven_windows_is_refused():
    with pytest.raises(fastconv.onnx.ExportError, match="AdaptiveAvgPool2d.*does not divide"):
        _export(nn.AdaptiveAvgPool2d(3))
    with pytest.raises(fastconv.onnx.ExportError, match="AdaptiveMaxPool2d.*does not divide"):
        _export(nn.AdaptiveMaxPool2d((5, 8)))


def test_training_mode_functional_ops_are_refused():
    with pytest.raises(fastconv.onnx.ExportError, match="Dropout.*training"):
        _export(_Lambda(lambda x: F.dropout(x, 0.5, training=True)))
    rm, rv = fastconv.zeros(3), fastconv.ones(3)
    with pytest.raises(fastconv.onnx.ExportError, match="BatchNorm.*training"):
        _export(_Lambda(lambda x: F.batch_norm(x, rm, rv, training=True)))


def test_output_off_the_tape_is_refused():
    with pytest.raises(fastconv.onnx.ExportError, match="does not depend on the input"):
        _export(_Lambda(lambda x: fastconv.tensor(x.detach().numpy() * 2)))


def test_bad_arguments():
    model = nn.ReLU()
    x = fastconv.randn(1, 3)
    with pytest.raises(ValueError, match="opset_version"):
        fastconv.onnx.export(model, x, None, opset_version=9)
    with pytest.raises(ValueError, match="output_names"):
        fastconv.onnx.export(model, x, None, output_names=["a", "b"])
    with pytest.raises(TypeError, match="example_input"):
        fastconv.onnx.export(model, np.zeros((1, 3), np.int64), None)


def test_tracing_leaves_no_hook_behind():
    from fastconv.autograd import function
    with pytest.raises(fastconv.onnx.ExportError):
        _export(_Lambda(lambda x: x.cumsum(1)))
    assert function._tracer is None


def test_new_op_plugs_in_with_one_entry():
    from fastconv.autograd.reductions import Cumsum
    calls = []

    @fastconv.onnx.exporter(Cumsum)
    def export_cumsum(g, call):
        calls.append(call.name)
        return g.op("CumSum", [call.inputs[0], g.ints(call.args[1], "axis")])
    try:
        proto = _export(_Lambda(lambda x: x.cumsum(1)))
    finally:
        del fastconv.onnx.EXPORTERS[Cumsum]
    assert calls == ["Cumsum"] and "CumSum" in [n.op_type for n in proto.graph.node]
