"""Recurrent layers on raw arrays: one direction of one layer over all time steps.

`rnn_forward` runs a whole sequence (tanh/relu RNN, LSTM or GRU, PyTorch's equations,
weights and gate order) in one native call and returns, besides the output and final
states, a workspace array that `rnn_backward` reads to give every gradient in one call
too. A multi-layer or bidirectional network is a few such calls (fastconv.functional.rnn).

Shapes (time-major): input (T, B, I); w_ih (G*H, I); w_hh (G*H, H); b_ih, b_hh (G*H,)
or None; h0, c0 (B, H) or None (zeros); G = 1 (tanh, relu), 4 (LSTM: i f g o) or 3
(GRU: r z n). lengths (B,) ints in [1, T] or None: steps t >= lengths[b] of sequence b
are padding, which changes neither the states nor any gradient, and gives 0 outputs.
"""
from typing import Optional, Tuple

import numpy as np

from .. import _xp
from . import _args
from ._dispatch import backend, nthreads

MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3}
_GATES = (1, 1, 4, 3)


def rnn_mode(mode) -> int:
    """The mode's code: 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU' (or 0..3)."""
    if isinstance(mode, str) and mode in MODES:
        return MODES[mode]
    if isinstance(mode, (int, np.integer)) and not isinstance(mode, bool) and 0 <= mode < 4:
        return int(mode)
    raise ValueError("mode must be one of %s, got %r" % (", ".join(MODES), mode))


def rnn_gates(mode) -> int:
    """Gates per hidden unit: 1 (tanh, relu), 4 (LSTM), 3 (GRU)."""
    return _GATES[rnn_mode(mode)]


def rnn_workspace_size(mode, seq_len: int, batch: int, hidden: int) -> int:
    """Elements of the workspace rnn_forward fills and rnn_backward reads (layout:
    csrc/include/fastconv/rnn.h): the gates of every step, the states, the cells."""
    m = rnn_mode(mode)
    cols = 4 * hidden if m >= 2 else hidden
    states = (seq_len + 1) * batch * hidden
    return seq_len * batch * cols + states * (2 if m == 2 else 1)


def rnn_lengths(lengths, seq_len: int, batch: int, name: str = "lengths"):
    """lengths as a C-contiguous int64 numpy array of `batch` values in [1, seq_len]."""
    if lengths is None:
        return None
    values = np.asarray(_xp.to_host(lengths))   # the kernels read lengths on the host
    if values.dtype.kind not in "iu" and not (values.dtype.kind == "f" and values.size
                                              and np.all(values == np.round(values))):
        raise TypeError("%s must hold integers, got dtype %s" % (name, values.dtype))
    if values.shape != (batch,):
        raise ValueError("%s must have one entry per sequence, shape (%d,), got %s"
                         % (name, batch, values.shape))
    values = np.ascontiguousarray(values, dtype=np.int64)
    if batch and (values.min() < 1 or values.max() > seq_len):
        raise ValueError("%s must be in [1, %d] (the sequence length), got min %d, max %d"
                         % (name, seq_len, values.min(), values.max()))
    return values


def _check_state(state, name: str, batch: int, hidden: int, dtype, xp):
    if state is None:
        return xp.zeros((batch, hidden), dtype=dtype)
    state = _args.float_array(state, name)
    if tuple(state.shape) != (batch, hidden):
        raise ValueError("%s must have shape (%d, %d) (batch, hidden_size), got %s"
                         % (name, batch, hidden, tuple(state.shape)))
    if state.dtype != dtype:
        raise TypeError("%s (%s) must have the dtype of the input (%s)"
                        % (name, state.dtype, np.dtype(dtype)))
    return state


