"""fastconv.optim.lr_scheduler against torch.optim.lr_scheduler: the same rates (and, for
OneCycleLR, momenta) at every step over every phase of each schedule, to 1e-12; resuming
from state dicts mid-schedule; the errors for bad arguments.

Each case builds the scheduler on both sides over an optimizer with two param groups
(different learning rates), then calls optimizer.step(); scheduler.step() in a loop.
"""
import math
import warnings

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn, optim
from fastconv.optim import lr_scheduler as ls

torch = pytest.importorskip("torch")
tls = torch.optim.lr_scheduler


def _optimizers(kind="SGD", **kwargs):
    """(ours, theirs): the same optimizer kind over two one-parameter groups."""
    ours = [nn.Parameter(fc.tensor(np.ones(2))) for _ in range(2)]
    theirs = [torch.nn.Parameter(torch.ones(2, dtype=torch.float64)) for _ in range(2)]
    kwargs = dict(dict(lr=0.1), **kwargs)

    def groups(params):
        return [{"params": params[:1]}, {"params": params[1:], "lr": kwargs["lr"] * 0.3}]
    return (getattr(optim, kind)(groups(ours), **kwargs),
            getattr(torch.optim, kind)(groups(theirs), **kwargs))


def _compare_groups(a, b, step):
    for ga, gb in zip(a.param_groups, b.param_groups):
        for key in ("lr", "momentum", "betas", "initial_lr"):
            if key in gb:
                np.testing.assert_allclose(np.array(ga[key], dtype=float),
                                           np.array(gb[key], dtype=float),
                                           rtol=1e-12, atol=1e-15,
                                           err_msg="%s at step %d" % (key, step))


def _run(make, steps, kind="SGD", opt_kwargs=None, metrics=None):
    """Step both sides `steps` times, comparing after construction and every step."""
    a_opt, b_opt = _optimizers(kind, **(opt_kwargs or {}))
    a, b = make(ls, a_opt), make(tls, b_opt)
    _compare_groups(a_opt, b_opt, 0)
    np.testing.assert_allclose(a.get_last_lr(), b.get_last_lr(), rtol=1e-12, atol=1e-15)
    history = [a.get_last_lr()]
    for step in range(1, steps + 1):
        a_opt.step()
        b_opt.step()
        if metrics is None:
            a.step()
            b.step()
        else:
            a.step(metrics[step - 1])
            b.step(metrics[step - 1])
        np.testing.assert_allclose(a.get_last_lr(), b.get_last_lr(), rtol=1e-12, atol=1e-15,
                                   err_msg="step %d" % step)
        _compare_groups(a_opt, b_opt, step)
        assert getattr(a, "last_epoch", None) == getattr(b, "last_epoch", None)
        history.append(a.get_last_lr())
    return np.array(history)


CASES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), 12),
    "StepLR-gamma1": (lambda m, o: m.StepLR(o, step_size=1, gamma=1.0), 4),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 12),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9), 15),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=10), 35),
    "CosineAnnealingLR-eta_min": (lambda m, o: m.CosineAnnealingLR(o, T_max=7,
                                                                   eta_min=0.01), 30),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e) ** 0.5), 10),
    "LambdaLR-per-group": (lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e,
                                                       lambda e: 1 + e]), 8),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95 - 0.01 * e), 10),
    "LinearLR": (lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=6), 10),
    "LinearLR-decay": (lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                               total_iters=4), 8),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4), 8),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=6, power=2.0), 9),
    "OneCycleLR-cos": (lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20), 19),
    "OneCycleLR-linear": (lambda m, o: m.OneCycleLR(o, max_lr=0.8, epochs=3,
                                                    steps_per_epoch=5,
                                                    anneal_strategy="linear",
                                                    pct_start=0.4, div_factor=10.0,
                                                    final_div_factor=100.0), 14),
    "OneCycleLR-three-phase": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=30,
                                                         three_phase=True,
                                                         base_momentum=0.8,
                                                         max_momentum=[0.9, 0.99]), 29),
    "OneCycleLR-no-momentum": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10,
                                                         cycle_momentum=False), 9),
    "SequentialLR": (lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=4),
            m.CosineAnnealingLR(o, T_max=8)], milestones=[5]), 20),
    "SequentialLR-three": (lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=2), m.ExponentialLR(o, gamma=0.8),
            m.StepLR(o, step_size=2, gamma=0.5)], milestones=[3, 7]), 14),
    "ChainedScheduler": (lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9)]), 8),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rates_match_torch_over_every_phase(name):
    make, steps = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch and we warn alike about SequentialLR
        _run(make, steps)


