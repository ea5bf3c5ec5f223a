"""Recurrent networks (tanh/relu RNN, LSTM, GRU) over whole sequences, and their cells.

`rnn_tanh`, `rnn_relu`, `lstm` and `gru` take torch's arguments (torch.lstm & co.):
input, hx, params (per layer and direction: w_ih, w_hh[, b_ih, b_hh]), has_biases,
num_layers, dropout, train, bidirectional, batch_first; plus `lengths` for batches of
padded sequences (what nn's layers pass for a PackedSequence). The cells
(`lstm_cell`, ...) are one step of one layer, as torch.lstm_cell.

A whole network is one node of the tape (RecurrentNetwork): its forward calls
fastconv.ops.rnn_forward once per layer and direction (each a native call over all
time steps), its backward rnn_backward in reverse order. Its one output array holds
output, h_n and (LSTM) c_n one after the other, and the public functions return
slices of it, which autograd routes back into that one array.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .. import ops
from ..autograd import Function, Tensor
from ..random import generator
from ._util import array_module, check_tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RecurrentNetwork(Function):
    """Every layer and direction of a recurrent network, forward next to backward.

    forward(x (T, B, I) time-major, h0 and c0 (L*D, B, H) or None, *weights) returns
    one array: output (T, B, D*H), then h_n and c_n (L*D, B, H). Dropout (probability
    `dropout`, training only) multiplies each layer's output but the last by a mask
    drawn from fastconv's generator, as torch does. With `lengths` (B,), padded steps
    (t >= lengths[b]) change nothing and give 0 outputs.
    """

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, h0, c0, *weights, mode, num_layers, directions, has_biases,
                dropout, training, lengths):
        xp = array_module(x)
        seq_len, batch = x.shape[0], x.shape[1]
        hidden = weights[1].shape[1]
        lstm = mode == "LSTM"
        per = 4 if has_biases else 2
        states = num_layers * directions
        n_y, n_h = seq_len * batch * directions * hidden, states * batch * hidden
        flat = xp.empty(n_y + n_h * (2 if lstm else 1), dtype=x.dtype)
        h_n = flat[n_y:n_y + n_h].reshape(states, batch, hidden)
        c_n = flat[n_y + n_h:].reshape(states, batch, hidden) if lstm else None
        if lengths is not None:   # padded steps read as 0 (a NaN there must not leak)
            real = np.arange(seq_len)[:, None] < lengths[None, :]
            if not real.all():
                x = x * xp.asarray(real[:, :, None].astype(x.dtype))
        saved, layer_input = [], x
        for layer in range(num_layers):
            last = layer == num_layers - 1
            y = flat[:n_y].reshape(seq_len, batch, directions * hidden) if last else \
                xp.empty((seq_len, batch, directions * hidden), dtype=x.dtype)
            workspaces = []
            for d in range(directions):
                k = layer * directions + d
                w = weights[k * per:(k + 1) * per]
                _, _, _, ws = ops.rnn_forward(
                    mode, layer_input, w[0], w[1], w[2] if has_biases else None,
                    w[3] if has_biases else None, None if h0 is None else h0[k],
                    None if c0 is None else c0[k], lengths=lengths, reverse=d == 1, out=y,
                    out_offset=d * hidden, h_n=h_n[k], c_n=None if c_n is None else c_n[k])
                workspaces.append(ws)
            mask = None
            if dropout > 0 and training and not last:
                keep = generator().random(y.shape) >= dropout
                scale = 1.0 / (1.0 - dropout) if dropout < 1 else 0.0   # p = 1: all dropped
                mask = xp.asarray(keep.astype(x.dtype) * x.dtype.type(scale))
            saved.append((layer_input, workspaces, mask))
            layer_input = y if mask is None else y * mask
        ctx.saved = saved
        ctx.weights = weights
        ctx.options = (mode, num_layers, directions, has_biases, lengths, hidden, n_y, n_h)
        return flat

    @staticmethod
    def backward(ctx, grad):
        mode, num_layers, directions, has_biases, lengths, hidden, n_y, n_h = ctx.options
        weights, saved = ctx.weights, ctx.saved
        needs = ctx.needs_input_grad
        xp = array_module(grad)
        lstm = mode == "LSTM"
        per = 4 if has_biases else 2
        seq_len, batch = saved[0][0].shape[0], saved[0][0].shape[1]
        states = num_layers * directions
        g_out = grad[:n_y].reshape(seq_len, batch, directions * hidden)
        g_hn = grad[n_y:n_y + n_h].reshape(states, batch, hidden)
        g_cn = grad[n_y + n_h:].reshape(states, batch, hidden) if lstm else None
        grads: List[Optional[object]] = [None] * len(weights)
        dh0 = xp.empty((states, batch, hidden), dtype=grad.dtype) if needs[1] else None
        dc0 = xp.empty((states, batch, hidden), dtype=grad.dtype) if lstm and needs[2] \
            else None
        dx = None
        for layer in range(num_layers - 1, -1, -1):
            layer_input, workspaces, _ = saved[layer]
            want_dx = layer > 0 or needs[0]
            dx = None
            for d in range(directions):
                k = layer * directions + d
                w = weights[k * per:(k + 1) * per]
                want_w = any(needs[3 + k * per:3 + k * per + 2])
                want_b = has_biases and any(needs[3 + k * per + 2:3 + (k + 1) * per])
                dxd, dwi, dwh, dbi, dbh, dh, dc = ops.rnn_backward(
                    mode, layer_input, w[0], w[1], workspaces[d], g_out, g_hn[k],
                    None if g_cn is None else g_cn[k], lengths=lengths, reverse=d == 1,
                    grad_offset=d * hidden, bias=want_b, input_grad=want_dx,
                    weight_grad=want_w, grad_input=dx)
                dx = dxd
                grads[k * per:k * per + 2] = [dwi, dwh]
                if has_biases:
                    grads[k * per + 2:k * per + 4] = [dbi, dbh]
                if dh0 is not None:
                    dh0[k] = dh
                if dc0 is not None:
                    dc0[k] = dc
            if layer > 0:
                mask = saved[layer - 1][2]
                g_out = dx if mask is None else dx * mask
        return (dx if needs[0] else None, dh0, dc0) + tuple(grads)


def _check_params(mode: str, input: Tensor, params: Sequence[Tensor], has_biases: bool,
                  num_layers: int, directions: int) -> int:
    """Check the weights' count, shapes and dtypes against the input; returns hidden."""
    per = 4 if has_biases else 2
    if len(params) != num_layers * directions * per:
        raise ValueError("params must hold %d tensors (%d layers x %d directions x %d), got "
                         "%d" % (num_layers * directions * per, num_layers, directions, per,
                                 len(params)))
    for i, p in enumerate(params):
        check_tensor(p, "params[%d]" % i)
        if p.dtype != input.dtype:
            raise TypeError("params[%d] has dtype %s but the input has %s"
                            % (i, p.dtype, input.dtype))
    gates = _GATES[mode]
    hidden = params[1].shape[1] if params[1].ndim == 2 else 0
    size = input.shape[-1]
    for layer in range(num_layers):
        for d in range(directions):
            k = (layer * directions + d) * per
            w_ih, w_hh = params[k].shape, params[k + 1].shape
            if w_hh != (gates * hidden, hidden):
                raise ValueError("params[%d] (w_hh of layer %d) must have shape (%d, %d), got "
                                 "%s" % (k + 1, layer, gates * hidden, hidden, w_hh))
            if w_ih != (gates * hidden, size):
                raise ValueError("params[%d] (w_ih of layer %d) must have shape (%d, %d): "
                                 "input_size %d, got %s" % (k, layer, gates * hidden, size,
                                                            size, w_ih))
            for j in (2, 3) if has_biases else ():
                if params[k + j].shape != (gates * hidden,):
                    raise ValueError("params[%d] (a bias of layer %d) must have shape (%d,), "
                                     "got %s" % (k + j, layer, gates * hidden,
                                                 params[k + j].shape))
        size = directions * hidden
    return hidden


