"""fastconv.ops.rnn_forward / rnn_backward: one direction of one recurrent layer.

Forward against plain per-step float64 loops written here; backward against the
gradient of a scalar through finite differences of the same loops (small sizes) and
against the generic backend; padded lengths; 1 vs 2 threads bit for bit; bad input.
"""
import numpy as np
import pytest

import fastconv
from fastconv import ops
from fastconv.ops._dispatch import use_backend

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def ref_layer(mode, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths=None, reverse=False):
    """Plain loops over time and batch: (y (T, B, H), h_n, c_n)."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    lengths = [steps] * batch if lengths is None else lengths
    y = np.zeros((steps, batch, hidden))
    h_n, c_n = h0.copy(), c0.copy()
    for b in range(batch):
        h, c = h0[b].copy(), c0[b].copy()
        order = range(lengths[b] - 1, -1, -1) if reverse else range(lengths[b])
        for t in order:
            gi = w_ih @ x[t, b] + b_ih
            gh = w_hh @ h + b_hh
            if mode == "RNN_TANH":
                h = np.tanh(gi + gh)
            elif mode == "RNN_RELU":
                h = np.maximum(gi + gh, 0)
            elif mode == "LSTM":
                g = gi + gh
                i, f = sigmoid(g[:hidden]), sigmoid(g[hidden:2 * hidden])
                u, o = np.tanh(g[2 * hidden:3 * hidden]), sigmoid(g[3 * hidden:])
                c = f * c + i * u
                h = o * np.tanh(c)
            else:
                r = sigmoid(gi[:hidden] + gh[:hidden])
                z = sigmoid(gi[hidden:2 * hidden] + gh[hidden:2 * hidden])
                n = np.tanh(gi[2 * hidden:] + r * gh[2 * hidden:])
                h = (1 - z) * n + z * h
            y[t, b] = h
        h_n[b], c_n[b] = h, c
    return y, h_n, c_n


def draw(mode, steps, batch, isize, hidden, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    g = GATES[mode]
    shapes = [(steps, batch, isize), (g * hidden, isize), (g * hidden, hidden), (g * hidden,),
              (g * hidden,), (batch, hidden), (batch, hidden)]
    return [(rng.standard_normal(s) * 0.5).astype(dtype) for s in shapes]


CASES = [(mode, reverse, lengths) for mode in GATES for reverse in (False, True)
         for lengths in (None, [4, 2, 3])]


@pytest.mark.parametrize("mode,reverse,lengths", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_per_step_loops(mode, reverse, lengths, dtype):
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = draw(mode, 4, 3, 5, 6)
    y_ref, hn_ref, cn_ref = ref_layer(mode, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths,
                                      reverse)
    args = [a.astype(dtype) for a in (x, w_ih, w_hh, b_ih, b_hh, h0)]
    y, hn, cn, _ = ops.rnn_forward(mode, *args, c0.astype(dtype) if mode == "LSTM" else None,
                                   lengths=lengths, reverse=reverse)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(y, y_ref, atol=tol)
    np.testing.assert_allclose(hn, hn_ref, atol=tol)
    if mode == "LSTM":
        np.testing.assert_allclose(cn, cn_ref, atol=tol)
    else:
        assert cn is None


@pytest.mark.parametrize("mode,reverse,lengths", CASES)
def test_backward_matches_finite_differences_of_the_loops(mode, reverse, lengths):
    arrays = draw(mode, 4, 3, 2, 3, seed=1)
    rng = np.random.default_rng(2)
    dy = rng.standard_normal((4, 3, 3))
    dhn, dcn = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    lstm = mode == "LSTM"

    def loss(a):
        y, hn, cn = ref_layer(mode, *a, lengths, reverse)
        return (y * dy).sum() + (hn * dhn).sum() + ((cn * dcn).sum() if lstm else 0)

    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = arrays
    _, _, _, ws = ops.rnn_forward(mode, x, w_ih, w_hh, b_ih, b_hh, h0, c0 if lstm else None,
                                  lengths=lengths, reverse=reverse)
    grads = ops.rnn_backward(mode, x, w_ih, w_hh, ws, dy, dhn, dcn if lstm else None,
                             lengths=lengths, reverse=reverse)
    for which, analytic in zip([0, 1, 2, 3, 4, 5, 6], grads):
        if analytic is None:
            continue
        numeric = np.zeros_like(arrays[which])
        for i in np.ndindex(numeric.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[which][i] += 1e-6
            minus[which][i] -= 1e-6
            numeric[i] = (loss(plus) - loss(minus)) / 2e-6
        np.testing.assert_allclose(analytic, numeric, atol=1e-6, err_msg="input %d" % which)


@pytest.mark.parametrize("mode", list(GATES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_matches_generic_and_threads_agree_bit_for_bit(mode, dtype):
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = draw(mode, 6, 37, 16, 40, seed=3, dtype=dtype)
    c0 = c0 if mode == "LSTM" else None
    rng = np.random.default_rng(4)
    lengths = rng.integers(1, 7, 37)
    dy = rng.standard_normal((6, 37, 80)).astype(dtype)
    dhn = rng.standard_normal((37, 40)).astype(dtype)

    def run(reverse):
        out = np.zeros((6, 37, 80), dtype)
        _, hn, cn, ws = ops.rnn_forward(mode, x, w_ih, w_hh, b_ih, b_hh, h0, c0,
                                        lengths=lengths, reverse=reverse, out=out,
                                        out_offset=40 * reverse)
        grads = ops.rnn_backward(mode, x, w_ih, w_hh, ws, dy, dhn, c0, lengths=lengths,
                                 reverse=reverse, grad_offset=40 * reverse)
        return [out, hn, cn] + list(grads)

    saved = fastconv.get_num_threads()
    try:
        for reverse in (False, True):
            fastconv.set_num_threads(1)
            one = run(reverse)
            fastconv.set_num_threads(2)
            two = run(reverse)
            with use_backend("generic"):
                generic = run(reverse)
            tol = 1e-11 if dtype == np.float64 else 1e-4
            for a, b, g in zip(one, two, generic):
                if a is None:
                    assert b is None and g is None
                    continue
                np.testing.assert_array_equal(a, b)
                np.testing.assert_allclose(a, g, atol=tol * max(1, np.abs(g).max()))
    finally:
        fastconv.set_num_threads(saved)


def test_padded_steps_give_zero_outputs_and_no_gradient():
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = draw("GRU", 5, 2, 3, 4)
    y, hn, _, ws = ops.rnn_forward("GRU", x, w_ih, w_hh, b_ih, b_hh, h0, lengths=[5, 2])
    assert np.all(y[2:, 1] == 0)
    np.testing.assert_array_equal(hn[1], y[1, 1])
    dy = np.ones_like(y)
    dx = ops.rnn_backward("GRU", x, w_ih, w_hh, ws, dy, lengths=[5, 2])[0]
    assert np.all(dx[2:, 1] == 0) and np.any(dx[:2, 1] != 0)
    x2 = x.copy()
    x2[2:, 1] = np.nan   # whatever sits in the padding is never read
    y2, hn2, _, _ = ops.rnn_forward("GRU", x2, w_ih, w_hh, b_ih, b_hh, h0, lengths=[5, 2])
    np.testing.assert_array_equal(y2[:, 1], y[:, 1])
    np.testing.assert_array_equal(hn2, hn)


def test_accumulating_the_input_gradient_of_two_directions():
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = draw("RNN_TANH", 3, 2, 3, 4)
    dy = np.ones((3, 2, 4))
    _, _, _, ws = ops.rnn_forward("RNN_TANH", x, w_ih, w_hh, b_ih, b_hh, h0)
    once = ops.rnn_backward("RNN_TANH", x, w_ih, w_hh, ws, dy)[0]
    total = once.copy()
    ops.rnn_backward("RNN_TANH", x, w_ih, w_hh, ws, dy, grad_input=total)
    np.testing.assert_allclose(total, 2 * once)


def _bad(**changes):
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = draw("LSTM", 3, 2, 5, 4)
    args = dict(mode="LSTM", input=x, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh, h0=h0,
                c0=c0)
    args.update(changes)
    lengths = args.pop("lengths", None)
    return lambda: ops.rnn_forward(**args, lengths=lengths)


@pytest.mark.parametrize("call,error,match", [
    (_bad(mode="LSTMX"), ValueError, "mode"),
    (_bad(input=np.zeros((3, 2, 6))), ValueError, "w_ih"),
    (_bad(input=np.zeros((3, 2))), ValueError, "input"),
    (_bad(input=np.zeros((3, 2, 5), np.float16)), TypeError, "input"),
    (_bad(input=np.zeros((3, 2, 5), np.float32)), TypeError, "w_ih"),
    (_bad(w_hh=np.zeros((16, 5))), ValueError, "w_hh"),
    (_bad(b_ih=np.zeros(15)), ValueError, "b_ih"),
    (_bad(h0=np.zeros((3, 4))), ValueError, "h0"),
    (_bad(c0=np.zeros((2, 5))), ValueError, "c0"),
    (_bad(lengths=[4, 1]), ValueError, "lengths"),
    (_bad(lengths=[0, 1]), ValueError, "lengths"),
    (_bad(lengths=[1]), ValueError, "lengths"),
    (_bad(lengths=[1.5, 1]), TypeError, "lengths"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_backward_refuses_a_foreign_workspace():
    x, w_ih, w_hh, b_ih, b_hh, h0, _ = draw("GRU", 3, 2, 5, 4)
    with pytest.raises(ValueError, match="workspace"):
        ops.rnn_backward("GRU", x, w_ih, w_hh, np.zeros(7), np.ones((3, 2, 4)))