def _check_weights(m: int, x, w_ih, w_hh, b_ih, b_hh):
    """(w_ih, w_hh, b_ih, b_hh) checked against x; returns them with hidden_size."""
    g = _GATES[m]
    w_ih = _args.float_array(w_ih, "w_ih", 2)
    w_hh = _args.float_array(w_hh, "w_hh", 2)
    for name, w in (("w_ih", w_ih), ("w_hh", w_hh)):
        _args.same_dtype("input", x, name, w)
    rows = w_hh.shape[0]
    if rows % g or rows == 0:
        raise ValueError("w_hh must have %d*hidden_size rows, got shape %s"
                         % (g, tuple(w_hh.shape)))
    hidden = rows // g
    if w_hh.shape[1] != hidden:
        raise ValueError("w_hh must have shape (%d, %d), got %s"
                         % (rows, hidden, tuple(w_hh.shape)))
    if tuple(w_ih.shape) != (rows, x.shape[2]):
        raise ValueError("w_ih must have shape (%d, %d) (%d*hidden_size, input_size), got "
                         "%s" % (rows, x.shape[2], g, tuple(w_ih.shape)))
    biases = []
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None:
            b = _args.float_array(b, name, 1)
            _args.same_dtype("input", x, name, b)
            if b.shape[0] != rows:
                raise ValueError("%s must have shape (%d,), got %s"
                                 % (name, rows, tuple(b.shape)))
        biases.append(b)
    return w_ih, w_hh, biases[0], biases[1], hidden


def _check_input(x):
    x = _args.float_array(x, "input", 3)
    if x.shape[0] == 0 or x.shape[1] == 0 or x.shape[2] == 0:
        raise ValueError("input must have shape (seq_len, batch, input_size) with no empty "
                         "dimension, got %s" % (tuple(x.shape),))
    return x


def rnn_forward(mode, input, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, *,
                lengths=None, reverse: bool = False, out=None, out_offset: int = 0,
                h_n=None, c_n=None) -> Tuple[object, object, Optional[object], object]:
    """One direction of a recurrent layer over the whole sequence.

    Returns (output, h_n, c_n, workspace): output (T, B, H), or the `out` array
    (T, B, Y) whose columns out_offset .. out_offset+H this direction writes (the two
    halves of a bidirectional layer); h_n, c_n (B, H) the states after each sequence's
    last step (c_n None unless LSTM; `h_n=`/`c_n=` give buffers); workspace for
    rnn_backward. reverse runs t = T-1 .. 0 (with lengths: from each sequence's end).
    """
    m = rnn_mode(mode)
    xp = _args.array_module(input, w_ih, w_hh, b_ih, b_hh, h0, c0, out, h_n, c_n)
    x = _check_input(input)
    w_ih, w_hh, b_ih, b_hh, hidden = _check_weights(m, x, w_ih, w_hh, b_ih, b_hh)
    seq_len, batch = x.shape[0], x.shape[1]
    h0 = _check_state(h0, "h0", batch, hidden, x.dtype, xp)
    c0 = _check_state(c0, "c0", batch, hidden, x.dtype, xp) if m == 2 else None
    lengths = rnn_lengths(lengths, seq_len, batch)
    if out is None:
        if out_offset != 0:
            raise ValueError("out_offset needs an out= array")
        y = xp.empty((seq_len, batch, hidden), dtype=x.dtype)
        width = hidden
    else:
        if not isinstance(out, xp.ndarray) or out.ndim != 3:
            raise ValueError("out must be a 3-D array (seq_len, batch, width)")
        width = out.shape[2]
        y = _args.check_out(out, (seq_len, batch, width), x.dtype, xp)
        if not 0 <= out_offset <= width - hidden:
            raise ValueError("out_offset must be in [0, %d] for out of width %d, got %r"
                             % (width - hidden, width, out_offset))
    hn = _args.check_out(h_n, (batch, hidden), x.dtype, xp, "h_n")
    cn = _args.check_out(c_n, (batch, hidden), x.dtype, xp, "c_n") if m == 2 else None
    ws = xp.empty(rnn_workspace_size(m, seq_len, batch, hidden), dtype=x.dtype)
    geom = (m, int(bool(reverse)), seq_len, batch, x.shape[2], hidden, width, int(out_offset))
    backend(xp).rnn_forward(geom, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hn, cn, ws,
                            nthreads())
    return y, hn, cn, ws