def _check_state(state, name: str, shape: Tuple[int, ...], dtype) -> None:
    check_tensor(state, name)
    if state.shape != shape:
        raise ValueError("%s must have shape %s (num_layers * num_directions, batch, "
                         "hidden_size), got %s" % (name, shape, state.shape))
    if state.dtype != dtype:
        raise TypeError("%s has dtype %s but the input has %s" % (name, state.dtype, dtype))


def _network(mode: str, input: Tensor, hx, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool, lengths=None):
    """(output, h_n, c_n or None) of a whole network; see the module docstring."""
    check_tensor(input, "input")
    if input.dtype not in (np.float32, np.float64):
        raise TypeError("input must be float32 or float64, got %s" % input.dtype)
    if input.ndim not in (2, 3):
        raise ValueError("input must be 2-D (seq_len, input_size) or 3-D (seq_len, batch, "
                         "input_size), got shape %s" % (input.shape,))
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) \
            or num_layers < 1:
        raise ValueError("num_layers must be an int >= 1, got %r" % (num_layers,))
    if not 0 <= dropout <= 1:
        raise ValueError("dropout must be in [0, 1], got %r" % (dropout,))
    directions = 2 if bidirectional else 1
    unbatched = input.ndim == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if batch_first
                                              else input)
    hidden = _check_params(mode, x, params, has_biases, num_layers, directions)
    seq_len, batch = x.shape[0], x.shape[1]
    if seq_len == 0 or batch == 0:
        raise ValueError("input must hold at least one step of one sequence, got shape %s"
                         % (input.shape,))
    h0 = c0 = None
    if hx is not None:
        if mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("hx of an LSTM must be a tuple (h_0, c_0)")
            h0, c0 = hx
        else:
            h0 = hx
        shape = (num_layers * directions,) + (() if unbatched else (batch,)) + (hidden,)
        for name, s in (("h_0", h0), ("c_0", c0)):
            if s is not None:
                _check_state(s, "hx" if mode != "LSTM" else name, shape, x.dtype)
        if unbatched:
            h0 = h0.unsqueeze(1)
            c0 = None if c0 is None else c0.unsqueeze(1)
    if lengths is not None:
        lengths = ops.rnn.rnn_lengths(lengths, seq_len, batch)
    flat = RecurrentNetwork.apply(
        x, h0, c0, *params, mode=mode, num_layers=int(num_layers), directions=directions,
        has_biases=bool(has_biases), dropout=float(dropout), training=bool(train),
        lengths=lengths)
    states = num_layers * directions
    n_y, n_h = seq_len * batch * directions * hidden, states * batch * hidden
    output = flat[:n_y].reshape(seq_len, batch, directions * hidden)
    h_n = flat[n_y:n_y + n_h].reshape(states, batch, hidden)
    c_n = flat[n_y + n_h:].reshape(states, batch, hidden) if mode == "LSTM" else None
    if unbatched:
        output, h_n = output.squeeze(1), h_n.squeeze(1)
        c_n = None if c_n is None else c_n.squeeze(1)
    elif batch_first:
        output = output.transpose(0, 1)
    return output, h_n, c_n


