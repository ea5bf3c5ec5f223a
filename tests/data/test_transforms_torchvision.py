"""Transforms against torchvision's own (second reference), where torchvision imports.

torchvision draws its random parameters from torch's generator, so each comparison
draws ours, then hands the same parameters to torchvision's functional API per image.
"""
import sys

import numpy as np
import pytest

import fastconv.data.transforms as T
import fastconv.data.transforms.functional as F

torch = pytest.importorskip("torch")


def _import_torchvision():
    """torchvision.transforms.functional, or skip. A torchvision wheel built for CUDA
    fails at import on a machine without CUDA libraries when it registers its compiled
    detection ops; the pure-Python transforms need none of them, so a second try
    imports it with that registration turned off."""
    try:
        import torchvision.transforms.functional as TF
        return TF
    except ImportError as e:
        pytest.skip("torchvision not importable: %s" % e, allow_module_level=True)
    except Exception:
        pass
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    import torch.library
    register_fake = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: (lambda fn: fn)
    try:
        import torchvision.transforms.functional as TF
        return TF
    except Exception as e:
        pytest.skip("torchvision not importable: %s" % e, allow_module_level=True)
    finally:
        torch.library.register_fake = register_fake


TF = _import_torchvision()
from torchvision.transforms import InterpolationMode  # noqa: E402


def images(shape=(6, 3, 13, 10), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def per_image(fn, x):
    return np.stack([fn(torch.from_numpy(x[n].copy()), n).numpy() for n in range(len(x))])


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("center", [None, [2, 7.5]])
def test_random_affine(mode, center):
    x = images((16, 3, 13, 10))
    args = dict(degrees=30, translate=(0.2, 0.1), scale=(0.7, 1.3), shear=(-10, 10, -5, 5))
    out = T.RandomAffine(interpolation=mode, fill=0.5, center=center,
                         generator=np.random.default_rng(1), **args).apply_batch(x)
    p = T.RandomAffine(generator=np.random.default_rng(1), **args).sample_params(16, 13, 10)
    ref = per_image(lambda img, n: TF.affine(
        img, float(p["angle"][n]), [int(v) for v in p["translate"][n]], float(p["scale"][n]),
        [float(v) for v in p["shear"][n]], interpolation=InterpolationMode(mode),
        fill=[0.5] * 3, center=center), x)
    np.testing.assert_allclose(out, ref, atol=2e-5)


def test_functional_affine_without_fill_and_uint8():
    x = np.random.default_rng(0).integers(0, 256, (4, 3, 12, 12), dtype=np.uint8)
    ours = F.affine(x, 20, [1, -2], 1.1, [5, 3], interpolation="bilinear")
    theirs = TF.affine(torch.from_numpy(x), 20, [1, -2], 1.1, [5, 3],
                       interpolation=InterpolationMode.BILINEAR).numpy()
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad(mode):
    x = images()
    np.testing.assert_array_equal(
        F.pad(x, [1, 2, 3, 4], fill=2.0, padding_mode=mode),
        TF.pad(torch.from_numpy(x), [1, 2, 3, 4], fill=2.0, padding_mode=mode).numpy())


def test_random_crop_with_padding():
    x = images((8, 3, 9, 9))
    t = T.RandomCrop(8, padding=2, padding_mode="reflect", generator=np.random.default_rng(3))
    out = t.apply_batch(x)
    padded = TF.pad(torch.from_numpy(x), 2, padding_mode="reflect")
    u = np.random.default_rng(3).random((8, 2))
    tops, lefts = (u[:, 0] * 6).astype(int), (u[:, 1] * 6).astype(int)
    for n in range(8):
        np.testing.assert_array_equal(out[n], TF.crop(padded[n], tops[n], lefts[n], 8, 8).numpy())
    np.testing.assert_array_equal(F.crop(x, -2, 3, 8, 9),
                                  TF.crop(torch.from_numpy(x), -2, 3, 8, 9).numpy())


def test_flips_normalize_to_tensor():
    x = images()
    xt = torch.from_numpy(x)
    np.testing.assert_array_equal(F.hflip(x), TF.hflip(xt).numpy())
    np.testing.assert_array_equal(F.vflip(x), TF.vflip(xt).numpy())
    np.testing.assert_array_equal(F.normalize(x, [0.1, 0.2, 0.3], [0.5, 2, 3]),
                                  TF.normalize(xt, [0.1, 0.2, 0.3], [0.5, 2, 3]).numpy())
    u = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(u).numpy(), TF.to_tensor(u).numpy())
