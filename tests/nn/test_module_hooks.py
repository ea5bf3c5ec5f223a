"""Module hooks with torch's signatures and semantics: forward pre-hooks and forward hooks
(with_kwargs, prepend, always_call), full backward hooks and backward pre-hooks (the
gradients with respect to the module's inputs and outputs, compared with torch's), and
the handles that remove them."""
import warnings

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn

torch = pytest.importorskip("torch")


class Scale(nn.Module):
    def forward(self, x, factor=2.0):
        return x * factor


class Two(nn.Module):
    """Two Tensor inputs (and a number), two outputs."""

    def forward(self, x, y, k=1):
        return x * 2, x * y


class TorchTwo(torch.nn.Module):
    def forward(self, x, y, k=1):
        return x * 2, x * y


def _linear_pair(seed=0):
    ours = nn.Linear(3, 2, dtype=np.float64)
    theirs = torch.nn.Linear(3, 2, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    ours.weight.data[...] = w
    ours.bias.data[...] = b
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.copy_(torch.tensor(b))
    return ours, theirs


def _as_numpy(values):
    out = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, fc.Tensor):
            out.append(v.detach().numpy().copy())
        else:
            out.append(v.detach().numpy().copy())
    return out


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(_as_numpy(ours), _as_numpy(theirs)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------ forward hooks

def test_forward_pre_hook_sees_and_replaces_the_inputs():
    m = Scale()
    seen = []
    handle = m.register_forward_pre_hook(lambda mod, args: seen.append((mod, args)))
    x = fc.tensor(np.ones(2))
    m(x)
    assert seen == [(m, (x,))]
    handle.remove()
    m.register_forward_pre_hook(lambda mod, args: args[0] + 1)   # a single value: wrapped
    np.testing.assert_array_equal(m(x).detach().numpy(), [4.0, 4.0])


def test_forward_pre_hook_with_kwargs():
    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 10.0}),
                                with_kwargs=True)
    np.testing.assert_array_equal(m(fc.tensor(np.ones(1)), factor=3.0).detach().numpy(), [10.0])
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match="tuple of \\(new_args, new_kwargs\\)"):
        bad(fc.tensor(np.ones(1)), fc.tensor(np.ones(1)), fc.tensor(np.ones(1)))


def test_forward_hook_sees_and_replaces_the_output():
    m = Scale()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append((args[0].detach().numpy()[0],
                                                                out.detach().numpy()[0])))
    m.register_forward_hook(lambda mod, args, out: out * 100)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs) or out + 1,
                            with_kwargs=True)
    out = m(fc.tensor(np.array([3.0])), factor=0.5)
    assert out.detach().numpy()[0] == 151.0
    assert seen == [(3.0, 1.5), {"factor": 0.5}]


def test_hook_order_prepend_and_handles():
    m = Scale()
    order = []
    h1 = m.register_forward_hook(lambda *a: order.append("first"))
    m.register_forward_hook(lambda *a: order.append("second"))
    m.register_forward_hook(lambda *a: order.append("prepended"), prepend=True)
    m.register_forward_pre_hook(lambda *a: order.append("pre"))
    m.register_forward_pre_hook(lambda *a: order.append("pre-prepended"), prepend=True)
    m(fc.tensor(np.ones(1)))
    assert order == ["pre-prepended", "pre", "prepended", "first", "second"]
    h1.remove()
    h1.remove()   # a second remove is harmless, as in torch
    order.clear()
    m(fc.tensor(np.ones(1)))
    assert order == ["pre-prepended", "pre", "prepended", "second"]
    with m.register_forward_hook(lambda *a: order.append("scoped")) as handle:
        assert isinstance(handle.id, int)
    order.clear()
    m(fc.tensor(np.ones(1)))
    assert "scoped" not in order


def test_always_call_forward_hook_runs_when_forward_raises():
    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Failing()
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append(("always", out)),
                            always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append(("normal", out)))
    with pytest.raises(ValueError, match="boom"):
        m(fc.tensor(np.ones(1)))
    assert calls == [("always", None)]