def rnn_backward(mode, input, w_ih, w_hh, workspace, grad_output=None, grad_h_n=None,
                 grad_c_n=None, *, lengths=None, reverse: bool = False,
                 grad_offset: int = 0, bias: bool = True, input_grad: bool = True,
                 weight_grad: bool = True, grad_input=None):
    """Gradients of rnn_forward (called with the same arguments) from its workspace.

    grad_output (T, B, Y) with this direction's columns at grad_offset (None: zero);
    grad_h_n, grad_c_n (B, H) or None. Returns (grad_input, grad_w_ih, grad_w_hh,
    grad_b_ih, grad_b_hh, grad_h0, grad_c0): bias=False, input_grad=False or
    weight_grad=False leave those None; grad_c0 is None unless LSTM. grad_input= an
    existing (T, B, I) array adds this direction's input gradient to it.
    """
    m = rnn_mode(mode)
    xp = _args.array_module(input, w_ih, w_hh, workspace, grad_output, grad_h_n, grad_c_n,
                            grad_input)
    x = _check_input(input)
    w_ih, w_hh, _, _, hidden = _check_weights(m, x, w_ih, w_hh, None, None)
    seq_len, batch, isize = x.shape
    lengths = rnn_lengths(lengths, seq_len, batch)
    dtype = x.dtype
    ws = _args.float_array(workspace, "workspace", 1)
    size = rnn_workspace_size(m, seq_len, batch, hidden)
    if ws.shape[0] != size or ws.dtype != dtype:
        raise ValueError("workspace must be the %s array of %d elements that rnn_forward "
                         "returned, got %s %s" % (dtype, size, ws.dtype, tuple(ws.shape)))
    width = hidden
    dy = None
    if grad_output is not None:
        dy = _args.float_array(grad_output, "grad_output", 3)
        _args.same_dtype("input", x, "grad_output", dy)
        width = dy.shape[2]
        if tuple(dy.shape[:2]) != (seq_len, batch) or not 0 <= grad_offset <= width - hidden:
            raise ValueError("grad_output must have shape (%d, %d, >= %d + grad_offset), "
                             "got %s" % (seq_len, batch, hidden, tuple(dy.shape)))
    dhn = None if grad_h_n is None else _check_state(grad_h_n, "grad_h_n", batch, hidden,
                                                       dtype, xp)
    dcn = None
    if m == 2 and grad_c_n is not None:
        dcn = _check_state(grad_c_n, "grad_c_n", batch, hidden, dtype, xp)
    accumulate = grad_input is not None
    dx = None
    if input_grad:
        dx = _args.check_out(grad_input, (seq_len, batch, isize), dtype, xp, "grad_input")
    rows = w_hh.shape[0]
    dw_ih = xp.empty((rows, isize), dtype=dtype) if weight_grad else None
    dw_hh = xp.empty((rows, hidden), dtype=dtype) if weight_grad else None
    db_ih = xp.empty(rows, dtype=dtype) if bias else None
    db_hh = xp.empty(rows, dtype=dtype) if bias else None
    dh0 = xp.empty((batch, hidden), dtype=dtype)
    dc0 = xp.empty((batch, hidden), dtype=dtype) if m == 2 else None
    geom = (m, int(bool(reverse)), seq_len, batch, isize, hidden, width,
            int(grad_offset) if dy is not None else 0)
    backend(xp).rnn_backward(geom, x, w_ih, w_hh, lengths, ws, dy, dhn, dcn, dx, dw_ih, dw_hh,
                             db_ih, db_hh, dh0, dc0, bool(accumulate and input_grad),
                             nthreads())
    return dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0