def test_one_cycle_cycles_adam_beta1_as_torch():
    _run(lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=12), 11, kind="Adam",
         opt_kwargs=dict(lr=0.001))


def test_one_cycle_refuses_a_step_past_total_steps():
    a_opt, _ = _optimizers()
    sched = ls.OneCycleLR(a_opt, max_lr=1.0, total_steps=4)
    for _ in range(4):
        a_opt.step()
        sched.step()   # the constructor's step was step 0: steps 1..4 are allowed
    with pytest.raises(ValueError, match="Tried to step 5 times.*total steps is 4"):
        sched.step()


def test_schedules_against_their_closed_forms():
    """Independent of torch: the recursive forms track the textbook closed forms."""
    history = _run(CASES["CosineAnnealingLR-eta_min"][0], 30)
    for epoch, lrs in enumerate(history):
        for lr, base in zip(lrs, (0.1, 0.03)):
            expected = 0.01 + (base - 0.01) * (1 + math.cos(math.pi * epoch / 7)) / 2
            assert math.isclose(lr, expected, rel_tol=1e-12, abs_tol=1e-15)
    history = _run(CASES["StepLR"][0], 12)
    for epoch, lrs in enumerate(history):
        assert math.isclose(lrs[0], 0.1 * 0.5 ** (epoch // 3), rel_tol=1e-15)
    history = _run(CASES["OneCycleLR-cos"][0], 19)
    warm_end = 0.3 * 20 - 1
    for step, lrs in enumerate(history):
        top = 1.0
        if step <= warm_end:
            pct, start, end = step / warm_end, top / 25, top
        else:
            pct, start, end = (step - warm_end) / (19 - warm_end), top, top / 25 / 1e4
        expected = end + (start - end) * (1 + math.cos(math.pi * pct)) / 2
        assert math.isclose(lrs[0], expected, rel_tol=1e-12)
    assert math.isclose(history[0][0], 1.0 / 25, rel_tol=1e-15)
    assert math.isclose(history[-1][0], 1.0 / 25 / 1e4, rel_tol=1e-12)


PLATEAU_METRICS = [5.0, 4.0, 3.9, 3.9, 3.9995, 3.9, 4.2, 3.8, 3.8, 3.8, 3.8, 3.8, 3.8,
                   2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(mode="max", patience=1, factor=0.5),
    dict(patience=1, threshold=0.2, threshold_mode="abs", factor=0.5),
    dict(mode="max", patience=0, threshold=0.1, threshold_mode="abs"),
    dict(patience=0, factor=0.5, min_lr=[0.02, 0.01]),
    dict(patience=0, factor=0.9, eps=0.005),
])
def test_reduce_on_plateau_matches_torch(kwargs):
    metrics = PLATEAU_METRICS if kwargs.get("mode") != "max" else [10 - m for m in
                                                                   PLATEAU_METRICS]
    history = _run(lambda m, o: m.ReduceLROnPlateau(o, **kwargs), len(metrics),
                   metrics=metrics)
    assert history[-1][0] < history[0][0]   # the rate was cut at least once


def test_reduce_on_plateau_takes_a_tensor_metric():
    a_opt, _ = _optimizers()
    sched = ls.ReduceLROnPlateau(a_opt, patience=0)
    sched.step(fc.tensor(1.0))
    sched.step(fc.tensor(np.array([1.0])))
    assert sched.get_last_lr() == [pytest.approx(0.01), pytest.approx(0.003)]


# ------------------------------------------------------------------ resuming

RESUME = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
          "MultiplicativeLR", "LinearLR", "ConstantLR", "PolynomialLR", "OneCycleLR-cos",
          "OneCycleLR-three-phase", "SequentialLR", "ChainedScheduler"]


