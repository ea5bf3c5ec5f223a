"""Layers against torch.nn with copied weights, argument checks, module gradchecks."""
import numpy as np
import pytest

import fastconv as fc
from fastconv import nn
from fastconv.autograd import gradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def copy_weights(ours: nn.Module, theirs) -> None:
    """torch module's parameters into ours (same state_dict keys)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def run_pair(ours, theirs, x, dtype=np.float32):
    """Forward + backward of both modules on x; compare outputs, input and param grads."""
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    x = x.astype(dtype)
    fx, tx = fc.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fy, ty = ours(fx), theirs(tx)
    np.testing.assert_allclose(fy.detach().numpy(), ty.detach().numpy(), **tol)
    g = np.random.default_rng(7).standard_normal(ty.shape).astype(dtype)
    fy.backward(g)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), **tol)
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), **tol)


@pytest.mark.parametrize("args,kwargs", [
    ((3, 4, 3), {}),
    ((3, 6, (3, 2)), dict(stride=2, padding=1, groups=3)),
    ((2, 4, 4), dict(padding="same", dilation=2, bias=False)),
    ((2, 2, 3), dict(padding="valid", stride=(2, 1))),
])
def test_conv2d_module_matches_torch(args, kwargs):
    ours, theirs = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]
    copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((2, args[0], 9, 8))
    run_pair(ours, theirs, x)


def test_linear_flatten_identity_match_torch():
    x = np.random.default_rng(1).standard_normal((4, 2, 3, 2))
    ours = nn.Sequential(nn.Identity(), nn.Flatten(), nn.Linear(12, 5), nn.ReLU(),
                         nn.Linear(5, 3, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Flatten(),
                                 torch.nn.Linear(12, 5), torch.nn.ReLU(),
                                 torch.nn.Linear(5, 3, bias=False))
    copy_weights(ours, theirs)
    run_pair(ours, theirs, x)
    f = nn.Flatten(0, 1)
    assert f(fc.tensor(x)).shape == (8, 3, 2)


def test_pool_and_activation_modules_match_torch():
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 7))
    run_pair(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True),
             x)
    run_pair(nn.Softmax(dim=1), torch.nn.Softmax(dim=1), x)
    run_pair(nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1), x)
    y, idx = nn.MaxPool2d(2, return_indices=True)(fc.tensor(x))
    assert y.shape == (2, 3, 3, 3) and idx.dtype == np.int64


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_torch(reduction):
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    w = np.array([1.0, 2.0, 0.5, 1.0])
    pairs = [(nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(
        reduction=reduction)),
        (nn.CrossEntropyLoss(weight=fc.tensor(w), ignore_index=1, reduction=reduction),
         torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=1,
                                   reduction=reduction)),
        (nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction))]
    for ours, theirs in pairs:
        a = ours(fc.tensor(x), fc.tensor(t)).numpy()
        b = theirs(torch.tensor(x), torch.tensor(t)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    y = rng.standard_normal((5, 4))
    a = nn.MSELoss(reduction=reduction)(fc.tensor(x), fc.tensor(y)).numpy()
    b = torch.nn.MSELoss(reduction=reduction)(torch.tensor(x), torch.tensor(y)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_fuses_conv_relu_pool_and_matches_unfused(monkeypatch, dtype):
    import fastconv.nn.fusion as container   # the fusion table's builders call these
    calls = []

    def spy(name):
        real = getattr(container, name)

        def call(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)
        monkeypatch.setattr(container, name, call)

    spy("conv2d_relu")
    spy("conv2d_relu_max_pool2d")
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                          nn.Conv2d(4, 5, 3), nn.ReLU(), nn.Conv2d(5, 3, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(3, 2, 1),
                          nn.ReLU(), nn.MaxPool2d(2, return_indices=True))
    model.to(dtype)
    x = np.random.default_rng(4).standard_normal((2, 2, 17, 17)).astype(dtype)
    results = []
    for fused in (True, False):
        model.zero_grad()
        tx = fc.tensor(x, requires_grad=True)
        if fused:
            y, idx = model(tx)
        else:
            y = tx
            for module in model:
                y = module(y)
            y, idx = y
        (y * y).sum().backward()
        results.append([y.detach().numpy(), idx.numpy(), tx.grad.numpy()] +
                       [p.grad.numpy() for p in model.parameters()])
    # the pool with return_indices=True is left to its module: only Conv2d -> ReLU fuses
    assert calls == ["conv2d_relu_max_pool2d", "conv2d_relu", "conv2d_relu_max_pool2d",
                     "conv2d_relu"]
    for a, b in zip(*results):
        assert a.tobytes() == b.tobytes()


def test_sequential_container_api():
    from collections import OrderedDict
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[0] is a and s[-1] is b and list(s) == [a, b]
    s.append(c)
    assert s[2] is c and list(s.state_dict()) == ["0.weight", "0.bias", "2.weight",
                                                  "2.bias"]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [n for n, _ in sub.named_children()] == ["1", "2"]      # names kept, as torch
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is a
    with pytest.raises(IndexError):
        s[3]
    s[1] = nn.Identity()
    assert isinstance(s[1], nn.Identity)
    del s[0]
    assert len(s) == 2 and [n for n, _ in s.named_children()] == ["0", "1"]
    assert s(fc.tensor(np.ones((4, 3), dtype=np.float32))).shape == (4, 1)


def test_conv2d_argument_errors():
    with pytest.raises(ValueError, match="in_channels"):
        nn.Conv2d(0, 2, 3)
    with pytest.raises(TypeError, match="out_channels"):
        nn.Conv2d(1, 2.5, 3)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2d(1, 1, (3, 0))
    with pytest.raises(ValueError, match="stride"):
        nn.Conv2d(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding"):
        nn.Conv2d(1, 1, 3, padding=-1)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="input channels"):
        nn.Conv2d(3, 2, 3)(fc.tensor(np.zeros((1, 2, 5, 5), dtype=np.float32)))


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 4, 4)),
    (lambda: nn.Conv2d(2, 4, 2, padding="same", groups=2), (1, 2, 4, 3)),
    (lambda: nn.Linear(5, 3), (2, 5)),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                           nn.Flatten(), nn.Linear(8, 3), nn.LogSoftmax(dim=1)),
     (2, 1, 4, 4)),
])
def test_module_gradcheck(make, shape):
    """Every parameter's and the input's gradient, float64, by finite differences."""
    module = make().double()
    x = fc.tensor(np.random.default_rng(5).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x, *params: module(x), [x] + list(module.parameters()))


def test_fusion_table_takes_new_patterns_and_declines_per_module():
    """A registered pattern is used; a builder returning None leaves the modules alone."""
    from fastconv.nn import fusion
    seen = []

    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    def build(run):
        if getattr(run[0], "skip", False):
            return None
        seen.append(len(run))
        return lambda x: x * 4

    saved = list(fusion.FUSIONS)
    try:
        fusion.register_fusion((Double, Double), build)
        model = nn.Sequential(Double(), Double(), Double())
        assert model(fc.tensor(np.ones(2))).numpy().tolist() == [8.0, 8.0]
        assert seen == [2]
        model[0].skip = True
        assert model(fc.tensor(np.ones(2))).numpy().tolist() == [8.0, 8.0]
        assert seen == [2, 2]   # declined at 0, fused at 1
    finally:
        fusion.FUSIONS[:] = saved
