"""Module: registration, traversal, modes, grads, dtype moves, state_dict round trips, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.scale = nn.Parameter(fc.tensor(np.ones(3, dtype=np.float32)))
        self.register_buffer("running", fc.tensor(np.zeros(3, dtype=np.float32)))
        self.register_buffer("scratch", fc.tensor(np.zeros(2, dtype=np.float32)),
                             persistent=False)
        self.head = nn.Linear(3, 2)
        self.plain = 5

    def forward(self, x):
        return x


def test_registration_order_and_names():
    m = Block()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "conv.weight", "conv.bias", "head.weight", "head.bias"]
    assert list(m.state_dict()) == ["scale", "running", "conv.weight", "conv.bias",
                                    "head.weight", "head.bias"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in m.named_children()] == ["conv", "head"]
    assert [n for n, _ in m.named_modules()] == ["", "conv", "head"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert m.plain == 5 and "plain" not in m.state_dict()
    assert all(p.requires_grad for p in m.parameters())


def test_state_dict_names_match_torch_module_rules():
    torch = pytest.importorskip("torch")

    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 3, 3)
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.register_buffer("running", torch.zeros(3))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)
            self.head = torch.nn.Linear(3, 2)

    assert list(Block().state_dict()) == list(TorchBlock().state_dict())


def test_shared_parameters_are_listed_once():
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.b = m.a
    assert len(list(m.parameters())) == 2
    assert [n for n, _ in m.named_children()] == ["a"]


def test_reassignment_and_deletion():
    m = Block()
    m.scale = nn.Parameter(fc.tensor(np.zeros(3, dtype=np.float32)))
    assert np.all(m.scale.detach().numpy() == 0) and list(m.state_dict())[0] == "scale"
    with pytest.raises(TypeError, match="parameter 'scale'"):
        m.scale = fc.tensor(np.zeros(3))
    with pytest.raises(TypeError, match="child module 'head'"):
        m.head = 3
    m.conv = nn.Conv2d(2, 3, 1)
    assert [n for n, _ in m.named_children()] == ["conv", "head"]     # keeps its place
    m.head = None
    assert "head.weight" not in m.state_dict()
    del m.conv
    assert [n for n, _ in m.named_children()] == []
    with pytest.raises(AttributeError, match="nothing"):
        m.nothing


def test_assigning_before_init_is_an_error():
    class Bad(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(fc.tensor([1.0]))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_train_eval_propagate():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert m.training and m[1][0].training
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())


def test_zero_grad():
    m = nn.Linear(3, 2)
    m(fc.tensor(np.ones((4, 3), dtype=np.float32))).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is not None and not m.weight.grad.numpy().any()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_apply_and_to_dtype():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(2, 2))
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Conv2d", "Linear", "Sequential"]
    params = list(m.parameters())
    assert m.double() is m
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert all(a is b for a, b in zip(params, m.parameters()))   # same Parameter objects
    m.to(np.float32)
    assert all(p.dtype == np.float32 for p in m.parameters())
    assert m.to("cpu") is m


@pytest.mark.parametrize("call", [
    lambda m: m.to(fc.device("cpu")), lambda m: m.to("cpu", fc.float64),
    lambda m: m.to(fc.device("cpu"), dtype=fc.float64, non_blocking=True),
    lambda m: m.to(device="cpu", dtype=fc.float64), lambda m: m.to(fc.zeros(1).double()),
    lambda m: m.to(fc.float64)])
def test_to_takes_torchs_argument_forms(call):
    m = nn.Linear(2, 2)
    assert call(m) is m
    assert all(p.device == fc.device("cpu") for p in m.parameters())
    expected = np.float32 if call(nn.Linear(1, 1)).weight.dtype == np.float32 else np.float64
    assert all(p.dtype == expected for p in m.parameters())


def test_to_refuses_what_is_not_a_device_or_float_dtype():
    with pytest.raises(TypeError, match="int64 is not supported"):
        nn.Linear(2, 2).to(np.int64)
    with pytest.raises(TypeError, match="device"):
        nn.Linear(2, 2).to(device=3)


def test_state_dict_is_detached_and_shares_data():
    m = nn.Linear(3, 2)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad
    assert sd["weight"].detach().numpy() is m.weight.detach().numpy()


def test_load_state_dict_copies_in_place_from_tensors_and_arrays():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    weight = b.weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert b.weight is weight and b.weight.detach().numpy() is not a.weight.detach().numpy()
    np.testing.assert_array_equal(b.weight.detach().numpy(), a.weight.detach().numpy())
    arrays = {"weight": np.full((2, 3), 0.5), "bias": np.zeros(2, dtype=np.float32)}
    b.load_state_dict(arrays)
    assert b.weight.dtype == np.float32 and np.all(b.weight.detach().numpy() == 0.5)


def test_load_state_dict_strict_reports_missing_and_unexpected():
    m = nn.Linear(3, 2)
    sd = {"weight": np.zeros((2, 3), dtype=np.float32), "extra": np.zeros(1)}
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra"' in message
    assert np.any(m.weight.detach().numpy() != 0)          # nothing copied on error
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert np.all(m.weight.detach().numpy() == 0)


def test_load_state_dict_shape_mismatch_always_raises():
    m = nn.Linear(3, 2)
    sd = {"weight": np.zeros((3, 3), dtype=np.float32), "bias": np.zeros(2)}
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param "
                                               r"with shape \(3, 3\)"):
            m.load_state_dict(sd, strict=strict)
    with pytest.raises(TypeError, match="must be a Tensor or an array"):
        m.load_state_dict({"weight": [[0.0] * 3] * 2, "bias": np.zeros(2)})


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 4, (2, 3), stride=2, dilation=2, groups=2, bias=False),
                         nn.Conv2d(4, 4, 2, padding="same"),
                         nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), nn.Identity(),
                         nn.LogSoftmax(dim=1), nn.Softmax(dim=-1), nn.ReLU(inplace=True))
    T = torch.nn
    theirs = T.Sequential(T.Conv2d(1, 6, 5, padding=2), T.ReLU(), T.MaxPool2d(2),
                          T.Conv2d(6, 4, (2, 3), stride=2, dilation=2, groups=2, bias=False),
                          T.Conv2d(4, 4, 2, padding="same"),
                          T.Sequential(T.Flatten(), T.Linear(4, 2)), T.Identity(),
                          T.LogSoftmax(dim=1), T.Softmax(dim=-1), T.ReLU(inplace=True))
    assert repr(ours) == repr(theirs)
    assert repr(nn.CrossEntropyLoss()) == repr(T.CrossEntropyLoss())