def rnn_tanh(input: Tensor, hx: Optional[Tensor], params: Sequence[Tensor],
             has_biases: bool, num_layers: int, dropout: float, train: bool,
             bidirectional: bool, batch_first: bool, lengths=None) -> Tuple[Tensor, Tensor]:
    """(output, h_n) of an Elman RNN with tanh, as torch.rnn_tanh."""
    output, h_n, _ = _network("RNN_TANH", input, hx, params, has_biases, num_layers,
                              dropout, train, bidirectional, batch_first, lengths)
    return output, h_n


def rnn_relu(input: Tensor, hx: Optional[Tensor], params: Sequence[Tensor],
             has_biases: bool, num_layers: int, dropout: float, train: bool,
             bidirectional: bool, batch_first: bool, lengths=None) -> Tuple[Tensor, Tensor]:
    """(output, h_n) of an Elman RNN with ReLU, as torch.rnn_relu."""
    output, h_n, _ = _network("RNN_RELU", input, hx, params, has_biases, num_layers,
                              dropout, train, bidirectional, batch_first, lengths)
    return output, h_n


def lstm(input: Tensor, hx, params: Sequence[Tensor], has_biases: bool, num_layers: int,
         dropout: float, train: bool, bidirectional: bool, batch_first: bool,
         lengths=None) -> Tuple[Tensor, Tensor, Tensor]:
    """(output, h_n, c_n) of an LSTM, as torch.lstm; hx is (h_0, c_0) or None."""
    return _network("LSTM", input, hx, params, has_biases, num_layers, dropout, train,
                    bidirectional, batch_first, lengths)


def gru(input: Tensor, hx: Optional[Tensor], params: Sequence[Tensor], has_biases: bool,
        num_layers: int, dropout: float, train: bool, bidirectional: bool,
        batch_first: bool, lengths=None) -> Tuple[Tensor, Tensor]:
    """(output, h_n) of a GRU, as torch.gru."""
    output, h_n, _ = _network("GRU", input, hx, params, has_biases, num_layers, dropout,
                              train, bidirectional, batch_first, lengths)
    return output, h_n


