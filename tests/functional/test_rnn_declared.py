"""Recurrent networks and cells declared for the op harness (tests/harness.py): float64
per-step loop references, gradcheck, PyTorch (torch.lstm & co. with the same weights),
native vs generic backend, 1 vs 2 threads. Every case checks output, h_n and c_n at
once (the op under test returns them concatenated), so all their gradients are checked.
"""
import numpy as np
import pytest

import fastconv
import fastconv.functional as F
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests
from tests.ops.test_rnn import ref_layer

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
FUNCTIONS = {"RNN_TANH": F.rnn_tanh, "RNN_RELU": F.rnn_relu, "LSTM": F.lstm, "GRU": F.gru}
TORCH = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru"}
CELLS = {"RNN_TANH": F.rnn_tanh_cell, "RNN_RELU": F.rnn_relu_cell, "LSTM": F.lstm_cell,
         "GRU": F.gru_cell}
TORCH_CELLS = {"RNN_TANH": "rnn_tanh_cell", "RNN_RELU": "rnn_relu_cell",
               "LSTM": "lstm_cell", "GRU": "gru_cell"}


def _flat(*parts):
    """One 1-D tensor (fastconv or torch) of every part, so all of them are checked."""
    return parts[0].reshape(-1) if len(parts) == 1 else _cat([p.reshape(-1) for p in parts])


def _cat(parts):
    if isinstance(parts[0], fastconv.Tensor):
        return fastconv.cat(parts)
    import torch
    return torch.cat(parts)


def ref_network(mode, x, h0, c0, *weights, num_layers, bidirectional, bias, lengths=None,
                batch_first=False):
    """Per-step loops, layer by layer: output, h_n and c_n flattened and concatenated."""
    x = np.swapaxes(x, 0, 1) if batch_first else x
    batch, hidden = x.shape[1], weights[1].shape[1]
    per, directions = (4 if bias else 2), (2 if bidirectional else 1)
    zero = np.zeros(GATES[mode] * hidden)
    hs, cs, layer_input = [], [], x
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            w = weights[k * per:(k + 1) * per]
            b_ih, b_hh = (w[2], w[3]) if bias else (zero, zero)
            c_init = c0[k] if c0 is not None else np.zeros((batch, hidden))
            y, h_n, c_n = ref_layer(mode, layer_input, w[0], w[1], b_ih, b_hh, h0[k], c_init,
                                    lengths, reverse=d == 1)
            outs.append(y)
            hs.append(h_n)
            cs.append(c_n)
        layer_input = np.concatenate(outs, axis=2)
    out = np.swapaxes(layer_input, 0, 1) if batch_first else layer_input
    parts = [out.reshape(-1), np.stack(hs).reshape(-1)]
    if mode == "LSTM":
        parts.append(np.stack(cs).reshape(-1))
    return np.concatenate(parts)


def network_inputs(mode, steps, batch, isize, hidden, num_layers, bidirectional, bias,
                   batch_first=False):
    directions = 2 if bidirectional else 1
    g = GATES[mode] * hidden
    x = (batch, steps, isize) if batch_first else (steps, batch, isize)
    inputs = [Input(x), Input((num_layers * directions, batch, hidden), "uniform", low=-0.5,
                              high=0.5)]
    if mode == "LSTM":
        inputs.append(Input((num_layers * directions, batch, hidden), "uniform", low=-0.5,
                            high=0.5))
    for layer in range(num_layers):
        size = isize if layer == 0 else directions * hidden
        for _ in range(directions):
            inputs += [Input((g, size), "uniform", low=-0.6, high=0.6),
                       Input((g, hidden), "uniform", low=-0.6, high=0.6)]
            if bias:
                inputs += [Input((g,), "uniform", low=-0.5, high=0.5)] * 2
    return inputs


