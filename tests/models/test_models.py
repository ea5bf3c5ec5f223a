"""cnn_bn, resnet20 and vgg11_bn: the same state-dict keys and shapes as the networks
written in torch here (independently of fastconv.models.torch_twins), the same outputs
and gradients with weights moved either way, and the shapes each takes."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn
from fastconv.models import cnn_bn, resnet20, vgg11_bn

torch = pytest.importorskip("torch")
T = torch.nn
TF = torch.nn.functional


# ------------------------------------------------------------------ torch references

def torch_cnn_bn():
    return T.Sequential(T.Conv2d(1, 32, 5, padding=2), T.BatchNorm2d(32), T.ReLU(),
                        T.MaxPool2d(2), T.Conv2d(32, 64, 5, padding=2), T.BatchNorm2d(64),
                        T.ReLU(), T.MaxPool2d(2), T.Flatten(), T.Linear(3136, 1024), T.ReLU(),
                        T.Dropout(0.5), T.Linear(1024, 10))


class LambdaLayer(T.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class TorchBasicBlock(T.Module):
    """The block of the common PyTorch CIFAR ResNets, option A shortcut."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = T.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = T.BatchNorm2d(planes)
        self.conv2 = T.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = T.BatchNorm2d(planes)
        self.shortcut = T.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = LambdaLayer(lambda x: TF.pad(
                x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), "constant", 0))

    def forward(self, x):
        out = TF.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return TF.relu(out + self.shortcut(x))


class TorchResNet20(T.Module):
    def __init__(self, num_classes=10, in_channels=3):
        super().__init__()
        self.in_planes = 16
        self.conv1 = T.Conv2d(in_channels, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = T.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, 1)
        self.layer2 = self._make_layer(32, 2)
        self.layer3 = self._make_layer(64, 2)
        self.linear = T.Linear(64, num_classes)

    def _make_layer(self, planes, stride):
        layers = []
        for s in [stride, 1, 1]:
            layers.append(TorchBasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return T.Sequential(*layers)

    def forward(self, x):
        out = TF.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = TF.avg_pool2d(out, out.size()[3])
        return self.linear(out.view(out.size(0), -1))


class TorchVGG11BN(T.Module):
    def __init__(self, num_classes=10, in_channels=3):
        super().__init__()
        layers, c = [], in_channels
        for x in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            if x == "M":
                layers += [T.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True)]
            else:
                layers += [T.Conv2d(c, x, kernel_size=3, padding=1), T.BatchNorm2d(x),
                           T.ReLU(inplace=True)]
                c = x
        self.features = T.Sequential(*layers)
        self.classifier = T.Linear(512, num_classes)

    def forward(self, x):
        out = self.features(x)
        return self.classifier(out.view(out.size(0), -1))


CASES = {   # name: (fastconv builder, torch builder, input shape)
    "cnn_bn": (cnn_bn, torch_cnn_bn, (1, 28, 28)),
    "resnet20": (resnet20, TorchResNet20, (3, 32, 32)),
    "resnet20-fmnist": (lambda: resnet20(in_channels=1),
                        lambda: TorchResNet20(in_channels=1), (1, 28, 28)),
    "vgg11_bn": (vgg11_bn, TorchVGG11BN, (3, 32, 32)),
    "vgg11_bn-fmnist": (lambda: vgg11_bn(in_channels=1),
                        lambda: TorchVGG11BN(in_channels=1), (1, 28, 28)),
}


def _to_torch(state, dtype):
    return {k: torch.from_numpy(np.array(v.numpy())).to(
        dtype if np.issubdtype(v.dtype, np.floating) else torch.int64)
        for k, v in state.items()}


def _tolerance(dtype):
    return dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def _no_dropout(ours, theirs):
    """Dropout off in both (its masks come from different generators)."""
    for m in ours.modules():
        if type(m).__name__ == "Dropout":
            m.p = 0.0
    for m in theirs.modules():
        if isinstance(m, T.Dropout):
            m.p = 0.0


def _randomise_bn(model, rng):
    """Non-trivial BN parameters and running statistics, so they are really compared."""
    for name, value in model.state_dict().items():
        if "num_batches_tracked" in name:
            continue
        if name.endswith(("running_var",)):
            value.numpy()[...] = rng.uniform(0.5, 2.0, value.shape)
        elif name.endswith(("running_mean",)):
            value.numpy()[...] = rng.normal(0, 0.2, value.shape)


# ------------------------------------------------------------------ layout

@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_keys_and_shapes_match_torch(name):
    build, build_torch, _ = CASES[name]
    ours, theirs = build().state_dict(), build_torch().state_dict()
    assert list(ours) == list(theirs)
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_cnn_bn_is_the_13_module_sequential():
    model = cnn_bn()
    assert isinstance(model, nn.Sequential) and len(model) == 13
    assert [type(m).__name__ for m in model] == [type(m).__name__ for m in torch_cnn_bn()]
    assert repr(model) == repr(torch_cnn_bn())


def test_resnet20_has_027m_parameters_and_parameter_free_shortcuts():
    model = resnet20()
    assert sum(p.numel() for p in model.parameters()) == 269722   # He et al.: 0.27M
    assert sum(p.numel() for p in TorchResNet20().parameters()) == 269722
    names = [n for n, _ in model.named_parameters()]
    assert not any("shortcut" in n for n in names)
    assert sum(p.numel() for p in resnet20(num_classes=100).parameters()) == 269722 + 90 * 65


