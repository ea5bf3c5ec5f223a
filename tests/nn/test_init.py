"""nn.init formulas and the default initialisation of Conv2d and Linear."""
import math

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn
from fastconv.nn import init


def _empty(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float32))


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None),
                        ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param), rel=1e-15)
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(_empty(6, 4, 5, 3)) == (60, 90)
    assert init._calculate_fan_in_and_fan_out(_empty(7, 3)) == (3, 7)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(_empty(5))


@pytest.mark.parametrize("fn,bound", [
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(200)),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(6 / 200)),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
     math.sqrt(6 / 800)),
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / 1000)),
    (lambda t: init.uniform_(t, -0.3, 0.3), 0.3),
])
def test_uniform_initialisers_fill_their_bound(fn, bound):
    t = _empty(32, 8, 5, 5)                 # fan_in 200, fan_out 800
    assert fn(t) is t
    data = t.detach().numpy()
    assert data.dtype == np.float32
    assert np.abs(data).max() <= bound
    assert np.abs(data).max() > 0.95 * bound        # fills the interval
    assert abs(data.std() - bound / math.sqrt(3)) < 0.05 * bound


@pytest.mark.parametrize("fn,std", [
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda t: init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / 1000)),
    (lambda t: init.normal_(t, 0.0, 0.5), 0.5),
])
def test_normal_initialisers_have_their_std(fn, std):
    t = fn(_empty(32, 8, 5, 5))
    assert abs(float(t.detach().numpy().std()) - std) < 0.05 * std
    assert abs(float(t.detach().numpy().mean())) < 0.05 * std


def test_constant_fills():
    t = _empty(3, 2)
    assert np.all(init.ones_(t).detach().numpy() == 1)
    assert np.all(init.zeros_(t).detach().numpy() == 0)
    assert np.all(init.constant_(t, 2.5).detach().numpy() == 2.5)


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Conv2d(8, 16, 3), 72), (lambda: nn.Conv2d(8, 16, (5, 3), groups=4), 30),
    (lambda: nn.Linear(300, 200), 300)])
def test_default_init_matches_pytorch_rule(make, fan_in):
    layer = make()
    bound = 1 / math.sqrt(fan_in)              # kaiming_uniform_(a=sqrt(5)) == 1/sqrt(fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(b).max() <= bound and np.unique(b).size == b.size


def test_default_init_is_reproducible_with_manual_seed():
    random = pytest.importorskip("fastconv.random")
    random.manual_seed(123)
    a = nn.Conv2d(2, 3, 3).weight.detach().numpy().copy()
    random.manual_seed(123)
    b = nn.Conv2d(2, 3, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_float64_layers():
    layer = nn.Linear(4, 3, dtype=np.float64)
    assert layer.weight.dtype == np.float64
    y = layer(fc.tensor(np.ones((2, 4))))
    assert y.dtype == np.float64