# ---------------------------------------------------------------- cells

def _cell(mode: str, input: Tensor, hx, w_ih: Tensor, w_hh: Tensor,
          b_ih: Optional[Tensor], b_hh: Optional[Tensor]):
    """One step of one layer: (h', c' or None) for input (B, I) or (I,)."""
    check_tensor(input, "input")
    if input.ndim not in (1, 2):
        raise ValueError("input of a cell must be 1-D (input_size,) or 2-D (batch, "
                         "input_size), got shape %s" % (input.shape,))
    if (b_ih is None) != (b_hh is None):
        raise ValueError("b_ih and b_hh must both be given or both be None")
    params = [w_ih, w_hh] + ([b_ih, b_hh] if b_ih is not None else [])
    for name, p in zip(("w_ih", "w_hh", "b_ih", "b_hh"), params):
        check_tensor(p, name)
    unbatched = input.ndim == 1
    x = input.unsqueeze(0) if unbatched else input
    states = None
    if hx is not None:
        parts = list(hx) if mode == "LSTM" else [hx]
        if mode == "LSTM" and len(parts) != 2:
            raise TypeError("hx of an LSTM cell must be a tuple (h_0, c_0)")
        hidden = w_hh.shape[1] if w_hh.ndim == 2 else 0
        shape = (x.shape[0], hidden)
        for name, s in zip(("h_0", "c_0") if mode == "LSTM" else ("hx",), parts):
            check_tensor(s, name)
            if s.shape != (shape[1:] if unbatched else shape):
                raise ValueError("%s must have shape %s (batch, hidden_size), got %s"
                                 % (name, shape[1:] if unbatched else shape, s.shape))
        states = [(s.unsqueeze(0) if unbatched else s).unsqueeze(0) for s in parts]
        states = tuple(states) if mode == "LSTM" else states[0]
    _, h_n, c_n = _network(mode, x.unsqueeze(0), states, params, b_ih is not None, 1, 0.0,
                           False, False, False)
    h, c = h_n[0], None if c_n is None else c_n[0]
    if unbatched:
        h, c = h[0], None if c is None else c[0]
    return h, c


def rnn_tanh_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
                  b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh), as torch.rnn_tanh_cell."""
    return _cell("RNN_TANH", input, hx, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
                  b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """h' = relu(W_ih x + b_ih + W_hh h + b_hh), as torch.rnn_relu_cell."""
    return _cell("RNN_RELU", input, hx, w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
              b_hh: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """(h', c') of one LSTM step, as torch.lstm_cell; hx is (h, c) or None."""
    return _cell("LSTM", input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
             b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """h' of one GRU step, as torch.gru_cell."""
    return _cell("GRU", input, hx, w_ih, w_hh, b_ih, b_hh)[0]


# ---------------------------------------------------------------- packed sequences

class _GatherRows(Function):
    """x.reshape(rows, -1)[index] with unique indices; backward scatters back."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, index, out_shape):
        ctx.shape = x.shape
        ctx.index = index
        return x.reshape(x.shape[0] * x.shape[1], -1)[index].reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(grad)
        rows = ctx.shape[0] * ctx.shape[1]
        out = xp.zeros((rows,) + tuple(grad.shape[1:]), dtype=grad.dtype)
        out[ctx.index] = grad
        return out.reshape(ctx.shape), None, None


class _ScatterRows(Function):
    """A (T, B, *) array of padding_value with data's rows placed at index (unique)."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, data, index, shape, padding_value):
        xp = array_module(data)
        out = xp.full((shape[0] * shape[1],) + tuple(data.shape[1:]), padding_value,
                      dtype=data.dtype)
        out[index] = data
        ctx.index, ctx.rows = index, shape[0] * shape[1]
        return out.reshape(tuple(shape[:2]) + tuple(data.shape[1:]))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape((ctx.rows,) + tuple(grad.shape[2:]))[ctx.index], None, None, None


def _host_ints(values, name: str) -> np.ndarray:
    """A 1-D int64 numpy array from a Tensor, array or list of ints."""
    if isinstance(values, Tensor):
        values = values._data
    values = np.asarray(getattr(values, "get", lambda: values)())
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
        raise TypeError("%s must be a 1-D sequence of ints, got %r" % (name, values))
    return values.astype(np.int64)


def packed_index(batch_sizes, batch: int) -> np.ndarray:
    """Flat (t * batch + b) positions, in packed order, of a packed sequence's rows."""
    sizes = _host_ints(batch_sizes, "batch_sizes")
    if sizes.size == 0 or sizes.min() < 1 or np.any(np.diff(sizes) > 0) or sizes[0] > batch:
        raise ValueError("batch_sizes must be non-increasing, positive and at most the batch "
                         "size %d, got %s" % (batch, sizes))
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(sizes)])