def test_hooks_match_torch_on_the_same_module_calls():
    """Which hooks run, with what, compared with torch on a Linear layer."""
    ours, theirs = _linear_pair()
    log = {"ours": [], "theirs": []}
    for name, m in (("ours", ours), ("theirs", theirs)):
        m.register_forward_pre_hook(lambda mod, args, n=name: log[n].append(
            ("pre", len(args))))
        m.register_forward_hook(lambda mod, args, out, n=name: log[n].append(
            ("fwd", tuple(out.shape))))
    ours(fc.tensor(np.ones((4, 3))))
    theirs(torch.ones(4, 3, dtype=torch.float64))
    assert log["ours"] == log["theirs"] == [("pre", 1), ("fwd", (4, 2))]


# ------------------------------------------------------------------ backward hooks

def test_full_backward_hook_on_linear_matches_torch():
    ours, theirs = _linear_pair()
    got = {}
    ours.register_full_backward_hook(lambda m, gi, go: got.update(ours=(gi, go)))
    theirs.register_full_backward_hook(lambda m, gi, go: got.update(theirs=(gi, go)))
    x = np.random.default_rng(1).standard_normal((4, 3))
    weights = np.random.default_rng(2).standard_normal((4, 2))
    xa = fc.tensor(x, requires_grad=True)
    xb = torch.tensor(x, requires_grad=True)
    (ours(xa) * fc.tensor(weights)).sum().backward()
    (theirs(xb) * torch.tensor(weights)).sum().backward()
    _assert_same(got["ours"][0], got["theirs"][0])
    _assert_same(got["ours"][1], got["theirs"][1])
    np.testing.assert_allclose(xa.grad.detach().numpy(), xb.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.weight.grad.detach().numpy(), theirs.weight.grad.numpy(), rtol=1e-13)


@pytest.mark.parametrize("case", ["both-used", "second-output-unused", "y-no-grad",
                                  "number-arg"])
def test_full_backward_hook_multiple_inputs_and_outputs_match_torch(case):
    got = {}
    ours, theirs = Two(), TorchTwo()
    ours.register_full_backward_hook(lambda m, gi, go: got.update(ours=(gi, go)))
    theirs.register_full_backward_hook(lambda m, gi, go: got.update(theirs=(gi, go)))
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    y_grad = case != "y-no-grad"
    results = {}
    for side, lib, module in (("ours", fc, ours), ("theirs", torch, theirs)):
        xt = lib.tensor(x, requires_grad=True)
        yt = lib.tensor(y, requires_grad=y_grad)
        second = 7.0 if case == "number-arg" else yt
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, b = module(xt, second, 5)
            if case in ("second-output-unused", "number-arg"):
                (a * 3).sum().backward()
            else:
                (a.sum() * 3 + (b * b).sum()).backward()
        results[side] = xt.grad
    _assert_same(got["ours"][0], got["theirs"][0])
    _assert_same(got["ours"][1], got["theirs"][1])
    _assert_same([results["ours"]], [results["theirs"]])


def test_backward_hook_can_replace_grad_input_but_not_parameter_grads():
    ours, theirs = _linear_pair()
    ours.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
    theirs.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
    xa = fc.tensor(np.ones((1, 3)), requires_grad=True)
    xb = torch.ones(1, 3, dtype=torch.float64, requires_grad=True)
    ours(xa).sum().backward()
    theirs(xb).sum().backward()
    np.testing.assert_allclose(xa.grad.detach().numpy(), xb.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.weight.grad.detach().numpy(), theirs.weight.grad.numpy(), rtol=1e-13)
    bad, _ = _linear_pair()
    bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                           "expected 1"):
        bad(fc.tensor(np.ones((1, 3)), requires_grad=True)).sum().backward()


