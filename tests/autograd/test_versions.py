"""Version counters (issue 14): an array saved for backward and then changed in place makes
backward() raise, naming the op, instead of giving wrong gradients; views share their
base's counter; optimizer steps count as in-place changes. Each scenario runs in PyTorch
too, which must agree on whether backward raises."""
import types

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.autograd import increment_version, no_grad

FC = types.SimpleNamespace(tensor=fc.tensor, no_grad=fc.no_grad, exp=fc.exp,
                           conv2d=F.conv2d)
MODIFIED = "modified by an inplace operation"


def _torch_namespace(torch):
    return types.SimpleNamespace(tensor=torch.tensor, no_grad=torch.no_grad, exp=torch.exp,
                                 conv2d=torch.nn.functional.conv2d)


def _leaf(L, values=(1.0, 2.0, 3.0)):
    return L.tensor(np.array(values), requires_grad=True)


def _change(L, t, change):
    with L.no_grad():
        change(t)


# (name, build(L, x) -> (output, tensor to change), change(t), raises)
SCENARIOS = [
    ("mul_saved_input", lambda L, x: ((x * x).sum(), x), lambda t: t.mul_(10), True),
    ("add_saves_nothing", lambda L, x: ((x + 1).sum(), x), lambda t: t.mul_(10), False),
    ("mul_by_constant_saves_only_constant",
     lambda L, x: ((x * L.tensor(np.ones(3))).sum(), x), lambda t: t.add_(1), False),
    ("exp_saved_output", lambda L, x: (lambda y: (y.sum(), y))(x.exp()),
     lambda t: t.add_(1), True),
    ("view_of_saved_base", lambda L, x: ((x * x).sum(), x[1:]), lambda t: t.zero_(), True),
    ("base_of_saved_view", lambda L, x: (lambda v: ((v * v).sum(), x))(x[1:]),
     lambda t: t.add_(1), True),
    ("reshape_view", lambda L, x: (lambda v: ((v * v).sum(), x))(x.reshape(3, 1)),
     lambda t: t.mul_(2), True),
    ("transpose_view", lambda L, x: (lambda v: ((v * v).sum(), x))(x.reshape(1, 3).T),
     lambda t: t.mul_(2), True),
    ("advanced_index_copies", lambda L, x: (lambda c: ((c * c).sum(), x))(x[[0, 1]]),
     lambda t: t.mul_(2), False),
    ("detach_shares_counter", lambda L, x: ((x * x).sum(), x.detach()),
     lambda t: t.mul_(2), True),
    ("setitem", lambda L, x: ((x * x).sum(), x), lambda t: t.__setitem__(0, 5.0), True),
    ("copy_", lambda L, x: ((x.sqrt()).sum(), x), lambda t: t.copy_(t * 2), False),
    ("sqrt_output_copy_", lambda L, x: (lambda y: (y.sum(), y))(x.sqrt()),
     lambda t: t.copy_(t * 2), True),
    ("matmul_saves_other", lambda L, x: ((x @ (x * 2)), x), lambda t: t.add_(1), True),
    ("conv2d_weight_sub_", lambda L, x: (lambda w: (L.conv2d(
        L.tensor(np.ones((1, 1, 4, 4)), requires_grad=True), w).sum(), w))(
        x.reshape(1, 1, 3, 1)), lambda t: t.sub_(1), True),
    ("conv2d_unbatched_input", lambda L, x: (lambda i: (L.conv2d(
        i, L.tensor(np.ones((1, 1, 2, 2)))).sum(), i))(x.reshape(1, 3, 1).expand(1, 3, 3) * 1),
     lambda t: t.mul_(3), True),
]


def _outcome(L, build, change):
    x = _leaf(L)
    out, target = build(L, x)
    _change(L, target, change)
    try:
        out.backward()
    except RuntimeError as e:
        assert MODIFIED in str(e)
        return True
    return False


@pytest.mark.parametrize("build,change,raises",
                         [pytest.param(*s[1:], id=s[0]) for s in SCENARIOS])
def test_backward_raises_exactly_where_torch_raises(build, change, raises):
    assert _outcome(FC, build, change) is raises
    torch = pytest.importorskip("torch")
    assert _outcome(_torch_namespace(torch), build, change) is raises


def test_issue_reproducer_names_the_op_and_versions():
    x = fc.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = (x * x).sum()
    with no_grad():
        x.mul_(10)
    with pytest.raises(RuntimeError, match=r"\[float64 tensor of shape \(3,\)\], saved by "
                                           r"MulBackward .* is at version 1; expected "
                                           r"version 0"):
        y.backward()
    assert x.grad is None   # nothing was accumulated


def test_conv2d_weight_changed_between_forward_and_backward():
    rng = np.random.default_rng(0)
    x = fc.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = fc.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    with no_grad():
        w.sub_(0.5)                      # version 1 before the forward
    y = F.conv2d(x, w).sum()
    with no_grad():
        w.sub_(1)
    with pytest.raises(RuntimeError, match="Conv2dBackward .* is at version 2; expected "
                                           "version 1"):
        y.backward()


def test_version_counts_every_in_place_change_like_torch():
    torch = pytest.importorskip("torch")
    changes = [lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.sub_(1),
               lambda t: t.div_(2), lambda t: t.zero_(), lambda t: t.fill_(3.0),
               lambda t: t.clamp_(min=0.5), lambda t: t.__setitem__(1, 2.0),
               lambda t: t.copy_(t * 0), lambda t: t.uniform_(), lambda t: t.normal_(),
               lambda t: t.__iadd__(1), lambda t: t[1:].mul_(2), lambda t: t.view(3).zero_()]
    ours, theirs = fc.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    assert ours._version == theirs._version == 0
    for change in changes:
        change(ours)
        change(theirs)
        assert ours._version == theirs._version


def test_views_and_detach_share_the_counter_with_their_base():
    x = fc.tensor([[1.0, 2.0], [3.0, 4.0]])
    views = [x[0], x.reshape(4), x.T, x.permute(1, 0), x.detach(), x.unsqueeze(0),
             x.expand(3, 2, 2)]
    with no_grad():
        x.add_(1)
    assert [v._version for v in views] == [1] * len(views)
    views[0].mul_(2)
    assert x._version == 2 and views[3]._version == 2
    copy = x[fc.tensor([0, 1])]                  # advanced indexing copies
    copy.add_(1)
    assert copy._version == 1 and x._version == 2


def test_forward_under_no_grad_records_nothing_to_check():
    x = fc.tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = x * x
        x.mul_(2)
    assert y.grad_fn is None


def test_increment_version_is_public_for_changes_behind_autograds_back():
    x = fc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    x.data[...] *= 3                   # a raw array change autograd cannot see...
    increment_version(x)               # ...until its author says so
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


# ---------------------------------------------------------------- optimizers

def _model_and_loss(seed=0):
    fc.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = fc.tensor(np.random.default_rng(seed).standard_normal((5, 4)).astype(np.float32))
    return model, lambda: (model(x) ** 2).mean()


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01, nesterov=True, momentum=0.5),
    lambda p: optim.Adam(p, lr=0.01)], ids=["sgd", "momentum", "nesterov", "adam"])
def test_optimizer_step_counts_as_in_place(make):
    model, loss_fn = _model_and_loss()
    opt = make(model.parameters())
    for _ in range(3):                     # the usual loop never raises
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    loss = loss_fn()
    loss.backward(retain_graph=True)
    opt.step()                             # between a forward and its (second) backward
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_torch_also_raises_after_a_step_between_forward_and_backward():
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = (model(torch.ones(3, 4)) ** 2).mean()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()