def lengths_from_batch_sizes(batch_sizes) -> np.ndarray:
    """Each (sorted) sequence's length: how many steps have it in their batch."""
    sizes = _host_ints(batch_sizes, "batch_sizes")
    return (sizes[:, None] > np.arange(int(sizes[0]) if sizes.size else 0)[None, :]).sum(0)


def pack_rows(padded: Tensor, batch_sizes) -> Tensor:
    """The packed data (sum of lengths, *) of a time-major padded (T, B, *) Tensor whose
    batch is sorted by decreasing length (differentiable)."""
    check_tensor(padded, "input")
    index = packed_index(batch_sizes, padded.shape[1])
    if len(_host_ints(batch_sizes, "batch_sizes")) > padded.shape[0]:
        raise ValueError("batch_sizes has more steps than the input (%d)" % padded.shape[0])
    return _GatherRows.apply(padded, index=index,
                             out_shape=(len(index),) + tuple(padded.shape[2:]))


def scatter_rows(data: Tensor, index: np.ndarray, shape: Tuple[int, int],
                 padding_value: float = 0.0) -> Tensor:
    """A (T, B, *) Tensor of padding_value with the rows of data (N, *) at the flat
    positions index (t * B + b, unique) (differentiable)."""
    return _ScatterRows.apply(data, index=index, shape=shape, padding_value=padding_value)


def padded_positions(lengths: Sequence[int], steps: int, side: str = "right") -> np.ndarray:
    """Flat (t * B + b) positions of every step of every sequence, sequence by sequence,
    in a (steps, B) padded batch whose padding is on the right (or the left)."""
    batch = len(lengths)
    return np.concatenate([((steps - n if side == "left" else 0) + np.arange(n)) * batch + b
                           for b, n in enumerate(lengths)]).astype(np.int64)


def unpack_rows(data: Tensor, batch_sizes, total_length: Optional[int] = None,
                padding_value: float = 0.0) -> Tensor:
    """The time-major padded (T, B, *) Tensor of packed data, padding_value elsewhere
    (differentiable); T is the longest length or total_length."""
    check_tensor(data, "data")
    sizes = _host_ints(batch_sizes, "batch_sizes")
    batch = int(sizes[0]) if sizes.size else 0
    steps = len(sizes) if total_length is None else int(total_length)
    index = packed_index(sizes, batch)
    if data.ndim < 1 or data.shape[0] != len(index):
        raise ValueError("data has %s rows but batch_sizes sum to %d"
                         % (data.shape[0] if data.ndim else 0, len(index)))
    return scatter_rows(data, index, (steps, batch), padding_value)


def check_lengths(lengths, batch: int, steps: int) -> np.ndarray:
    """lengths as int64 host values after checking them against the batch and the number
    of steps (each in [1, steps])."""
    values = _host_ints(lengths, "lengths")
    if values.shape != (batch,):
        raise ValueError("lengths must have one entry per sequence (%d), got %d"
                         % (batch, values.shape[0]))
    if values.size and values.min() < 1:
        raise ValueError("lengths must all be >= 1, got %d" % values.min())
    if values.size and values.max() > steps:
        raise ValueError("lengths must not exceed the sequence length %d, got %d"
                         % (steps, values.max()))
    return values


def sort_lengths(lengths, batch: int, steps: int, enforce_sorted: bool):
    """(lengths sorted by decreasing value, sorted_indices or None, unsorted_indices or
    None), after checking them (check_lengths); enforce_sorted refuses unsorted ones."""
    values = check_lengths(lengths, batch, steps)
    if enforce_sorted:
        if np.any(np.diff(values) > 0):
            raise ValueError("lengths must be sorted in decreasing order when "
                             "enforce_sorted=True, got %s; pass enforce_sorted=False to "
                             "sort them" % values.tolist())
        return values, None, None
    order = np.argsort(-values, kind="stable")
    return values[order], order, np.argsort(order)
