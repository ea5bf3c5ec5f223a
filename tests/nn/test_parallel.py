"""nn.DataParallel: a pass-through wrapper with torch's structure (module., state_dict
keys, repr), giving the wrapped module's outputs and gradients."""
import warnings

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn


def _model():
    return nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.ReLU(),
                         nn.Linear(4, 2, dtype=np.float64))


def test_outputs_and_gradients_are_the_modules():
    model = _model()
    wrapped = nn.DataParallel(model)
    assert wrapped.module is model
    x = np.random.default_rng(0).standard_normal((5, 3))
    direct = model(fc.tensor(x))
    out = wrapped(fc.tensor(x))
    np.testing.assert_array_equal(out.detach().numpy(), direct.detach().numpy())
    out.sum().backward()
    grads = [p.grad.detach().numpy().copy() for p in model.parameters()]
    model.zero_grad()
    model(fc.tensor(x)).sum().backward()
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_array_equal(g, p.grad.detach().numpy())
    assert [id(p) for p in wrapped.parameters()] == [id(p) for p in model.parameters()]


def test_structure_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.DataParallel(nn.Linear(2, 3))
    theirs = torch.nn.DataParallel(torch.nn.Linear(2, 3))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert ours.device_ids == theirs.device_ids == []
    loaded = nn.Linear(2, 3)
    state = {k[len("module."):]: v for k, v in ours.state_dict().items()}
    loaded.load_state_dict(state)
    np.testing.assert_array_equal(loaded.weight.detach().numpy(), ours.module.weight.detach().numpy())


def test_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = nn.DataParallel(nn.ReLU(), device_ids=[0], output_device=0, dim=0)
    assert one.device_ids == [0] and one.output_device == 0 and one.dim == 0
    with pytest.warns(UserWarning, match="one device"):
        nn.DataParallel(nn.ReLU(), device_ids=[0, 1])
    with pytest.raises(TypeError, match="module must be a fastconv.nn.Module"):
        nn.DataParallel(lambda x: x)
    kwargs_module = nn.DataParallel(nn.Flatten())
    assert kwargs_module(fc.tensor(np.ones((2, 3, 4)))).shape == (2, 12)


def test_parallel_module_path():
    from fastconv.nn.parallel import DataParallel
    assert DataParallel is nn.DataParallel
