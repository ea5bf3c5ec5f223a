"""Optimizer.state_dict / load_state_dict for every optimizer: torch's structure, and a
run saved after K steps and resumed in a new optimizer continues exactly as the run that
never stopped (bit for bit)."""
import numpy as np
import pytest

from fastconv import optim

from . import _problem as P

MAKERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    "SGD-nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                        weight_decay=0.01),
    "SGD-plain": lambda p: optim.SGD(p, lr=0.05),
    "Adam": lambda p: optim.Adam(p, lr=0.05, amsgrad=True),
    "AdamW": lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
}


def _steps(params, opt, n, skip=()):
    for _ in range(n):
        P.set_fastconv_grads(params, skip)
        opt.step()


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [False, True])
def test_save_after_k_steps_and_resume_continues_exactly(name, dtype, groups):
    make = MAKERS[name]

    def build(params):
        return make(P.split_groups(params, second_lr=0.02) if groups else params)

    n, k = 9, 4
    straight = P.fresh_fastconv(dtype)
    opt = build(straight)
    _steps(straight, opt, k, skip={2})   # parameter 2 has no state for the first K steps
    _steps(straight, opt, n - k)

    resumed = P.fresh_fastconv(dtype)
    first = build(resumed)
    _steps(resumed, first, k, skip={2})
    saved = first.state_dict()
    values = [p.detach().numpy().copy() for p in resumed]
    _steps(resumed, first, 2)                 # the saved snapshot must not follow the run
    for p, value in zip(resumed, values):
        p.data[...] = value
    second = build(resumed)
    second.load_state_dict(saved)
    _steps(resumed, second, n - k)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert second.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


@pytest.mark.parametrize("name", list(MAKERS))
def test_state_dict_is_a_snapshot_in_torchs_layout(name):
    params = P.fresh_fastconv()
    opt = MAKERS[name](P.split_groups(params))
    _steps(params, opt, 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    for group, live in zip(sd["param_groups"], opt.param_groups):
        assert {k: v for k, v in group.items() if k != "params"} == \
            {k: v for k, v in live.items() if k != "params"}
    for index, state in sd["state"].items():
        assert isinstance(index, int)
        live = opt.state[params[index]]
        assert set(state) == set(live)
        for key, value in state.items():
            if hasattr(value, "shape"):
                assert value is not live[key]
                np.testing.assert_array_equal(value, live[key])


def test_state_keys_match_torchs():
    torch = pytest.importorskip("torch")
    cases = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
             ("AdamW", {}), ("RMSprop", dict(momentum=0.9, centered=True)),
             ("RMSprop", {}), ("Adagrad", {})]
    for name, kwargs in cases:
        ours, theirs = P.fresh_fastconv(), P.fresh_torch()
        a = getattr(optim, name)(P.split_groups(ours), **kwargs)
        b = getattr(torch.optim, name)(P.split_groups(theirs), **kwargs)
        P.set_fastconv_grads(ours, skip={1})
        P.set_torch_grads(theirs, skip={1})
        a.step()
        b.step()
        sa, sb = a.state_dict(), b.state_dict()
        assert set(sa["state"]) == set(sb["state"]), name
        for i in sa["state"]:
            assert list(sa["state"][i]) == list(sb["state"][i]), name
            if "step" in sb["state"][i]:
                assert sa["state"][i]["step"] == sb["state"][i]["step"].item()
        assert [g["params"] for g in sa["param_groups"]] == \
            [g["params"] for g in sb["param_groups"]]


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.05, momentum=0.9)),
                                         ("Adam", dict(lr=0.05, amsgrad=True)),
                                         ("AdamW", dict(lr=0.05)),
                                         ("RMSprop", dict(lr=0.01, momentum=0.5,
                                                          centered=True)),
                                         ("Adagrad", dict(lr=0.1))])
def test_a_torch_optimizer_state_dict_loads_and_continues_as_torch(name, kwargs):
    """torch's own state_dict (tensors, a 0-d step tensor) loads into fastconv's
    optimizer, and the two continue in step."""
    torch = pytest.importorskip("torch")
    theirs = P.fresh_torch()
    b = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(3):
        P.set_torch_grads(theirs)
        b.step()
    ours = P.fresh_fastconv()
    for p, t in zip(ours, theirs):
        p.data[...] = t.detach().numpy()
    a = getattr(optim, name)(ours, **kwargs)
    a.load_state_dict(b.state_dict())
    for state in a.state.values():
        for key, value in state.items():
            assert not type(value).__module__.startswith("torch"), key
        if "step" in state:
            assert type(state["step"]) is float
    for _ in range(4):
        P.set_fastconv_grads(ours)
        P.set_torch_grads(theirs)
        a.step()
        b.step()
        for x, y in zip(ours, theirs):
            np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_load_state_dict_rejects_a_different_layout():
    params = P.fresh_fastconv()
    saved = optim.Adam(P.split_groups(params)).state_dict()
    with pytest.raises(ValueError, match="number of parameter groups"):
        optim.Adam(params).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.Adam([{"params": params[:2]}, {"params": params[2:]}]).load_state_dict(saved)