@pytest.mark.parametrize("name", RESUME)
def test_state_dict_resume_mid_schedule_continues_exactly(name):
    """K steps, save optimizer and scheduler; new optimizer, new scheduler, load both
    (torch's order: scheduler built before the optimizer's state is loaded), N-K steps:
    the same rates as N straight steps."""
    make, n = CASES[name]
    k = n // 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt, _ = _optimizers()
        sched = make(ls, opt)
        straight = []
        for _ in range(n):
            opt.step()
            sched.step()
            straight.append(sched.get_last_lr())

        opt, _ = _optimizers()
        sched = make(ls, opt)
        for _ in range(k):
            opt.step()
            sched.step()
        saved_opt, saved_sched = opt.state_dict(), sched.state_dict()

        opt, _ = _optimizers()
        sched = make(ls, opt)
        opt.load_state_dict(saved_opt)
        sched.load_state_dict(saved_sched)
        resumed = []
        for _ in range(n - k):
            opt.step()
            sched.step()
            resumed.append(sched.get_last_lr())
    assert resumed == straight[k:]
    assert [g["lr"] for g in opt.param_groups] == straight[-1]


@pytest.mark.parametrize("name", ["CosineAnnealingLR", "ExponentialLR", "StepLR",
                                  "LinearLR"])
def test_last_epoch_argument_resumes_as_torch(name):
    """A scheduler built with last_epoch=K (initial_lr already in the groups) continues
    as torch's does."""
    make = {"CosineAnnealingLR": lambda m, o, e: m.CosineAnnealingLR(o, 10, last_epoch=e),
            "ExponentialLR": lambda m, o, e: m.ExponentialLR(o, 0.9, last_epoch=e),
            "StepLR": lambda m, o, e: m.StepLR(o, 3, last_epoch=e),
            "LinearLR": lambda m, o, e: m.LinearLR(o, 0.2, total_iters=8, last_epoch=e)}[name]
    a_opt, b_opt = _optimizers()
    for o in (a_opt, b_opt):
        for g in o.param_groups:
            g["initial_lr"] = g["lr"]
            g["lr"] *= 0.5
    a, b = make(ls, a_opt, 4), make(tls, b_opt, 4)
    for step in range(12):
        np.testing.assert_allclose(a.get_last_lr(), b.get_last_lr(), rtol=1e-12)
        a_opt.step()
        b_opt.step()
        a.step()
        b.step()


def test_resuming_without_initial_lr_is_a_key_error():
    a_opt, _ = _optimizers()
    with pytest.raises(KeyError, match="initial_lr.*param_groups\\[0\\]"):
        ls.StepLR(a_opt, 3, last_epoch=5)


def test_lambda_state_dict_keeps_callable_objects_state():
    class Rate:
        def __init__(self):
            self.scale = 0.5

        def __call__(self, epoch):
            return self.scale ** epoch

    a_opt, _ = _optimizers()
    rate = Rate()
    sched = ls.LambdaLR(a_opt, [rate, lambda e: 1.0])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"scale": 0.5}, None]
    rate.scale = 0.1
    sched.load_state_dict(saved)
    assert rate.scale == 0.5 and "lr_lambdas" in saved


def test_reduce_on_plateau_state_dict_round_trip():
    a_opt, _ = _optimizers()
    sched = ls.ReduceLROnPlateau(a_opt, patience=1, cooldown=1)
    for m in PLATEAU_METRICS[:8]:
        sched.step(m)
    saved = sched.state_dict()
    other_opt, _ = _optimizers()
    other_opt.load_state_dict(a_opt.state_dict())
    other = ls.ReduceLROnPlateau(other_opt)
    other.load_state_dict(saved)
    for m in PLATEAU_METRICS[8:]:
        sched.step(m)
        other.step(m)
        assert other.get_last_lr() == sched.get_last_lr()
    assert other.best == sched.best and other.patience == 1


# ------------------------------------------------------------------ protocol

