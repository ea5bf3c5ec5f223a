"""Leaf gradients never share memory with each other, with a retained .grad or with the
caller's gradient, whether or not the Function that made them promises fresh arrays
(Function.fresh_gradients lets backward() skip the defensive copy)."""
import itertools

import numpy as np

import fastconv as fc
import fastconv.functional as F
from fastconv.autograd import Function


def _no_sharing(*arrays):
    for a, b in itertools.combinations(arrays, 2):
        assert not np.shares_memory(a, b)


class PassThrough(Function):
    """Returns grad_output itself, once per input: the case the copy exists for."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


def test_a_pass_through_backward_still_gives_each_leaf_its_own_copy():
    x = fc.tensor(np.ones(3), requires_grad=True)
    y = fc.tensor(np.ones(3), requires_grad=True)
    gradient = np.arange(3.0)
    PassThrough.apply(x, y).backward(gradient)
    _no_sharing(x.grad.detach().numpy(), y.grad.detach().numpy(), gradient)
    gradient[:] = 7
    assert np.array_equal(x.grad.detach().numpy(), [0, 1, 2]) and np.array_equal(y.grad.detach().numpy(), [0, 1, 2])


def test_fresh_gradients_stay_apart_with_retain_grad_and_accumulate():
    rng = np.random.default_rng(0)
    x = fc.tensor(rng.standard_normal((2, 1, 5, 5)), requires_grad=True)
    w = fc.tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    b = fc.tensor(rng.standard_normal(3), requires_grad=True)
    h = F.relu(F.conv2d(x, w, b, padding=1))
    h.retain_grad()
    w2 = fc.tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    out = F.conv2d(h, w2, None, padding=1)
    g = np.ones(out.shape)
    out.backward(g, retain_graph=True)
    tensors = (x, w, b, h, w2)
    first = [t.grad.detach().numpy().copy() for t in tensors]
    _no_sharing(*[t.grad.detach().numpy() for t in tensors], g)
    out.backward(g)                               # accumulate a second time
    for t, once in zip(tensors, first):
        np.testing.assert_allclose(t.grad.detach().numpy(), 2 * once, rtol=1e-12)


def test_a_leaf_used_twice_by_fresh_functions_sums_into_its_own_array():
    x = fc.tensor(np.array([[-1.0, 2.0, 3.0]]), requires_grad=True)
    w = fc.tensor(np.eye(3), requires_grad=True)
    y = F.relu(F.linear(x, w)) + F.relu(F.linear(x, w))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [[0, 2, 2]])
    np.testing.assert_array_equal(w.grad.detach().numpy(), 2 * np.array([[0, 0, 0], [-1, 2, 3],
                                                             [-1, 2, 3]]))
    _no_sharing(x.grad.detach().numpy(), w.grad.detach().numpy())
