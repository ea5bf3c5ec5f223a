"""nn.RNN, LSTM, GRU and their cells against torch.nn: parameter names, shapes, order and
initialisation, state_dicts both ways, outputs and gradients (batch_first, initial
states, bidirectional, packed sequences), and the argument errors."""
import math
import warnings

import numpy as np
import pytest

import fastconv
from fastconv import nn
from fastconv.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch = pytest.importorskip("torch")

LAYERS = {"RNN": (nn.RNN, "RNN"), "LSTM": (nn.LSTM, "LSTM"), "GRU": (nn.GRU, "GRU")}
CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}
CONFIGS = [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False),
           dict(num_layers=3, batch_first=True), dict(nonlinearity="relu")]


def _pairs(name, config):
    if "nonlinearity" in config and name != "RNN":
        pytest.skip("nonlinearity is RNN's only")
    ours = LAYERS[name][0](5, 6, **config)
    theirs = getattr(torch.nn, LAYERS[name][1])(5, 6, **config)
    return ours, theirs


def _load_torch_into_ours(ours, theirs):
    ours.load_state_dict({k: fastconv.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_parameters_are_named_shaped_and_ordered_as_torch(name, config):
    ours, theirs = _pairs(name, config)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", list(LAYERS) + list(CELLS))
def test_initialisation_is_uniform_in_one_over_sqrt_hidden(name):
    fastconv.manual_seed(0)
    module = (LAYERS[name][0] if name in LAYERS else CELLS[name])(20, 64)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)   # U(-b, b)
    fastconv.manual_seed(0)
    again = (LAYERS[name][0] if name in LAYERS else CELLS[name])(20, 64)
    np.testing.assert_array_equal(values, np.concatenate(
        [p.detach().numpy().ravel() for p in again.parameters()]))


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_state_dict_moves_both_ways_and_outputs_and_gradients_match(name, config):
    ours, theirs = _pairs(name, config)
    ours.double()
    theirs.double()
    _load_torch_into_ours(ours, theirs)
    back = getattr(torch.nn, LAYERS[name][1])(5, 6, **config).double()
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                          for k, v in ours.state_dict().items()})
    for a, b in zip(back.parameters(), theirs.parameters()):
        assert torch.equal(a, b)
    rng = np.random.default_rng(0)
    batch_first = config.get("batch_first", False)
    x = rng.standard_normal((3, 4, 5) if batch_first else (4, 3, 5))
    layers = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    h0 = rng.standard_normal((layers, 3, 6))
    c0 = rng.standard_normal((layers, 3, 6))
    xo, xt = fastconv.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    h0o, h0t = fastconv.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    c0o, c0t = fastconv.tensor(c0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    lstm = name == "LSTM"
    out_o, hid_o = ours(xo, (h0o, c0o) if lstm else h0o)
    out_t, hid_t = theirs(xt, (h0t, c0t) if lstm else h0t)
    states_o = list(hid_o) if lstm else [hid_o]
    states_t = list(hid_t) if lstm else [hid_t]
    np.testing.assert_allclose(_np(out_o), _np(out_t), atol=1e-12)
    for a, b in zip(states_o, states_t):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-12)
    g = rng.standard_normal(out_o.shape)
    loss_o = (out_o * fastconv.tensor(g)).sum() + sum(s.sum() for s in states_o)
    loss_t = (out_t * torch.tensor(g)).sum() + sum(s.sum() for s in states_t)
    loss_o.backward()
    loss_t.backward()
    for a, b in [(xo, xt), (h0o, h0t)] + ([(c0o, c0t)] if lstm else []):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
    for (n, a), b in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-11, err_msg=n)


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_torch(name, enforce_sorted):
    ours, theirs = _pairs(name, dict(num_layers=2, bidirectional=True))
    ours.double()
    theirs.double()
    _load_torch_into_ours(ours, theirs)
    rng = np.random.default_rng(1)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]
    x = rng.standard_normal((6, 4, 5))
    h0 = rng.standard_normal((4, 4, 6))
    xo, xt = fastconv.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    h0o, h0t = fastconv.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    po = pack_padded_sequence(xo, lengths, enforce_sorted=enforce_sorted)
    pt = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths),
                                                 enforce_sorted=enforce_sorted)
    lstm = name == "LSTM"
    out_o, hid_o = ours(po, (h0o, h0o * 0.5) if lstm else h0o)
    out_t, hid_t = theirs(pt, (h0t, h0t * 0.5) if lstm else h0t)
    np.testing.assert_array_equal(out_o.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    np.testing.assert_allclose(_np(out_o.data), _np(out_t.data), atol=1e-12)
    states_o = list(hid_o) if lstm else [hid_o]
    states_t = list(hid_t) if lstm else [hid_t]
    for a, b in zip(states_o, states_t):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-12)
    yo, lo = pad_packed_sequence(out_o, batch_first=True)
    yt, lt = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=True)
    np.testing.assert_array_equal(lo.numpy(), lt.numpy())
    g = rng.standard_normal(yo.shape)
    ((yo * fastconv.tensor(g)).sum() + sum(s.sum() for s in states_o)).backward()
    ((yt * torch.tensor(g)).sum() + sum(s.sum() for s in states_t)).backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(h0o.grad.numpy(), h0t.grad.numpy(), atol=1e-12)
    for (n, a), b in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-11, err_msg=n)


