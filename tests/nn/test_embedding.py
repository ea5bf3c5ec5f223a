"""F.embedding (declared for the op harness) and nn.Embedding against torch."""
import numpy as np
import pytest

import fastconv
import fastconv.functional as F
from fastconv import nn
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests


def ref_embedding(weight, ids, padding_idx=None, scale_grad_by_freq=False):
    out = np.empty(ids.shape + (weight.shape[1],))
    for pos in np.ndindex(*ids.shape):
        out[pos] = weight[ids[pos]]
    return out


def _case(name, ids_shape, rows=7, **kwargs):
    # padding_idx and scale_grad_by_freq change the gradient on purpose (torch's
    # definition, checked against torch), so finite differences apply to plain cases only
    return OpCase(name, lambda w, ids, **kw: F.embedding(ids, w, **kw),
                  [Input((rows, 4)), Input(ids_shape, "int", low=0, high=rows)],
                  kwargs=kwargs, ref=ref_embedding,
                  torch_fn=lambda t, w, ids, **kw: t.nn.functional.embedding(ids, w, **kw),
                  native=False, gradcheck=not kwargs)


CASES = [_case("embedding-2d", (3, 5)), _case("embedding-1d", (9,)),
         _case("embedding-padding", (4, 6), padding_idx=2),
         _case("embedding-negative-padding", (4, 6), padding_idx=-1),
         _case("embedding-freq", (5, 5), rows=4, scale_grad_by_freq=True)]

test_embedding_declared = op_tests(CASES, checks=("reference", "gradcheck", "torch"))

_w = fastconv.zeros(5, 3)
test_embedding_bad_input = error_tests([
    BadCall("id too large", lambda: F.embedding(fastconv.tensor([[0, 5]]), _w), IndexError,
            "input holds id 5"),
    BadCall("negative id", lambda: F.embedding(fastconv.tensor([-1]), _w), ValueError,
            "input holds id -1"),
    BadCall("float ids", lambda: F.embedding(fastconv.tensor([0.0]), _w), TypeError,
            "input"),
    BadCall("padding_idx out of range", lambda: F.embedding(fastconv.tensor([0]), _w,
                                                            padding_idx=5),
            ValueError, "padding_idx"),
    BadCall("1-D weight", lambda: F.embedding(fastconv.tensor([0]), fastconv.zeros(5)),
            ValueError, "weight"),
    BadCall("sparse", lambda: F.embedding(fastconv.tensor([0]), _w, sparse=True),
            NotImplementedError, "sparse"),
    BadCall("module id out of range", lambda: nn.Embedding(4, 2)(fastconv.tensor([4])),
            IndexError, "input"),
])


def test_module_matches_torch_and_padding_row_stays_zero():
    torch = pytest.importorskip("torch")
    fastconv.manual_seed(0)
    ours = nn.Embedding(10, 3, padding_idx=0)
    theirs = torch.nn.Embedding(10, 3, padding_idx=0)
    assert repr(ours) == repr(theirs)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert np.all(ours.weight.detach().numpy()[0] == 0)
    assert ours.weight.detach().numpy()[1:].std() == pytest.approx(1, abs=0.35)   # N(0, 1)
    ours.load_state_dict({"weight": fastconv.tensor(theirs.weight.detach().numpy())})
    ids = np.array([[0, 3, 3], [9, 0, 1]])
    out_o = ours(fastconv.tensor(ids))
    out_t = theirs(torch.tensor(ids))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy())
    (out_o * 2).sum().backward()
    (out_t * 2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert np.all(ours.weight.grad.numpy()[0] == 0)


def test_max_norm_renormalises_the_looked_up_rows_in_place():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(0).standard_normal((6, 4)) * 3
    ours, theirs = fastconv.tensor(w.copy()), torch.tensor(w.copy())
    ids = np.array([1, 4, 4])
    out_o = F.embedding(fastconv.tensor(ids), ours, max_norm=1.0)
    out_t = torch.nn.functional.embedding(torch.tensor(ids), theirs, max_norm=1.0)
    np.testing.assert_allclose(out_o.numpy(), out_t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(ours.numpy()[0], w[0])   # rows not looked up: unchanged


def test_from_pretrained_freezes_by_default():
    table = fastconv.tensor(np.arange(6.0).reshape(3, 2))
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(fastconv.tensor([2])).numpy(), [[4.0, 5.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
