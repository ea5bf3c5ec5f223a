"""nn.ModuleList and nn.ModuleDict: torch's whole API, each operation done on both
libraries side by side and the resulting names, members and reprs compared."""
from collections import OrderedDict

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn

torch = pytest.importorskip("torch")


def _kinds(container):
    """Class names of the members, in order (for ModuleDict: (key, class name))."""
    if hasattr(container, "items"):
        return [(k, type(v).__name__) for k, v in container.items()]
    return [type(m).__name__ for m in container]


def _names(module):
    return [n for n, _ in module.named_parameters()]


def _lists():
    def make(lib):
        return lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.ReLU(), lib.nn.Identity()])
    return make(fc), make(torch)


def _same(a, b):
    assert _kinds(a) == _kinds(b)
    assert list(a._modules) == list(b._modules)
    assert _names(a) == _names(b)
    assert len(a) == len(b)


def test_module_list_operations_match_torch():
    a, b = _lists()
    _same(a, b)
    for lib, m in ((nn, a), (torch.nn, b)):
        assert m.append(lib.Flatten()) is m
        assert m.extend([lib.ReLU(), lib.Linear(2, 3)]) is m
        m.insert(1, lib.Identity())
        m.insert(0, lib.ReLU())
        m[2] = lib.Linear(2, 4)
        del m[-1]
        del m[1:3]
        m += [lib.Identity()]
    _same(a, b)
    assert _kinds(a[1:4]) == _kinds(b[1:4]) and type(a[1:4]) is nn.ModuleList
    assert _kinds(a[::-2]) == _kinds(b[::-2])
    assert type(a[-1]).__name__ == type(b[-1]).__name__
    popped_a, popped_b = a.pop(1), b.pop(1)
    assert type(popped_a).__name__ == type(popped_b).__name__
    _same(a, b)
    joined_a, joined_b = a + nn.ModuleList([nn.ReLU()]), b + torch.nn.ModuleList([
        torch.nn.ReLU()])
    _same(joined_a, joined_b)


def test_module_list_membership_iteration_and_registration():
    layer = nn.Linear(2, 3)
    lst = nn.ModuleList([layer, nn.ReLU()])
    assert layer in lst and nn.Linear(2, 3) not in lst
    assert list(iter(lst)) == [lst[0], lst[1]]
    parent = nn.Module()
    parent.layers = lst
    assert _names(parent) == ["layers.0.weight", "layers.0.bias"]
    assert parent.layers[0] is layer
    assert len(nn.ModuleList()) == 0


def test_module_list_errors_match_torch():
    a, b = _lists()
    for m in (a, b):
        with pytest.raises(IndexError, match="index 3 is out of range"):
            m[3]
        with pytest.raises(IndexError, match="out of range"):
            m[-4] = m[0]
        with pytest.raises(TypeError, match="extend should be called with an iterable"):
            m.extend(5)
    with pytest.raises(TypeError):
        a["x"]
    with pytest.raises(TypeError, match="is not a Module subclass"):
        a.append(3)
    with pytest.raises(NotImplementedError):
        a(fc.tensor(np.ones(2)))


def test_module_list_repr_compresses_repeats_as_torch():
    a = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(),
                                                             nn.Linear(2, 3)])
    b = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)]
                            + [torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.Linear(2, 3)])
    assert repr(a) == repr(b)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    outer = nn.Sequential(nn.ModuleList([nn.ReLU()]))
    assert repr(outer) == repr(torch.nn.Sequential(torch.nn.ModuleList([torch.nn.ReLU()])))


def _dicts():
    def make(lib):
        return lib.nn.ModuleDict(OrderedDict(conv=lib.nn.Conv2d(1, 2, 3), act=lib.nn.ReLU()))
    return make(fc), make(torch)


def test_module_dict_operations_match_torch():
    a, b = _dicts()
    _same(a, b)
    for lib, m in ((nn, a), (torch.nn, b)):
        m["head"] = lib.Linear(2, 2)
        m.update([("pool", lib.MaxPool2d(2)), ("flat", lib.Flatten())])
        m.update({"act": lib.Identity(), "extra": lib.ReLU()})
        m.update(lib.ModuleDict({"z": lib.ReLU()}))
        del m["flat"]
        m.pop("extra")
    _same(a, b)
    assert list(a.keys()) == list(b.keys())
    assert [type(v).__name__ for v in a.values()] == [type(v).__name__ for v in b.values()]
    assert list(a) == list(b)
    assert ("head" in a) and ("flat" not in a)
    assert repr(a) == repr(b)
    a.clear()
    b.clear()
    _same(a, b)


def test_module_dict_errors_match_torch():
    a, b = _dicts()
    for lib, m in ((fc, a), (torch, b)):
        with pytest.raises(KeyError):
            m["missing"]
        with pytest.raises(TypeError, match="update should be called with an iterable"):
            m.update(3)
        with pytest.raises(TypeError, match="element #0 should be Iterable"):
            m.update([3])
        with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
            m.update([("a", lib.nn.ReLU(), 1)])
        with pytest.raises(KeyError, match="attribute 'training' already exists"):
            m["training"] = lib.nn.ReLU()
        with pytest.raises(KeyError):
            m["a.b"] = lib.nn.ReLU()


def test_containers_train_move_and_save_with_their_parent():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3, dtype=np.float64) for _ in range(2)])
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 1, dtype=np.float64)})

        def forward(self, x):
            for block in self.blocks:
                x = block(x).clamp(min=0)
            return self.heads["a"](x)

    net = Net()
    assert list(net.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                                      "blocks.1.bias", "heads.a.weight", "heads.a.bias"]
    net(fc.tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.eval()
    assert not net.blocks[1].training and not net.heads["a"].training
    net.float()
    assert net.heads["a"].weight.dtype == np.float32