def test_base_protocol():
    a_opt, _ = _optimizers()
    sched = ls.StepLR(a_opt, 2)
    assert isinstance(sched, ls.LRScheduler)
    assert sched.base_lrs == [0.1, pytest.approx(0.03)]
    assert [g["initial_lr"] for g in a_opt.param_groups] == sched.base_lrs
    assert sched.last_epoch == 0 and sched.get_last_lr() == sched.base_lrs
    assert "optimizer" not in sched.state_dict()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_warns_when_stepped_before_the_optimizer():
    a_opt, _ = _optimizers()
    sched = ls.ExponentialLR(a_opt, 0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    a_opt, _ = _optimizers()
    sched = ls.ExponentialLR(a_opt, 0.5)
    a_opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()


def test_the_scheduled_rate_is_the_one_the_optimizer_uses():
    p = nn.Parameter(fc.tensor(np.zeros(1)))
    opt = optim.SGD([p], lr=1.0)
    sched = ls.StepLR(opt, step_size=1, gamma=0.5)
    for expected in (1.0, 0.5, 0.25):
        p.grad = fc.tensor(np.ones(1))
        before = p.detach().numpy()[0]
        opt.step()
        assert before - p.detach().numpy()[0] == expected
        sched.step()


@pytest.mark.parametrize("make,error,message", [
    (lambda o: ls.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: ls.StepLR(o, step_size=2, gamma=-0.5), ValueError, "gamma"),
    (lambda o: ls.MultiStepLR(o, milestones=[5, 3]), ValueError, "milestones.*increasing"),
    (lambda o: ls.MultiStepLR(o, milestones=[1.5]), TypeError, "milestones"),
    (lambda o: ls.ExponentialLR(o, gamma=-1.0), ValueError, "gamma"),
    (lambda o: ls.ConstantLR(o, factor=-0.5), ValueError, "factor=-0.5"),
    (lambda o: ls.ConstantLR(o, factor=1.5), ValueError, "factor"),
    (lambda o: ls.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: ls.LinearLR(o, end_factor=2.0), ValueError, "end_factor"),
    (lambda o: ls.LinearLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: ls.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: ls.LambdaLR(o, 0.5), TypeError, "lr_lambda"),
    (lambda o: ls.LambdaLR(o, [lambda e: 1.0]), ValueError, "lr_lambdas"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps.*epochs.*"
                                                         "steps_per_epoch"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0, epochs=2), ValueError, "steps_per_epoch"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError, "total_steps"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0, epochs=0, steps_per_epoch=3), ValueError,
     "epochs"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=5, anneal_strategy="exp"),
     ValueError, "anneal_strategy"),
    (lambda o: ls.OneCycleLR(o, max_lr=[1.0], total_steps=5), ValueError, "max_lr"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=5, div_factor=0.0), ValueError,
     "div_factor"),
    (lambda o: ls.SequentialLR(o, [ls.ConstantLR(o), ls.ConstantLR(o)], milestones=[]),
     ValueError, "milestones"),
    (lambda o: ls.SequentialLR(o, [ls.ConstantLR(o)] * 3, milestones=[4, 2]), ValueError,
     "milestones.*increasing"),
    (lambda o: ls.SequentialLR(o, [], milestones=[]), ValueError, "at least one"),
    (lambda o: ls.SequentialLR(o, [ls.ReduceLROnPlateau(o), ls.ConstantLR(o)],
                               milestones=[2]), ValueError, "ReduceLROnPlateau"),
    (lambda o: ls.ReduceLROnPlateau(o, factor=-0.1), ValueError, "factor"),
    (lambda o: ls.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: ls.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
    (lambda o: ls.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode"),
    (lambda o: ls.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
    (lambda o: ls.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "min_lrs"),
    (lambda o: ls.StepLR("sgd", 2), TypeError, "not an Optimizer"),
])
def test_bad_arguments(make, error, message):
    a_opt, _ = _optimizers()
    with pytest.raises(error, match=message):
        make(a_opt)


def test_one_cycle_needs_momentum_or_betas():
    p = [nn.Parameter(fc.tensor(np.ones(1)))]
    with pytest.raises(ValueError, match="momentum or beta1"):
        ls.OneCycleLR(optim.Adagrad(p), max_lr=1.0, total_steps=5)
    ls.OneCycleLR(optim.Adagrad(p), max_lr=1.0, total_steps=5, cycle_momentum=False)