def test_padded_steps_change_neither_outputs_nor_gradients():
    """A sequence padded with garbage gives the outputs and gradients of the same sequence
    run alone, at its own length."""
    fastconv.manual_seed(0)
    gru = nn.GRU(3, 4, bidirectional=True).double()
    rng = np.random.default_rng(2)
    short = rng.standard_normal((2, 1, 3))
    padded = np.concatenate([short, 1e3 * rng.standard_normal((3, 1, 3))])
    long_seq = rng.standard_normal((5, 1, 3))
    batch = fastconv.tensor(np.concatenate([long_seq, padded], axis=1), requires_grad=True)
    out, h = gru(pack_padded_sequence(batch, [5, 2]))
    y, _ = pad_packed_sequence(out)
    (y.sum() + h.sum()).backward()
    grads = [p.grad.numpy().copy() for p in gru.parameters()]
    gru.zero_grad()
    alone = [fastconv.tensor(long_seq), fastconv.tensor(short, requires_grad=True)]
    total = 0
    outs = []
    for seq in alone:
        o, hh = gru(seq)
        outs.append((o, hh))
        total = total + o.sum() + hh.sum()
    total.backward()
    np.testing.assert_allclose(y.detach().numpy()[:2, 1], outs[1][0].detach().numpy()[:, 0],
                               atol=1e-12)
    assert np.all(y.detach().numpy()[2:, 1] == 0)
    np.testing.assert_allclose(h.detach().numpy()[:, 1], outs[1][1].detach().numpy()[:, 0],
                               atol=1e-12)
    np.testing.assert_allclose(batch.grad.numpy()[:2, 1], alone[1].grad.numpy()[:, 0],
                               atol=1e-12)
    assert np.all(batch.grad.numpy()[2:, 1] == 0)
    for a, b in zip(grads, gru.parameters()):
        np.testing.assert_allclose(a, b.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, batched):
    ours = CELLS[name](5, 6).double()
    theirs = getattr(torch.nn, name)(5, 6).double()
    _load_torch_into_ours(ours, theirs)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5) if batched else (5,))
    h = rng.standard_normal((3, 6) if batched else (6,))
    xo, xt = fastconv.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lstm = name == "LSTMCell"
    ho, ht = fastconv.tensor(h), torch.tensor(h)
    out_o = ours(xo, (ho, ho * 2) if lstm else ho)
    out_t = theirs(xt, (ht, ht * 2) if lstm else ht)
    outs_o, outs_t = (list(out_o), list(out_t)) if lstm else ([out_o], [out_t])
    for a, b in zip(outs_o, outs_t):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-12)
    sum(s.sum() for s in outs_o).backward()
    sum(s.sum() for s in outs_t).backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
    zero_o = ours(xo)   # no state: zeros
    zero_t = theirs(xt)
    np.testing.assert_allclose(_np(zero_o[0] if lstm else zero_o),
                               _np(zero_t[0] if lstm else zero_t), atol=1e-12)


