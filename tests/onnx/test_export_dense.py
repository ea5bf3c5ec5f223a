"""ONNX export of the dense-prediction layers: ConvTranspose2d, interpolate/Upsample
(nearest, nearest-exact, linear, bilinear) and pad, against ONNX Runtime."""
import numpy as np
import pytest

from .helpers import export_and_compare

import fastconv
import fastconv.functional as F
import fastconv.onnx
from fastconv import nn


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@pytest.mark.parametrize("options", [
    dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), output_padding=(0, 1)),
    dict(groups=2, bias=False), dict(stride=3, padding=2, groups=4, output_padding=2),
], ids=lambda o: ",".join("%s=%s" % kv for kv in o.items()) or "plain")
def test_conv_transpose2d(tmp_path, options):
    fastconv.manual_seed(0)
    layer = nn.ConvTranspose2d(4, 8, 3, **options)
    export_and_compare(layer, _x((2, 4, 5, 6)), tmp_path, batches=(1, 3))


@pytest.mark.parametrize("kwargs", [
    dict(scale_factor=2, mode="nearest"),
    dict(scale_factor=(1.5, 2.5), mode="nearest"),
    dict(size=(7, 13), mode="nearest"),
    dict(size=(3, 4), mode="nearest"),
    dict(scale_factor=2, mode="nearest-exact"),
    dict(size=(9, 5), mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"),
    dict(scale_factor=(1.7, 0.6), mode="bilinear"),
    dict(size=(11, 7), mode="bilinear"),
    dict(size=(11, 7), mode="bilinear", align_corners=True),
    dict(scale_factor=3, mode="bilinear", align_corners=True),
    dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True),
], ids=lambda k: ",".join("%s=%s" % kv for kv in k.items()))
def test_interpolate_2d(tmp_path, kwargs):
    export_and_compare(_Lambda(lambda x: F.interpolate(x, **kwargs)), _x((2, 3, 6, 8)),
                       tmp_path, batches=(1, 4))


@pytest.mark.parametrize("kwargs", [
    dict(scale_factor=2, mode="nearest"), dict(size=11, mode="linear"),
    dict(scale_factor=1.5, mode="linear", align_corners=True),
], ids=lambda k: ",".join("%s=%s" % kv for kv in k.items()))
def test_interpolate_1d(tmp_path, kwargs):
    export_and_compare(_Lambda(lambda x: F.interpolate(x, **kwargs)), _x((2, 3, 7)),
                       tmp_path, batches=(5,))


def test_upsample_modules(tmp_path):
    model = nn.Sequential(nn.Upsample(scale_factor=2), nn.UpsamplingBilinear2d(size=(9, 9)),
                          nn.UpsamplingNearest2d(scale_factor=2))
    export_and_compare(model, _x((1, 2, 4, 4)), tmp_path, batches=(2,))


@pytest.mark.parametrize("module", [
    lambda: nn.ZeroPad2d((1, 2, 0, 3)), lambda: nn.ConstantPad2d(2, 0.5),
    lambda: nn.ReflectionPad2d((2, 1, 1, 2)), lambda: nn.ReplicationPad2d(3),
    lambda: nn.ZeroPad2d((-1, 2, 1, -2)),
], ids=lambda m: repr(m()))
def test_pad_modules(tmp_path, module):
    export_and_compare(module(), _x((2, 3, 5, 6)), tmp_path, batches=(1,))


def test_functional_pad_any_dims(tmp_path):
    export_and_compare(_Lambda(lambda x: F.pad(x, (1, 1, 0, 2, 1, 0), value=-1.0)),
                       _x((2, 3, 4, 5)), tmp_path, batches=(3,))


def test_circular_pad_needs_opset_19(tmp_path):
    with pytest.raises(fastconv.onnx.ExportError, match="circular.*19"):
        fastconv.onnx.export(nn.CircularPad2d(1), fastconv.tensor(_x((1, 2, 4, 4))), None)
    export_and_compare(nn.CircularPad2d((1, 2, 2, 1)), _x((1, 2, 4, 4)), tmp_path,
                       opset_version=19)


def test_unet_style_decoder(tmp_path):
    """Encoder, transposed-conv decoder, skip concatenation, bilinear upsampling."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
            self.down = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
            self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
            self.head = nn.Conv2d(16, 4, 1)

        def forward(self, x):
            e = self.enc(x)
            d = self.up(self.down(e))
            y = self.head(fastconv.cat([e, d], dim=1))
            return F.interpolate(y, scale_factor=2, mode="bilinear")
    fastconv.manual_seed(0)
    export_and_compare(Net(), _x((2, 3, 8, 8)), tmp_path, batches=(1,))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("opset", [16, 20])
def test_grid_sample(tmp_path, mode, padding_mode, align_corners, opset):
    grid = fastconv.tensor(np.random.default_rng(3).uniform(-1.3, 1.3, (2, 5, 7, 2))
                           .astype(np.float32))
    fn = lambda x: F.grid_sample(x, grid, mode, padding_mode, align_corners)  # noqa: E731
    export_and_compare(_Lambda(fn), _x((2, 3, 6, 8)), tmp_path, opset_version=opset,
                       dynamic_batch=False)


def test_spatial_transformer(tmp_path):
    """A localisation network predicts theta; affine_grid + grid_sample warp the input."""
    class STN(nn.Module):
        def __init__(self):
            super().__init__()
            self.loc = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                     nn.Flatten(), nn.Linear(4, 6))

        def forward(self, x):
            theta = self.loc(x).view(-1, 2, 3) * 0.1 + fastconv.tensor(
                [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
            grid = F.affine_grid(theta, x.shape, align_corners=False)
            return F.grid_sample(x, grid, align_corners=False)
    fastconv.manual_seed(0)
    export_and_compare(STN(), _x((2, 1, 9, 9)), tmp_path, batches=(1, 3), opset_version=20)
    with pytest.raises(fastconv.onnx.ExportError, match="AffineGrid.*opset_version >= 20"):
        fastconv.onnx.export(STN(), fastconv.tensor(_x((2, 1, 9, 9))), None)
