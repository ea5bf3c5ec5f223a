"""Exporter of the recurrent networks (nn.RNN / nn.LSTM / nn.GRU and F.lstm, F.gru, ...):
one ONNX RNN/LSTM/GRU node per layer, weights reordered to ONNX's gate order."""
import numpy as np

from ..functional.rnn import RecurrentNetwork
from ._graph import GraphBuilder, to_numpy
from ._table import Call, exporter

# PyTorch's gate blocks, in ONNX's order: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h
_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
_ONNX_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _reorder(array: np.ndarray, mode: str) -> np.ndarray:
    blocks = np.split(array, len(_GATE_ORDER[mode]), axis=0)
    return np.concatenate([blocks[i] for i in _GATE_ORDER[mode]], axis=0)


@exporter(RecurrentNetwork)
def export_recurrent_network(g: GraphBuilder, call: Call) -> str:
    """Each layer: X (T, B, I) -> ONNX node -> Y (T, D, B, H) -> (T, B, D*H) for the next;
    the Function's one flat output (output, h_n[, c_n]) is rebuilt by Concat, which is
    why the batch must be static (the slices after it are at the traced sizes)."""
    kw = call.kwargs
    mode, layers, directions = kw["mode"], kw["num_layers"], kw["directions"]
    if kw.get("lengths") is not None:
        raise call.refuse("%s over packed (variable-length) sequences" % mode)
    if g.dynamic_batch:
        raise call.refuse("%s needs dynamic_batch=False (its outputs are sliced from one "
                          "flat array at the traced batch size)" % mode)
    per = 4 if kw["has_biases"] else 2
    weights = call.args[3:]
    hidden = weights[1].shape[1]
    seq_len, batch = call.input_shapes[0][:2]
    op = _ONNX_OP[mode]
    direction = "bidirectional" if directions == 2 else "forward"
    attrs = dict(hidden_size=int(hidden), direction=direction)
    if mode == "GRU":
        attrs["linear_before_reset"] = 1
    if op == "RNN":
        attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * directions
    layer_input, hs, cs = call.inputs[0], [], []
    for layer in range(layers):
        ks = [layer * directions + d for d in range(directions)]
        w = [weights[k * per:(k + 1) * per] for k in ks]
        key = g._array_names.get(id(w[0][0]._data), "rnn.weight_ih_l%d" % layer)
        stack = lambda i: np.stack([_reorder(to_numpy(wd[i]._data), mode) for wd in w])  # noqa: E731
        W = g.initializer(stack(0), key + ".onnx_W")
        R = g.initializer(stack(1), key + ".onnx_R")
        B = g.initializer(np.concatenate([stack(2), stack(3)], axis=1), key + ".onnx_B") \
            if per == 4 else None
        states = []
        for s in (call.inputs[1], call.inputs[2] if mode == "LSTM" else None):
            states.append(None if s is None else g.op(
                "Slice", [s, g.ints([ks[0]], "starts"), g.ints([ks[-1] + 1], "ends"),
                          g.ints([0], "axes")]))
        inputs = [layer_input, W, R, B, None, states[0]] + ([states[1]] if op == "LSTM" else [])
        outs = g.op_outputs(op, inputs, 3 if op == "LSTM" else 2, **attrs)
        y = g.op("Transpose", [outs[0]], perm=[0, 2, 1, 3])
        layer_input = g.op("Reshape", [y, g.ints([seq_len, batch, directions * hidden])])
        hs.append(outs[1])
        if op == "LSTM":
            cs.append(outs[2])
    flat = [g.op("Reshape", [layer_input, g.ints([-1])])]
    for parts in (hs, cs):
        if parts:
            joined = parts[0] if len(parts) == 1 else g.op("Concat", parts, axis=0)
            flat.append(g.op("Reshape", [joined, g.ints([-1])]))
    call.keeps_batch = False
    return g.op("Concat", flat, axis=0)