@pytest.mark.parametrize("name", list(LAYERS))
def test_unbatched_input(name):
    ours, theirs = _pairs(name, dict(num_layers=2))
    _load_torch_into_ours(ours, theirs)
    x = np.random.default_rng(4).standard_normal((4, 5)).astype(np.float32)
    out_o, hid_o = ours(fastconv.tensor(x))
    out_t, hid_t = theirs(torch.tensor(x))
    assert out_o.shape == tuple(out_t.shape)
    np.testing.assert_allclose(_np(out_o), _np(out_t), atol=1e-5)
    h_o, h_t = (hid_o[0], hid_t[0]) if name == "LSTM" else (hid_o, hid_t)
    assert h_o.shape == tuple(h_t.shape) == (2, 6)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)


def test_dropout_is_active_in_training_only():
    fastconv.manual_seed(0)
    gru = nn.GRU(3, 30, num_layers=2, dropout=0.5)
    x = fastconv.tensor(np.random.default_rng(5).standard_normal((4, 8, 3)), dtype="float32")
    gru.eval()
    a, b = _np(gru(x)[0]), _np(gru(x)[0])
    np.testing.assert_array_equal(a, b)
    gru.train()
    c = _np(gru(x)[0])
    assert not np.allclose(a, c)


@pytest.mark.parametrize("call,error,match", [
    (lambda: nn.LSTM(5, 6)(fastconv.zeros(4, 3, 7)), ValueError, "input_size"),
    (lambda: nn.GRU(5, 6)(fastconv.zeros(4, 3, 5), fastconv.zeros(1, 2, 6)), ValueError,
     "hidden"),
    (lambda: nn.LSTM(5, 6)(fastconv.zeros(4, 3, 5), fastconv.zeros(1, 3, 6)), TypeError,
     "tuple"),
    (lambda: nn.LSTM(5, 6)(fastconv.zeros(4, 3, 5),
                           (fastconv.zeros(1, 3, 6), fastconv.zeros(1, 3, 5))), ValueError,
     "cell"),
    (lambda: nn.RNN(5, 6)(fastconv.zeros(4, 3, 5, 1)), ValueError, "input"),
    (lambda: nn.RNN(5, 6, nonlinearity="sigmoid"), ValueError, "nonlinearity"),
    (lambda: nn.GRU(5, 6, dropout=1.5), ValueError, "dropout"),
    (lambda: nn.GRU(5, 0), ValueError, "hidden_size"),
    (lambda: nn.GRU(5, 6, num_layers=0), ValueError, "num_layers"),
    (lambda: nn.GRU(5, 6, proj_size=2), ValueError, "proj_size"),
    (lambda: nn.LSTM(5, 6, proj_size=2), NotImplementedError, "proj_size"),
    (lambda: nn.GRUCell(5, 6)(fastconv.zeros(3, 4)), ValueError, "input_size"),
    (lambda: nn.GRUCell(5, 6)(fastconv.zeros(3, 5), fastconv.zeros(2, 6)), ValueError, "hx"),
    (lambda: nn.LSTMCell(5, 6)(fastconv.zeros(3, 5), fastconv.zeros(3, 6)), TypeError,
     "tuple"),
    (lambda: nn.RNNCell(5, 6)(fastconv.zeros(2, 3, 5)), ValueError, "1D or 2D"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_thread_count_does_not_change_a_layer():
    fastconv.manual_seed(1)
    lstm = nn.LSTM(16, 48, num_layers=2, bidirectional=True)
    x = fastconv.tensor(np.random.default_rng(6).standard_normal((7, 33, 16)),
                        dtype="float32", requires_grad=True)
    saved = fastconv.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            fastconv.set_num_threads(threads)
            lstm.zero_grad()
            x.grad = None
            out, (h, c) = lstm(x)
            (out.sum() + h.sum() + c.sum()).backward()
            results.append([out.detach().numpy(), h.detach().numpy(), x.grad.numpy()] +
                           [p.grad.numpy() for p in lstm.parameters()])
    finally:
        fastconv.set_num_threads(saved)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