def test_backward_pre_hook_replaces_grad_output_as_torch():
    ours, theirs = _linear_pair()
    seen = {}
    ours.register_full_backward_pre_hook(lambda m, go: seen.update(ours=go) or (go[0] * 0.5,))
    theirs.register_full_backward_pre_hook(lambda m, go: seen.update(theirs=go)
                                           or (go[0] * 0.5,))
    xa = fc.tensor(np.ones((2, 3)), requires_grad=True)
    xb = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    ours(xa).sum().backward()
    theirs(xb).sum().backward()
    _assert_same(seen["ours"], seen["theirs"])
    np.testing.assert_allclose(xa.grad.detach().numpy(), xb.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.bias.grad.detach().numpy(), theirs.bias.grad.numpy(), rtol=1e-13)


def test_backward_hook_when_no_input_requires_grad_fires_on_the_outputs():
    ours, theirs = _linear_pair()
    got = {}
    ours.register_full_backward_hook(lambda m, gi, go: got.update(ours=(gi, go)))
    theirs.register_full_backward_hook(lambda m, gi, go: got.update(theirs=(gi, go)))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        ours(fc.tensor(np.ones((3, 3)))).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs(torch.ones(3, 3, dtype=torch.float64)).sum().backward()
    assert got["ours"][0] == (None,) == got["theirs"][0]
    _assert_same(got["ours"][1], got["theirs"][1])
    np.testing.assert_allclose(ours.weight.grad.detach().numpy(), theirs.weight.grad.numpy(), rtol=1e-13)


def test_backward_hooks_change_no_gradient_and_go_away_when_removed():
    calls = []
    model = nn.Sequential(nn.Linear(4, 5, dtype=np.float64), nn.ReLU(),
                          nn.Linear(5, 2, dtype=np.float64))
    x = np.random.default_rng(4).standard_normal((6, 4))

    def grads():
        model.zero_grad()
        xt = fc.tensor(x, requires_grad=True)
        F.mse_loss(model(xt), fc.tensor(np.zeros((6, 2)))).backward()
        return [xt.grad.detach().numpy()] + [p.grad.detach().numpy().copy() for p in model.parameters()]

    plain = grads()
    handles = [m.register_full_backward_hook(lambda m, gi, go: calls.append(type(m).__name__))
               for m in (model, model[0], model[1], model[2])]
    hooked = grads()
    assert calls == ["Linear", "ReLU", "Linear", "Sequential"]   # as torch orders them
    for a, b in zip(plain, hooked):
        np.testing.assert_array_equal(a, b)
    for h in handles:
        h.remove()
    calls.clear()
    grads()
    assert calls == []


def test_backward_hooks_are_skipped_without_grad_mode():
    ours, _ = _linear_pair()
    calls = []
    ours.register_full_backward_hook(lambda *a: calls.append(1))
    with fc.no_grad():
        out = ours(fc.tensor(np.ones((1, 3)), requires_grad=True))
    assert not out.requires_grad and calls == []


def test_hooks_on_a_fused_conv_relu_child_of_sequential():
    """Hooks on children of a Sequential fire even where Sequential would fuse
    Conv2d -> ReLU (the fusion steps aside for modules with hooks), with the gradients
    of the fused path."""
    conv = nn.Conv2d(1, 2, 3, dtype=np.float64)
    model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))
    x = np.random.default_rng(5).standard_normal((2, 1, 6, 6))

    def run():
        xt = fc.tensor(x, requires_grad=True)
        out = model(xt)
        out.sum().backward()
        return out.detach().numpy(), xt.grad.detach().numpy()

    fused_out, fused_grad = run()
    calls = []
    handle = conv.register_forward_hook(lambda *a: calls.append("forward"))
    conv.register_full_backward_hook(lambda *a: calls.append("backward"))
    hooked_out, hooked_grad = run()
    assert calls == ["forward", "backward"]
    np.testing.assert_allclose(hooked_out, fused_out, rtol=1e-13)
    np.testing.assert_allclose(hooked_grad, fused_grad, rtol=1e-13)
    handle.remove()
