"""nn.Sequential's batch-norm fusions: Conv2d -> BatchNorm2d (-> ReLU (-> MaxPool2d)),
BatchNorm -> ReLU (and Linear -> ReLU) give the results, gradients and running statistics of the modules run
one by one (bit for bit in training, to rounding where evaluation folds BN into the
conv), and keep less for the backward."""
import numpy as np
import pytest

import fastconv as fc
from fastconv import nn
from fastconv.nn.fusion import fused_run


def _net(kind, dtype=np.float32, seed=0):
    fc.manual_seed(seed)
    if kind == "conv-bn-relu":
        layers = [nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU()]
    elif kind == "conv-bn-relu-pool":
        layers = [nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6, momentum=None),
                  nn.ReLU(), nn.MaxPool2d(2)]
    elif kind == "conv-bn":
        layers = [nn.Conv2d(3, 5, 3, stride=2, groups=1), nn.BatchNorm2d(5, affine=False)]
    elif kind == "bn-relu":
        layers = [nn.BatchNorm2d(3), nn.ReLU()]
    elif kind == "bn-relu-pool":         # odd input: the 2x2 pool drops the last row/column
        layers = [nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2)]
    elif kind == "bn-relu-pool-ceil":    # ceil mode on an odd input: not the 2x2 path
        layers = [nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
    elif kind == "bn-relu-pool3":        # 3x3 windows: not the 2x2 path
        layers = [nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    elif kind == "linear-bn1d-relu":
        layers = [nn.Linear(7, 5), nn.BatchNorm1d(5), nn.ReLU()]
    elif kind == "linear-relu":
        layers = [nn.Linear(7, 9), nn.ReLU(), nn.Linear(9, 4, bias=False), nn.ReLU()]
    else:   # conv-bn-relu without tracked statistics: batch statistics in eval too
        layers = [nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, track_running_stats=False), nn.ReLU()]
    net = nn.Sequential(*layers).to(dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    for m in net:   # non-trivial affine parameters and running statistics
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            if m.weight is not None:
                m.weight.data[...] = rng.uniform(0.5, 1.5, c)
                m.bias.data[...] = rng.standard_normal(c)
            if m.running_mean is not None:
                m.running_mean.data[...] = rng.standard_normal(c) * 0.1
                m.running_var.data[...] = rng.uniform(0.5, 2.0, c)
    return net


def _input(kind, dtype, seed=3):
    shape = (6, 7) if kind.startswith("linear") else (4, 3, 8, 8)
    if kind.startswith("bn-relu-pool"):
        shape = (4, 3, 9, 7)
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if kind == "bn-relu-pool":   # ties (equal values in a window) keep the first winner
        x[0, 0, :2, :2] = 0.5
    return x


def _run(net, x, fused, grad_seed=5):
    """(output, {name: gradient}, {name: buffer}) after one forward and backward."""
    xt = fc.tensor(x, requires_grad=True)
    if fused:
        y = net(xt)
    else:
        y = xt
        for m in net:   # the modules one by one, no fusion
            y = m(y)
    g = np.random.default_rng(grad_seed).standard_normal(y.shape).astype(y.dtype)
    y.backward(fc.tensor(g))
    grads = {"input": xt.grad.detach().numpy()}
    grads.update({k: p.grad.detach().numpy().copy() for k, p in net.named_parameters()})
    buffers = {k: b.detach().numpy().copy() for k, b in net.named_buffers()}
    for p in net.parameters():
        p.grad = None
    return y.detach().numpy(), grads, buffers


KINDS = ["conv-bn-relu", "conv-bn-relu-pool", "conv-bn", "bn-relu", "bn-relu-pool",
         "bn-relu-pool-ceil", "bn-relu-pool3", "linear-bn1d-relu", "linear-relu", "untracked"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_training_fusions_equal_the_modules_run_one_by_one_bit_for_bit(kind, dtype):
    fused_net, plain_net = _net(kind, dtype), _net(kind, dtype)
    for step in range(2):
        x = _input(kind, dtype, seed=step)
        ours = _run(fused_net, x, True)
        theirs = _run(plain_net, x, False)
        np.testing.assert_array_equal(ours[0], theirs[0])
        for part in (1, 2):
            assert ours[part].keys() == theirs[part].keys()
            for key in ours[part]:
                np.testing.assert_array_equal(ours[part][key], theirs[part][key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_evaluation_fusions_equal_the_modules_to_rounding(kind, dtype):
    net = _net(kind, dtype).eval()
    x = _input(kind, dtype)
    ours, theirs = _run(net, x, True), _run(net, x, False)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    scale = max(1.0, float(np.abs(theirs[0]).max()))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tol, atol=tol * scale)
    assert ours[1].keys() == theirs[1].keys()
    for key, expected in theirs[1].items():   # the fold is differentiable
        g_scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(ours[1][key], expected, rtol=tol, atol=tol * g_scale,
                                   err_msg=key)


def _kept_bytes(output):
    """Bytes of the distinct arrays the tape keeps for backward below `output`."""
    seen, total, stack = set(), 0, [output]
    while stack:
        t = stack.pop()
        node = t._node
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        arrays = list(node.saved_tensors) + [v for v in vars(node).values()
                                              if isinstance(v, np.ndarray)]
        for a in arrays:
            if isinstance(a, np.ndarray) and id(a) not in seen:
                seen.add(id(a))
                total += a.nbytes
        stack.extend(p for p in node._inputs if p is not None)
    return total


def test_conv_bn_relu_keeps_no_relu_output_for_backward():
    net = _net("conv-bn-relu")
    x = fc.tensor(_input("conv-bn-relu", np.float32), requires_grad=True)
    fused = net(x)
    plain = x
    for m in net:
        plain = m(plain)
    assert _kept_bytes(fused) == _kept_bytes(plain) - plain.detach().numpy().nbytes


def test_sequential_picks_the_fused_runs():
    net = _net("conv-bn-relu-pool")
    modules = list(net)
    assert fused_run(modules, 0)[1] == 4              # training: conv, BN + ReLU, 2x2 pool
    assert fused_run(modules[:2], 0)[1] == 1          # training Conv -> BN: not fused
    x = fc.tensor(_input("conv-bn-relu-pool", np.float32), requires_grad=True)
    assert net(x)._node.name() == "MaxPool2x2OfReLUBackward"   # one-byte positions
    net.eval()
    assert fused_run(modules, 0)[1] == 4              # eval: BN folded into conv+relu+pool
    assert fused_run(modules[:2], 0)[1] == 2
    assert fused_run(modules[1:], 0)[1] == 3          # BN -> ReLU -> MaxPool2d


def test_linear_relu_is_one_tape_node_keeping_no_pre_activation():
    net = _net("linear-relu")
    modules = list(net)
    assert fused_run(modules, 0)[1] == 2 and fused_run(modules, 2)[1] == 2
    x = fc.tensor(_input("linear-relu", np.float32), requires_grad=True)
    y = net(x)
    assert y._node.name() == "LinearReLUBackward"
    assert y._node._inputs[0]._node is not None   # the first Linear -> ReLU, fused too
    plain = x
    for m in net:
        plain = m(plain)
    assert _kept_bytes(y) <= _kept_bytes(plain)


def test_fold_is_not_used_when_bn_does_not_fit_the_conv():
    conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(5).eval()
    assert fused_run([conv, bn], 0)[1] == 1
    with pytest.raises(ValueError, match="num_features"):
        nn.Sequential(conv, bn)(fc.randn(1, 3, 5, 5))


def test_batch_norm_relu_of_is_bit_identical_and_lets_hooks_see_the_call():
    from fastconv.nn.fusion import batch_norm_relu_of
    x = np.random.default_rng(5).standard_normal((4, 3, 5, 5)).astype(np.float32)
    results = []
    for fused in (True, False):
        fc.manual_seed(0)
        bn = nn.BatchNorm2d(3)
        bn.weight.data[...] = [0.5, -1.0, 2.0]
        seen = []
        if not fused:   # a hook: the call must go through bn(x), then F.relu
            bn.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        xt = fc.tensor(x, requires_grad=True)
        y = batch_norm_relu_of(bn, xt)
        y.backward(fc.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)))
        results.append((y.detach().numpy().tobytes(), xt.grad.numpy().tobytes(),
                        bn.weight.grad.numpy().tobytes(), bn.running_var.numpy().tobytes()))
        assert seen == ([] if fused else [(4, 3, 5, 5)])
    assert results[0] == results[1]
