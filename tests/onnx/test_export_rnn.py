"""ONNX export of RNN, LSTM and GRU (static batch), against ONNX Runtime."""
import numpy as np
import pytest

from .helpers import export_and_compare

import fastconv
import fastconv.onnx
from fastconv import nn


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


class _Head(nn.Module):
    """A recurrent layer, then a linear layer on the last step (the usual classifier)."""

    def __init__(self, rnn, features):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(features, 3)

    def forward(self, x):
        out, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return self.fc(out[:, -1] if self.rnn.batch_first else out[-1]), h


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("options", [
    dict(), dict(num_layers=2), dict(bidirectional=True), dict(batch_first=True),
    dict(num_layers=2, bidirectional=True, batch_first=True, bias=False),
], ids=lambda o: ",".join("%s=%s" % kv for kv in o.items()) or "plain")
def test_recurrent_layers(tmp_path, kind, options):
    fastconv.manual_seed(0)
    rnn = getattr(nn, kind)(5, 6, **options)
    directions = 2 if options.get("bidirectional") else 1
    shape = (3, 4, 5) if options.get("batch_first") else (4, 3, 5)
    export_and_compare(_Head(rnn, 6 * directions), _x(shape), tmp_path, dynamic_batch=False)


def test_rnn_relu_and_initial_state(tmp_path):
    fastconv.manual_seed(0)
    rnn = nn.RNN(4, 5, nonlinearity="relu", num_layers=2)
    h0 = fastconv.randn(2, 3, 5)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            return self.rnn(x, h0)[0]
    export_and_compare(Net(), _x((6, 3, 4)), tmp_path, dynamic_batch=False)


def test_recurrent_layers_refuse_dynamic_batch():
    with pytest.raises(fastconv.onnx.ExportError, match="GRU.*dynamic_batch=False"):
        fastconv.onnx.export(_Head(nn.GRU(5, 6), 6), fastconv.tensor(_x((4, 3, 5))), None)
