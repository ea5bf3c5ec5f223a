"""nn.Upsample, UpsamplingNearest2d, UpsamplingBilinear2d and the padding layers against
their torch.nn namesakes (values and input gradients), and their reprs."""
import numpy as np
import pytest

import fastconv as fc
from fastconv import nn

LAYERS = [
    ("Upsample", dict(scale_factor=2)),
    ("Upsample", dict(size=(7, 5), mode="bilinear")),
    ("Upsample", dict(scale_factor=1.5, mode="bilinear", align_corners=True)),
    ("Upsample", dict(scale_factor=(2, 3), mode="nearest-exact")),
    ("UpsamplingNearest2d", dict(scale_factor=3)),
    ("UpsamplingBilinear2d", dict(size=(9, 8))),
    ("ZeroPad2d", dict(padding=(1, 2, 0, 3))),
    ("ConstantPad2d", dict(padding=2, value=-0.5)),
    ("ReflectionPad2d", dict(padding=(2, 1, 3, 0))),
    ("ReplicationPad2d", dict(padding=3)),
    ("CircularPad2d", dict(padding=(1, 2, 2, 1))),
]


@pytest.mark.parametrize("name,kwargs", LAYERS)
def test_layer_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    ours_in = fc.tensor(x, requires_grad=True)
    theirs_in = torch.tensor(x, requires_grad=True)
    ours = getattr(nn, name)(**kwargs)(ours_in)
    theirs = getattr(torch.nn, name)(**kwargs)(theirs_in)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(theirs.shape))
    ours.backward(fc.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), atol=1e-12)


def test_reprs():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.UpsamplingBilinear2d(size=4)) == \
        "UpsamplingBilinear2d(size=4, mode='bilinear')"
    assert repr(nn.ReflectionPad2d(1)) == "ReflectionPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad2d(1, 2)) == "ConstantPad2d(padding=(1, 1, 1, 1), value=2.0)"


def test_padding_layer_argument_errors():
    with pytest.raises(ValueError, match="4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(TypeError, match="padding"):
        nn.ReplicationPad2d(1.5)
