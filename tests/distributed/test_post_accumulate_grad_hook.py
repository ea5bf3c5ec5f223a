"""Tensor.register_post_accumulate_grad_hook: the one autograd hook that data-parallel
training needs. It must run once per backward per leaf, with the leaf's whole gradient
already in .grad, and (the point of it) as soon as that gradient is complete, while
backward is still differentiating the layers below."""
import numpy as np
import pytest

import fastconv
from fastconv.autograd import Function


class _Probe(Function):
    """Identity whose backward logs that it ran (to see what happened before it)."""

    log = []

    @staticmethod
    def forward(ctx, x, *, name):
        ctx.name = name
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        _Probe.log.append("backward " + ctx.name)
        return grad


def _leaf(rng, *shape):
    return fastconv.tensor(rng.standard_normal(shape), requires_grad=True,
                           dtype=fastconv.float64)


def test_hook_sees_the_whole_gradient_before_the_layers_below_are_differentiated(rng):
    x = _leaf(rng, 4, 3)
    w1, w2 = _leaf(rng, 3, 5), _leaf(rng, 5, 2)
    log = _Probe.log
    log.clear()
    seen = {}

    def hook(name):
        def run(t):
            log.append("hook " + name)
            seen[name] = t.grad.numpy().copy()
        return run

    w1.register_post_accumulate_grad_hook(hook("w1"))
    w2.register_post_accumulate_grad_hook(hook("w2"))
    h = _Probe.apply(x @ w1, name="layer1")
    # w2 used twice: its hook must wait for both contributions
    out = (_Probe.apply(h @ w2, name="layer2") * (h @ w2)).sum()
    out.backward()
    # w2's gradient is complete once layer 2 is done: its hook comes before layer 1's
    # backward; w1's when layer 1 is done
    assert log.index("hook w2") < log.index("backward layer1") < log.index("hook w1")
    assert log.count("hook w1") == 1 and log.count("hook w2") == 1
    hv = x.detach().numpy() @ w1.detach().numpy()
    y = hv @ w2.detach().numpy()
    np.testing.assert_allclose(seen["w2"], hv.T @ (2 * y), rtol=1e-12)
    np.testing.assert_allclose(seen["w1"], x.detach().numpy().T @ (2 * y @ w2.detach().numpy().T),
                               rtol=1e-12)
    assert x.grad is not None                   # no hook: accumulated at the end
    np.testing.assert_array_equal(w1.grad.numpy(), seen["w1"])


def test_hook_runs_after_accumulation_into_an_existing_grad_and_can_be_removed(rng):
    w = _leaf(rng, 3)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.numpy().copy()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(calls[0], np.full(3, 2.0))
    np.testing.assert_array_equal(calls[1], np.full(3, 5.0))   # 2 + 3: after accumulating
    handle.remove()
    (w * 1).sum().backward()
    assert len(calls) == 2
    w.register_post_accumulate_grad_hook(lambda t: calls.append(None))
    w.sum().backward()                          # a leaf as root of a one-op graph
    assert len(calls) == 3


class _FirstOnly(Function):
    """a + 0 * b whose backward gives b no gradient (None)."""

    @staticmethod
    def forward(ctx, a, b):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def test_hook_on_a_leaf_that_is_the_root_and_on_edges_that_carry_nothing(rng):
    w = _leaf(rng, 2)
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append("w"))
    w.backward(np.ones(2))
    assert calls == ["w"]
    v = _leaf(rng, 2)
    v.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.numpy().tolist()))
    # one edge to v carries None, the other a gradient: one call, after both
    (_FirstOnly.apply(w, v).sum() + (v * 2).sum()).backward()
    assert calls == ["w", "w", [2.0, 2.0]]
    # only a None edge: no gradient, no call
    _FirstOnly.apply(w, v).sum().backward()
    assert calls == ["w", "w", [2.0, 2.0], "w"]


def test_hook_rejects_non_leaves_and_non_callables(rng):
    w = _leaf(rng, 2)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        w.register_post_accumulate_grad_hook(3)
    with pytest.raises(RuntimeError, match="doesn't require"):
        fastconv.zeros(2).register_post_accumulate_grad_hook(lambda t: None)


def test_hooks_of_a_dead_tensor_are_dropped(rng):
    from fastconv.autograd import function
    before = len(function._post_accumulate_hooks)
    w = _leaf(rng, 2)
    w.register_post_accumulate_grad_hook(lambda t: None)
    assert len(function._post_accumulate_hooks) == before + 1
    del w
    assert len(function._post_accumulate_hooks) == before
