"""nn.utils.rnn: pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpad/unpack against torch.nn.utils.rnn (values, batch sizes, indices, gradients)."""
import numpy as np
import pytest

import fastconv
from fastconv.nn.utils import rnn as frnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn


def _seqs(lengths, trailing=(3,), seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n,) + trailing) for n in lengths]
    ours = [fastconv.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 2)])
def test_pad_sequence_matches_torch_with_gradients(batch_first, side, trailing):
    ours, theirs = _seqs([2, 5, 3], trailing)
    po = frnn.pad_sequence(ours, batch_first=batch_first, padding_value=-1.5,
                           padding_side=side)
    pt = trnn.pad_sequence(theirs, batch_first=batch_first, padding_value=-1.5,
                           padding_side=side)
    np.testing.assert_array_equal(po.detach().numpy(), pt.detach().numpy())
    g = np.random.default_rng(1).standard_normal(po.shape)
    (po * fastconv.tensor(g)).sum().backward()
    (pt * torch.tensor(g)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]),
                                                     (False, [3, 5, 1, 3])])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_round_trip_as_torch(enforce_sorted, lengths, batch_first):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3))
    xo, xt = fastconv.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    po = frnn.pack_padded_sequence(xo, lengths, batch_first, enforce_sorted)
    pt = trnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first, enforce_sorted)
    np.testing.assert_array_equal(po.data.detach().numpy(), pt.data.detach().numpy())
    np.testing.assert_array_equal(po.batch_sizes.numpy(), pt.batch_sizes.numpy())
    for a, b in ((po.sorted_indices, pt.sorted_indices),
                 (po.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    yo, lo = frnn.pad_packed_sequence(po, batch_first, padding_value=0.5, total_length=6)
    yt, lt = trnn.pad_packed_sequence(pt, batch_first, padding_value=0.5, total_length=6)
    np.testing.assert_array_equal(yo.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(lo.numpy(), lt.numpy())
    g = rng.standard_normal(yo.shape)
    (yo * fastconv.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(xo.grad.numpy(), xt.grad.numpy())


def test_pack_sequence_and_unpack_sequence():
    ours, theirs = _seqs([4, 2, 3], seed=3)
    po = frnn.pack_sequence(ours, enforce_sorted=False)
    pt = trnn.pack_sequence(theirs, enforce_sorted=False)
    np.testing.assert_array_equal(po.data.detach().numpy(), pt.data.detach().numpy())
    back = frnn.unpack_sequence(po)
    for a, b in zip(back, ours):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    padded = frnn.pad_sequence(ours, batch_first=True)
    for a, b in zip(frnn.unpad_sequence(padded, [4, 2, 3], batch_first=True), ours):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("call,error,match", [
    (lambda: frnn.pack_padded_sequence(fastconv.zeros(4, 3, 2), [4, 5, 1]), ValueError,
     "lengths must not exceed"),
    (lambda: frnn.pack_padded_sequence(fastconv.zeros(4, 3, 2), [2, 4, 1]), ValueError,
     "lengths must be sorted"),
    (lambda: frnn.pack_padded_sequence(fastconv.zeros(4, 3, 2), [4, 0, 0]), ValueError,
     "lengths must all be >= 1"),
    (lambda: frnn.pack_padded_sequence(fastconv.zeros(4, 3, 2), [4, 2]), ValueError,
     "lengths"),
    (lambda: frnn.pad_packed_sequence(frnn.pack_padded_sequence(
        fastconv.zeros(4, 2, 2), [4, 2]), total_length=3), ValueError, "total_length"),
    (lambda: frnn.pad_sequence([]), ValueError, "empty"),
    (lambda: frnn.pad_sequence([fastconv.zeros(2, 3), fastconv.zeros(2, 4)]), ValueError,
     "sequences\\[1\\]"),
    (lambda: frnn.pad_sequence([fastconv.zeros(2)], padding_side="middle"), ValueError,
     "padding_side"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()