def _network_case(name, mode, steps, batch, isize, hidden, num_layers=1, bidirectional=False,
                  bias=True, lengths=None, batch_first=False, gradcheck=True):
    lstm = mode == "LSTM"

    def fn(x, h0, *rest, lengths=None, **_):
        c0, weights = (rest[0], rest[1:]) if lstm else (None, rest)
        hx = (h0, c0) if lstm else h0
        outs = FUNCTIONS[mode](x, hx, list(weights), bias, num_layers, 0.0, False,
                               bidirectional, batch_first, lengths=lengths)
        return _flat(*outs)

    def ref(x, h0, *rest, lengths=None, **_):
        c0, weights = (rest[0], rest[1:]) if lstm else (None, rest)
        return ref_network(mode, x, h0, c0, *weights, num_layers=num_layers,
                           bidirectional=bidirectional, bias=bias, lengths=lengths,
                           batch_first=batch_first)

    def torch_fn(t, x, h0, *rest, lengths=None, **_):
        c0, weights = (rest[0], rest[1:]) if lstm else (None, rest)
        hx = (h0, c0) if lstm else h0
        if lengths is None:
            outs = getattr(t, TORCH[mode])(x, hx, list(weights), bias, num_layers, 0.0, False,
                                           bidirectional, batch_first)
            return _flat(*outs)
        # padded batches: torch's packed path, outputs padded back with zeros
        xs = x.transpose(0, 1) if batch_first else x
        packed = t.nn.utils.rnn.pack_padded_sequence(xs, t.tensor(lengths),
                                                     enforce_sorted=False)
        order = packed.sorted_indices
        hx = (h0[:, order], c0[:, order]) if lstm else h0[:, order]
        outs = getattr(t, TORCH[mode])(packed.data, packed.batch_sizes, hx, list(weights),
                                       bias, num_layers, 0.0, False, bidirectional)
        out = t.nn.utils.rnn.pad_packed_sequence(
            packed._replace(data=outs[0]), batch_first=batch_first, total_length=steps)[0]
        back = packed.unsorted_indices
        return _flat(out, *[s[:, back] for s in outs[1:]])

    kwargs = {} if lengths is None else {"lengths": lengths}
    return OpCase(name, fn, network_inputs(mode, steps, batch, isize, hidden, num_layers,
                                           bidirectional, bias, batch_first),
                  kwargs=kwargs, ref=ref, torch_fn=torch_fn, gradcheck=gradcheck,
                  rtol={np.float32: 5e-5})


def _cell_case(mode, batch, isize, hidden, bias=True):
    lstm = mode == "LSTM"
    g = GATES[mode] * hidden
    inputs = [Input((batch, isize)) if batch else Input((isize,))]
    state = (batch, hidden) if batch else (hidden,)
    inputs += [Input(state, "uniform", low=-0.5, high=0.5)] * (2 if lstm else 1)
    inputs += [Input((g, isize), "uniform", low=-0.6, high=0.6),
               Input((g, hidden), "uniform", low=-0.6, high=0.6)]
    if bias:
        inputs += [Input((g,), "uniform", low=-0.5, high=0.5)] * 2

    def split(args):
        x, states, rest = args[0], args[1:3] if lstm else args[1:2], args[3 if lstm else 2:]
        return x, (tuple(states) if lstm else states[0]), rest

    def fn(*args):
        x, hx, w = split(args)
        out = CELLS[mode](x, hx, *w)
        return _flat(*out) if lstm else _flat(out)

    def ref(*args):
        x, hx, w = split(args)
        x2 = x[None, None] if x.ndim == 1 else x[None]
        h = hx[0] if lstm else hx
        h2 = h[None] if h.ndim == 1 else h
        c2 = (hx[1][None] if hx[1].ndim == 1 else hx[1]) if lstm else np.zeros_like(h2)
        b = w[2:] if bias else (np.zeros(g), np.zeros(g))
        _, h_n, c_n = ref_layer(mode, x2, w[0], w[1], b[0], b[1], h2, c2)
        parts = [h_n.reshape(-1)] + ([c_n.reshape(-1)] if lstm else [])
        return np.concatenate(parts)

    def torch_fn(t, *args):
        x, hx, w = split(args)
        if x.ndim == 1:   # torch's raw cells are batched only (nn.RNNCell unsqueezes)
            x = x[None]
            hx = tuple(s[None] for s in hx) if lstm else hx[None]
        out = getattr(t, TORCH_CELLS[mode])(x, hx, *w) if bias else \
            getattr(t, TORCH_CELLS[mode])(x, hx, w[0], w[1])
        return _flat(*out) if lstm else _flat(out)

    name = "%s-cell-b%d%s" % (mode, batch, "" if bias else "-nobias")
    return OpCase(name, fn, inputs, ref=ref, torch_fn=torch_fn, rtol={np.float32: 5e-5})


CASES = []
for _mode in GATES:
    CASES += [
        _network_case("%s-1layer" % _mode, _mode, 4, 3, 3, 5),
        _network_case("%s-2layers-bidir" % _mode, _mode, 3, 2, 3, 4, num_layers=2,
                      bidirectional=True),
        _network_case("%s-nobias-batchfirst" % _mode, _mode, 3, 2, 2, 3, bias=False,
                      batch_first=True),
        _network_case("%s-lengths-bidir" % _mode, _mode, 4, 3, 2, 3, num_layers=2,
                      bidirectional=True, lengths=[2, 4, 1]),
        _network_case("%s-threads" % _mode, _mode, 5, 24, 16, 32, num_layers=2,
                      bidirectional=True, lengths=list(range(5, 0, -1)) * 4 + [5] * 4,
                      gradcheck=False),
        _cell_case(_mode, 3, 4, 5),
        _cell_case(_mode, 0, 3, 4),
        _cell_case(_mode, 2, 3, 4, bias=False),
    ]

test_rnn_declared = op_tests(CASES)


def _weights(mode, isize=3, hidden=4, layers=1):
    g = GATES[mode] * hidden
    rng = np.random.default_rng(0)
    out = []
    for layer in range(layers):
        size = isize if layer == 0 else hidden
        out += [fastconv.tensor(rng.standard_normal(s) * 0.3) for s in
                ((g, size), (g, hidden), (g,), (g,))]
    return out


