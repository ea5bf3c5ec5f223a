"""SGD and Adam against torch.optim on the same quadratic problem, float64, rtol 1e-12."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
CURVATURE = [RNG.uniform(0.5, 3.0, (3, 4)), RNG.uniform(0.5, 3.0, (4,))]
TARGET = [RNG.standard_normal((3, 4)), RNG.standard_normal(4)]
START = [RNG.standard_normal((3, 4)), RNG.standard_normal(4)]


def _gradient(i, value):
    """Gradient of sum(0.5 * a * (p - t)^2): a * (p - t)."""
    return CURVATURE[i] * (value - TARGET[i])


def _run(make_ours, make_theirs, steps=12, groups=False):
    ours = [nn.Parameter(fc.tensor(p.copy())) for p in START]
    theirs = [torch.nn.Parameter(torch.tensor(p.copy())) for p in START]
    if groups:
        opt_ours = make_ours([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.05}])
        opt_theirs = make_theirs([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.05}])
    else:
        opt_ours, opt_theirs = make_ours(ours), make_theirs(theirs)
    for _ in range(steps):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            a.grad = fc.tensor(_gradient(i, a.detach().numpy()))
            b.grad = torch.tensor(_gradient(i, b.detach().numpy()))
        opt_ours.step()
        opt_theirs.step()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    return ours


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True),
    dict(lr=0.01, momentum=0.5, maximize=True),
]


@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_matches_torch(kwargs):
    _run(lambda p: optim.SGD(p, **kwargs), lambda p: torch.optim.SGD(p, **kwargs))


ADAM_CASES = [
    dict(),
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, amsgrad=True, weight_decay=0.01, betas=(0.5, 0.9), eps=1e-6),
    dict(lr=0.01, maximize=True),
    dict(lr=0.05, betas=(0.3, 0.5)),
]


@pytest.mark.parametrize("kwargs", ADAM_CASES)
def test_adam_matches_torch(kwargs):
    _run(lambda p: optim.Adam(p, **kwargs), lambda p: torch.optim.Adam(p, **kwargs))


def test_param_groups_match_torch():
    _run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), groups=True)
    _run(lambda p: optim.Adam(p, lr=0.1), lambda p: torch.optim.Adam(p, lr=0.1), groups=True)


def test_params_without_grad_are_skipped():
    a, b = nn.Parameter(fc.tensor(np.ones(3))), nn.Parameter(fc.tensor(np.ones(3)))
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b])):
        a.grad = fc.tensor(np.ones(3))
        opt.step()
        assert np.all(b.detach().numpy() == 1) and np.all(a.detach().numpy() < 1)
        assert b not in opt.state


def test_zero_grad():
    a = nn.Parameter(fc.tensor(np.ones(3)))
    opt = optim.SGD([a], lr=0.1)
    a.grad = fc.tensor(np.ones(3))
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and not a.grad.detach().numpy().any()
    opt.zero_grad()
    assert a.grad is None


def test_state_dict_round_trip_continues_identically():
    def fresh():
        return [nn.Parameter(fc.tensor(p.copy())) for p in START]

    def steps(params, opt, n):
        for _ in range(n):
            for i, p in enumerate(params):
                p.grad = fc.tensor(_gradient(i, p.detach().numpy()))
            opt.step()

    for make in (lambda p: optim.Adam(p, lr=0.05, amsgrad=True),
                 lambda p: optim.SGD(p, lr=0.05, momentum=0.9)):
        straight = fresh()
        opt = make(straight)
        steps(straight, opt, 6)
        resumed = fresh()
        first = make(resumed)
        steps(resumed, first, 3)
        saved = first.state_dict()
        second = make(resumed)
        second.load_state_dict(saved)
        steps(resumed, second, 3)
        for a, b in zip(straight, resumed):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_validation_errors():
    p = [nn.Parameter(fc.tensor(np.ones(2)))]
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD(p, lr=-0.1)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(p, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="weight_decay"):
        optim.SGD(p, lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam(p, lr=-1)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="epsilon"):
        optim.Adam(p, eps=-1e-8)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p[0], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": p}, {"params": p}], lr=0.1)


def test_trains_a_module_through_backward():
    model = nn.Linear(3, 1, dtype=np.float64)
    x = fc.tensor(np.random.default_rng(1).standard_normal((16, 3)))
    y = fc.tensor(x.detach().numpy() @ np.array([[1.0], [-2.0], [0.5]]) + 0.3)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0]


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: optim.SGD(p, lr=0.1, dampening=0.5, momentum=0.5),
                                  lambda p: optim.Adam(p, lr=0.1, amsgrad=True)])
def test_scratch_arrays_stay_out_of_state_and_follow_a_reshaped_parameter(make):
    p = nn.Parameter(fc.tensor(np.ones((2, 3))))
    opt = make([p])
    for shape in ((2, 3), (2, 3), (4,), (4,)):
        if p.detach().numpy().shape != shape:        # the user swaps the data for another shape
            p.data = np.ones(shape)
            opt.state.clear()
        p.grad = fc.tensor(np.full(shape, 0.5))
        before = p.detach().numpy().copy()
        opt.step()
        assert p.detach().numpy().shape == shape and np.all(p.detach().numpy() < before)
    names = {name for s in opt.state_dict()["state"].values() for name in s}
    assert names <= {"momentum_buffer", "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [dict(lr=0.01, momentum=0.9), dict(lr=0.1),
                                    dict(lr=1, momentum=0), dict(lr=0.03, momentum=0.5)])
def test_sgd_native_update_is_bit_identical_to_numpy(monkeypatch, dtype, kwargs):
    """The one-pass native update (plain momentum SGD on numpy arrays) rounds exactly as
    the numpy expressions of the general path, float32 included."""
    def run(native):
        if not native:
            monkeypatch.setattr(optim.SGD, "_plain_update", lambda *a: False)
        params = [nn.Parameter(fc.tensor(p.astype(dtype))) for p in START + [RNG_ODD]]
        opt = optim.SGD(params, **kwargs)
        rng = np.random.default_rng(3)
        for _ in range(5):
            for p in params:
                p.grad = fc.tensor(rng.standard_normal(p.shape).astype(dtype))
            opt.step()
        monkeypatch.undo()
        return [p.detach().numpy().tobytes() for p in params], \
            [s["momentum_buffer"].tobytes() for s in opt.state.values()]
    assert run(True) == run(False)


RNG_ODD = np.random.default_rng(9).standard_normal((5, 1, 3, 7))


def test_sgd_native_update_skipped_where_numpy_rounds_differently(monkeypatch):
    # numpy float64 scalars promote float32 products to float64, dampening and weight
    # decay add terms: the numpy path handles those
    from fastconv.optim import sgd

    def boom(*args):
        raise AssertionError("native update used")
    monkeypatch.setattr(sgd.ops, "sgd_update", boom)
    for kwargs in (dict(lr=np.float64(0.1), momentum=0.9), dict(lr=0.1, momentum=0.5,
                                                                 dampening=0.1),
                   dict(lr=0.1, weight_decay=0.01), dict(lr=0.1, momentum=0.9, nesterov=True)):
        p = nn.Parameter(fc.tensor(np.ones(3, np.float32)))
        opt = optim.SGD([p], **kwargs)
        p.grad = fc.tensor(np.full(3, 0.3, np.float32))
        opt.step()