def test_resnet20_kaiming_normal_init():
    fc.manual_seed(0)
    model = resnet20()
    for name, p in model.named_parameters():
        if name.endswith("weight") and p.ndim >= 2:
            fan_in = int(np.prod(p.shape[1:]))
            w, expected = p.detach().numpy(), np.sqrt(2.0 / fan_in)
            assert abs(w.std() / expected - 1) < (0.25 if w.size < 1000 else 0.1), name
            assert abs(w.mean()) < 5 * expected / np.sqrt(w.size), name   # 5 standard errors


@pytest.mark.parametrize("build, shape", [
    (cnn_bn, (1, 28, 28)), (resnet20, (3, 32, 32)), (lambda: resnet20(in_channels=1), (1, 28, 28)),
    (vgg11_bn, (3, 32, 32)), (lambda: vgg11_bn(in_channels=1), (1, 28, 28)),
    (lambda: resnet20(num_classes=7), (3, 32, 32))])
def test_output_shapes(build, shape):
    model = build()
    out = model(fc.tensor(np.random.default_rng(0).standard_normal((2,) + shape), dtype=np.float32))
    classes = model.linear.out_features if hasattr(model, "linear") else 10
    assert out.shape == (2, classes) and out.dtype == np.float32


def test_vgg11_bn_head_reaches_1x1_from_32_and_28():
    for in_channels, size in ((3, 32), (1, 28)):
        model = vgg11_bn(in_channels=in_channels)
        x = fc.tensor(np.zeros((1, in_channels, size, size), np.float32))
        assert model.features(x).shape == (1, 512, 1, 1)


# ------------------------------------------------------------------ numbers

PARITY = [pytest.param(name, dtype, marks=[pytest.mark.slow] if (
    name == "vgg11_bn" and dtype == np.float64) else [])
    for name in CASES for dtype in (np.float32, np.float64)]


@pytest.mark.parametrize("name, dtype", PARITY)
def test_our_weights_in_torch_give_the_same_outputs_and_gradients(name, dtype):
    build, build_torch, shape = CASES[name]
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    fc.manual_seed(1)
    rng = np.random.default_rng(2)
    ours, theirs = build().to(dtype), build_torch().to(tdtype)
    _randomise_bn(ours, rng)
    theirs.load_state_dict(_to_torch(ours.state_dict(), tdtype))
    _no_dropout(ours, theirs)
    n = 2 if name.startswith("vgg") else 4
    x = rng.standard_normal((n,) + shape).astype(dtype)
    t = rng.integers(0, 10, n)
    tol = _tolerance(dtype)
    for training in (False, True):
        ours.train(training)
        theirs.train(training)
        for p in ours.parameters():
            p.grad = None
        theirs.zero_grad(set_to_none=True)
        logits = ours(fc.tensor(x))
        ref = theirs(torch.from_numpy(x))
        np.testing.assert_allclose(logits.detach().numpy(), ref.detach().numpy(), **tol,
                                   err_msg="train" if training else "eval")
        F.cross_entropy(logits, fc.tensor(t)).backward()
        TF.cross_entropy(ref, torch.from_numpy(t)).backward()
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            scale = max(1.0, float(np.abs(q.grad.numpy()).max()))
            np.testing.assert_allclose(p.grad.numpy() / scale, q.grad.numpy() / scale,
                                       err_msg=n, **tol)
    # one training forward updated the running statistics alike
    ref_buffers = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(np.asarray(value.numpy(), np.float64),
                                   ref_buffers[key].double().numpy(), err_msg=key, **tol)


@pytest.mark.parametrize("name", ["cnn_bn", "resnet20", "vgg11_bn-fmnist"])
def test_torch_weights_load_into_ours(name):
    build, build_torch, shape = CASES[name]
    torch.manual_seed(3)
    theirs = build_torch()
    theirs.train()
    x = torch.randn((8,) + shape)
    with torch.no_grad():
        theirs(x)                 # non-trivial running statistics
    theirs.eval()
    ours = build()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    with fc.no_grad():
        out = ours(fc.tensor(x.numpy()))
    np.testing.assert_allclose(out.numpy(), theirs(x).detach().numpy(), **_tolerance(np.float32))


@pytest.mark.parametrize("name, args", [("cnn_bn", ()), ("resnet20", (10, 1)),
                                        ("vgg11_bn", (10, 1))])
def test_torch_twins_are_these_networks(name, args):
    """fastconv.models.torch_twins (what bench and the torch reference run) has the test's
    layout and, with the same weights, the test's outputs."""
    from fastconv.models import torch_twins
    twin = getattr(torch_twins, name + "_torch")(*args)
    ref = {"cnn_bn": torch_cnn_bn, "resnet20": TorchResNet20,
           "vgg11_bn": TorchVGG11BN}[name](*args)
    assert [(k, tuple(v.shape)) for k, v in twin.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    twin.load_state_dict(ref.state_dict())
    twin.eval()
    ref.eval()
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(twin(x), ref(x))