_x = fastconv.tensor(np.zeros((4, 2, 3)))
BAD = [
    BadCall("wrong input size", lambda: F.gru(fastconv.zeros(4, 2, 5, dtype="float64"), None,
                                              _weights("GRU"), True, 1, 0.0, False, False,
                                              False), ValueError, "w_ih"),
    BadCall("hidden state of the wrong shape", lambda: F.gru(
        _x, fastconv.zeros(1, 3, 4, dtype="float64"), _weights("GRU"), True, 1, 0.0, False,
        False, False), ValueError, "hx"),
    BadCall("LSTM cell state of the wrong shape", lambda: F.lstm(
        _x, (fastconv.zeros(1, 2, 4, dtype="float64"), fastconv.zeros(2, 2, 4,
                                                                       dtype="float64")),
        _weights("LSTM"), True, 1, 0.0, False, False, False), ValueError, "c_0"),
    BadCall("too few params", lambda: F.lstm(_x, None, _weights("LSTM")[:3], True, 1, 0.0,
                                             False, False, False), ValueError, "params"),
    BadCall("lengths longer than the sequence", lambda: F.gru(
        _x, None, _weights("GRU"), True, 1, 0.0, False, False, False, lengths=[5, 1]),
        ValueError, "lengths"),
    BadCall("lengths of the wrong count", lambda: F.gru(
        _x, None, _weights("GRU"), True, 1, 0.0, False, False, False, lengths=[3]),
        ValueError, "lengths"),
    BadCall("weights of another dtype", lambda: F.rnn_tanh(
        _x.float(), None, _weights("RNN_TANH"), True, 1, 0.0, False, False, False),
        TypeError, "params"),
    BadCall("integer input", lambda: F.rnn_tanh(
        fastconv.zeros(4, 2, 3, dtype="int64"), None, _weights("RNN_TANH"), True, 1, 0.0,
        False, False, False), TypeError, "input"),
    BadCall("4-D input", lambda: F.rnn_tanh(
        fastconv.zeros(4, 2, 3, 1, dtype="float64"), None, _weights("RNN_TANH"), True, 1,
        0.0, False, False, False), ValueError, "input"),
    BadCall("cell input of the wrong size", lambda: F.gru_cell(
        fastconv.zeros(2, 4, dtype="float64"), None, *_weights("GRU")), ValueError, "w_ih"),
    BadCall("cell state of the wrong shape", lambda: F.gru_cell(
        fastconv.zeros(2, 3, dtype="float64"), fastconv.zeros(3, 4, dtype="float64"),
        *_weights("GRU")), ValueError, "hx"),
]

test_rnn_bad_input = error_tests(BAD)


def test_dropout_between_layers_is_drawn_from_fastconvs_generator():
    weights = _weights("GRU", hidden=50, layers=2)
    x = fastconv.tensor(np.random.default_rng(1).standard_normal((3, 40, 3)))

    def run(train, p=0.5):
        fastconv.manual_seed(7)
        return F.gru(x, None, weights, True, 2, p, train, False, False)[0].numpy()

    np.testing.assert_array_equal(run(True), run(True))          # reproducible by seed
    assert not np.allclose(run(True), run(False))                # dropout applied
    np.testing.assert_array_equal(run(False), run(False, 0.0))   # not in eval mode
    # p = 1 drops every output of layer 1: layer 2 sees zeros
    zero_in = F.gru(fastconv.zeros(3, 40, 50, dtype="float64"), None, weights[4:], True, 1,
                    0.0, False, False, False)[0].numpy()
    np.testing.assert_allclose(run(True, 1.0), zero_in, atol=0)


def test_dropout_gradient_with_a_fixed_mask():
    weights = _weights("LSTM", hidden=3, layers=2)
    for w in weights:
        w.requires_grad_(True)
    x = fastconv.tensor(np.random.default_rng(2).standard_normal((3, 2, 3)),
                        requires_grad=True)

    def fn(x, *w):
        fastconv.manual_seed(3)
        out, h, c = F.lstm(x, None, list(w), True, 2, 0.4, True, False, False)
        return _flat(out, h, c)

    assert fastconv.autograd.gradcheck(fn, [x] + weights)


@pytest.mark.parametrize("mode", list(GATES))
def test_unbatched_input_gives_unbatched_outputs(mode):
    weights = _weights(mode, layers=1)
    x = fastconv.tensor(np.random.default_rng(3).standard_normal((4, 3)))
    outs = FUNCTIONS[mode](x, None, weights, True, 1, 0.0, False, False, False)
    batched = FUNCTIONS[mode](x.unsqueeze(1), None, weights, True, 1, 0.0, False, False,
                              False)
    assert outs[0].shape == (4, 4) and outs[1].shape == (1, 4)
    for a, b in zip(outs, batched):
        np.testing.assert_array_equal(a.numpy(), b.numpy()[:, 0] if a.ndim == 2 and
                                      b.shape[0] == 4 else b.numpy().squeeze(1))
