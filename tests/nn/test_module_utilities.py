"""Module utilities against torch.nn.Module on the same structures: traversal
(named_modules with memo/prefix/remove_duplicate, children, modules, apply), lookups by
dotted name, non-persistent buffers, modes, grads and refused dtypes."""
import numpy as np
import pytest

import fastconv as fc
from fastconv import nn

torch = pytest.importorskip("torch")


def _build(lib, shared_twice=True):
    """The same tree in fastconv and torch: a shared Linear used twice, a nested block,
    a parameter and buffers (one non-persistent)."""
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 2)
            self.act = lib.nn.ReLU()
            self.register_buffer("running", lib.zeros(2))
            self.register_buffer("scratch", lib.ones(3), persistent=False)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            shared = lib.nn.Linear(2, 2)
            self.a = shared
            self.block = Block()
            if shared_twice:
                self.b = shared
            self.scale = lib.nn.Parameter(lib.ones(1))
            self.empty = None

        def forward(self, x):
            return self.block.fc(self.a(x)) * self.scale

    return Net()


def test_named_modules_children_and_parameters_match_torch():
    ours, theirs = _build(fc), _build(torch)
    for kwargs in (dict(), dict(prefix="net"), dict(remove_duplicate=False),
                   dict(prefix="p", remove_duplicate=False)):
        assert [n for n, _ in ours.named_modules(**kwargs)] == \
            [n for n, _ in theirs.named_modules(**kwargs)], kwargs
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert len(list(ours.children())) == len(list(theirs.children()))
    for kwargs in (dict(), dict(remove_duplicate=False), dict(prefix="x", recurse=False)):
        assert [n for n, _ in ours.named_parameters(**kwargs)] == \
            [n for n, _ in theirs.named_parameters(**kwargs)], kwargs
        assert [n for n, _ in ours.named_buffers(**kwargs)] == \
            [n for n, _ in theirs.named_buffers(**kwargs)], kwargs
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_named_modules_memo_holds_modules():
    ours = _build(fc)
    memo = {ours.block}
    names = [n for n, _ in ours.named_modules(memo=memo)]
    assert "block" not in names and "block.fc" not in names and "a" in names
    assert ours.a in memo


def test_apply_visits_children_first_as_torch():
    ours, theirs = _build(fc), _build(torch)
    seen_ours, seen_theirs = [], []
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs


def test_non_persistent_buffer_stays_out_of_state_dict():
    ours = _build(fc)
    assert "block.scratch" not in ours.state_dict()
    assert "block.running" in ours.state_dict()
    assert "block.scratch" in dict(ours.named_buffers())
    ours.double()
    assert ours.block.scratch.dtype == np.float64   # converted with the module all the same
    state = {k: v.detach() for k, v in ours.state_dict().items()}
    assert ours.load_state_dict(state).missing_keys == []   # not expected back either
    ours.block.register_buffer("scratch", ours.block.scratch, persistent=True)
    assert "block.scratch" in ours.state_dict()


def test_get_submodule_parameter_and_buffer_match_torch():
    ours, theirs = _build(fc), _build(torch)
    assert ours.get_submodule("") is ours
    assert ours.get_submodule("block.fc") is ours.block.fc
    assert ours.get_parameter("block.fc.weight") is ours.block.fc.weight
    assert ours.get_parameter("scale") is ours.scale
    assert ours.get_buffer("block.running") is ours.block.running
    for method, target in (("get_submodule", "block.nope"), ("get_submodule", "scale"),
                           ("get_parameter", "block.fc.nope"),
                           ("get_parameter", "block.running"),
                           ("get_buffer", "block.fc.weight"), ("get_buffer", "x.y")):
        with pytest.raises(AttributeError) as mine:
            getattr(ours, method)(target)
        with pytest.raises(AttributeError) as reference:
            getattr(theirs, method)(target)
        assert str(mine.value) == str(reference.value), (method, target)


def test_set_submodule():
    ours = _build(fc)
    new = nn.Linear(2, 3)
    ours.set_submodule("block.fc", new)
    assert ours.block.fc is new
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        ours.set_submodule("nope.fc", new)


def test_train_and_eval_return_self_and_reach_overridden_train():
    calls = []

    class Custom(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    ours = _build(fc)
    ours.block.extra = Custom()
    assert ours.eval() is ours
    assert not ours.training and not ours.block.fc.training and calls == [False]
    assert ours.train() is ours and ours.block.extra.training and calls == [False, True]
    with pytest.raises(ValueError, match="training mode"):
        ours.train("yes")


def test_zero_grad_and_requires_grad_():
    ours = _build(fc)
    for p in ours.parameters():
        p.grad = fc.tensor(np.ones(p.shape, np.float32))
    ours.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.detach().numpy().any() for p in ours.parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    assert ours.requires_grad_(False) is ours
    assert not any(p.requires_grad for p in ours.parameters())
    ours.requires_grad_()
    assert all(p.requires_grad for p in ours.parameters())


def test_extra_repr_appears_in_repr():
    class Gain(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "gain=2.0"

    class TorchGain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.ReLU()

        def extra_repr(self):
            return "gain=2.0"

    assert repr(Gain()).replace("Gain", "X") == repr(TorchGain()).replace("TorchGain", "X")


@pytest.mark.parametrize("call", [lambda m: m.half(), lambda m: m.bfloat16(),
                                  lambda m: m.to(np.float16), lambda m: m.to(dtype="int64"),
                                  lambda m: m.to("cpu", np.float16)])
def test_unsupported_dtypes_are_refused(call):
    m = nn.Linear(2, 2)
    before = m.weight.detach().numpy().copy()
    with pytest.raises(TypeError, match="float32 and float64"):
        call(m)
    assert m.weight.dtype == np.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)


def test_registering_over_an_existing_attribute_is_a_key_error_as_in_torch():
    for lib, module in ((fc, _build(fc)), (torch, _build(torch))):
        with pytest.raises(KeyError, match="attribute 'training' already exists"):
            module.add_module("training", lib.nn.ReLU())
        with pytest.raises(KeyError, match="attribute 'forward' already exists"):
            module.register_buffer("forward", lib.zeros(1))
        with pytest.raises(KeyError, match="attribute 'block' already exists"):
            module.register_parameter("block", None)
        assert module.training is True
