"""lenet5: same layout as the torch.nn.Sequential equivalent, same logits and gradients
with copied weights, and it learns."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.models import lenet5


def _torch_lenet(torch, num_classes=10):
    T = torch.nn
    return T.Sequential(T.Conv2d(1, 6, 5, padding=2), T.ReLU(), T.MaxPool2d(2),
                        T.Conv2d(6, 16, 5), T.ReLU(), T.MaxPool2d(2), T.Flatten(),
                        T.Linear(400, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(),
                        T.Linear(84, num_classes))


def _batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, n).astype(np.int64))


def test_output_shape_and_dtype():
    model = lenet5()
    x, _ = _batch(3)
    y = model(fc.tensor(x))
    assert y.shape == (3, 10) and y.dtype == np.float32
    assert lenet5(num_classes=4)(fc.tensor(x)).shape == (3, 4)


def test_state_dict_layout_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = lenet5().state_dict(), _torch_lenet(torch).state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]
    assert repr(lenet5()) == repr(_torch_lenet(torch))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_weights_give_same_logits_and_gradients(dtype):
    torch = pytest.importorskip("torch")
    theirs = _torch_lenet(torch).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = lenet5().to(dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x, t = _batch()
    x = x.astype(dtype)
    logits = ours(fc.tensor(x))
    ref = theirs(torch.tensor(x))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(logits.detach().numpy(), ref.detach().numpy(), **tol)
    F.cross_entropy(logits, fc.tensor(t)).backward()
    torch.nn.functional.cross_entropy(ref, torch.tensor(t)).backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), err_msg=name, **tol)


def test_adam_steps_reduce_the_loss():
    model = lenet5()
    x, t = _batch(16, seed=1)
    x, t = fc.tensor(x), fc.tensor(t)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(12):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]
    assert all(np.isfinite(losses))


# Learning on the shipped Fashion-MNIST subset is tests/test_train.py's job (fastconv.train
# loops over fastconv.data); it is not repeated here.
