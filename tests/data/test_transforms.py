"""Transforms against plain float64 per-image loops written here, batch-vs-single
equivalence, seeding, and clear errors for bad input."""
import math

import numpy as np
import pytest

import fastconv
import fastconv.data.transforms as T
import fastconv.data.transforms.functional as F


def images(shape=(6, 3, 9, 11), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def gen(seed=1):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- plain references

def ref_pad(img, left, top, right, bottom, fill, mode):
    """One image (C, H, W) padded pixel by pixel from the definitions of the modes."""
    c, h, w = img.shape
    out = np.empty((c, h + top + bottom, w + left + right))

    def source(i, n):   # index into a length-n axis for a padded position i (may be < 0)
        if mode == "edge":
            return min(max(i, 0), n - 1)
        if mode == "reflect":      # mirror without repeating the edge
            while i < 0 or i >= n:
                i = -i if i < 0 else 2 * (n - 1) - i
            return i
        if mode == "symmetric":    # mirror repeating the edge
            while i < 0 or i >= n:
                i = -i - 1 if i < 0 else 2 * n - 1 - i
            return i
        raise AssertionError(mode)

    for ch in range(c):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                si, sj = i - top, j - left
                if 0 <= si < h and 0 <= sj < w:
                    out[ch, i, j] = img[ch, si, sj]
                elif mode == "constant":
                    out[ch, i, j] = fill[ch] if np.ndim(fill) else fill
                else:
                    out[ch, i, j] = img[ch, source(si, h), source(sj, w)]
    return out


def forward_linear(angle, scale, shear_x, shear_y):
    """torchvision's forward linear map R(angle) S(scale) SHy(shear_y) SHx(shear_x),
    built from the elementary matrices (angles in degrees)."""
    a, sx, sy = (math.radians(v) for v in (angle, shear_x, shear_y))
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    shear_y_m = np.array([[1.0, 0.0], [-math.tan(sy), 1.0]])
    shear_x_m = np.array([[1.0, -math.tan(sx)], [0.0, 1.0]])
    return scale * rotation @ shear_y_m @ shear_x_m


def ref_affine(img, angle, translate, scale, shear, mode, fill, center=None):
    """One image warped by looping over output pixels in float64: the output pixel's
    centre, taken relative to `center`, goes through the inverse of the forward map
    p -> A (p - c) + c + t, then is read by nearest or bilinear interpolation with zero
    outside, blended with `fill` through the coverage (torchvision's rule)."""
    c, h, w = img.shape
    inv = np.linalg.inv(forward_linear(angle, scale, *shear))
    cx, cy = (w / 2, h / 2) if center is None else center
    out = np.zeros((c, h, w))
    for i in range(h):
        for j in range(w):
            p = np.array([j + 0.5 - cx - translate[0], i + 0.5 - cy - translate[1]])
            sx, sy = inv @ p + np.array([cx, cy]) - 0.5   # pixel-index coordinates
            if mode == "nearest":
                xi, yi = np.rint(sx), np.rint(sy)
                if 0 <= xi < w and 0 <= yi < h:
                    out[:, i, j] = img[:, int(yi), int(xi)]
                else:
                    out[:, i, j] = fill
                continue
            x0, y0 = math.floor(sx), math.floor(sy)
            value, cover = np.zeros(c), 0.0
            for yy, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
                for xx, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
                    if 0 <= xx < w and 0 <= yy < h:
                        value += wx * wy * img[:, yy, xx]
                        cover += wx * wy
            out[:, i, j] = value * cover + (1 - cover) * np.asarray(fill, float)
    return out


# ---------------------------------------------------------------- deterministic functions

@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, (1, 3), (0, 2, 3, 1)])
def test_pad_matches_reference(mode, padding):
    x = images((2, 2, 5, 6))
    sides = F.parse_padding(padding, "test")
    out = F.pad(x, padding, fill=(1.5, -2.0), padding_mode=mode)
    for n in range(2):
        np.testing.assert_array_equal(out[n], ref_pad(x[n].astype(np.float64), *sides,
                                                      (1.5, -2.0), mode).astype(np.float32))


def test_normalize_matches_reference():
    x = images(dtype=np.float64)
    mean, std = (0.1, -0.2, 0.3), (0.5, 2.0, 0.25)
    out = T.Normalize(mean, std)(x)
    for n in range(len(x)):
        for c in range(3):
            np.testing.assert_allclose(out[n, c], (x[n, c] - mean[c]) / std[c], rtol=1e-15)
    assert out.dtype == np.float64
    x32 = x[0].astype(np.float32)
    single = T.Normalize((0.5,), (2.0,))(x32)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, (x32.astype(np.float64) - 0.5) / 2.0, rtol=1e-6,
                               atol=1e-7)


def test_normalize_inplace_and_copy():
    x = images()
    keep = x.copy()
    T.Normalize((1.0,), (2.0,))(x)
    np.testing.assert_array_equal(x, keep)
    out = T.Normalize((1.0,), (2.0,), inplace=True)(x)
    assert out is x
    np.testing.assert_allclose(x, (keep - 1.0) / 2.0, rtol=1e-6)


@pytest.mark.parametrize("fn, axis", [(F.hflip, -1), (F.vflip, -2)])
def test_flips(fn, axis):
    x = images()
    out = fn(x)
    for n in range(len(x)):
        for c in range(3):
            ref = x[n, c][:, ::-1] if axis == -1 else x[n, c][::-1, :]
            np.testing.assert_array_equal(out[n, c], ref)
    np.testing.assert_array_equal(fn(x[2]), out[2])


def test_crop_per_sample_and_outside_is_zero():
    x = images((3, 2, 6, 7))
    top, left = np.array([0, 2, -1]), np.array([1, 3, 5])
    out = F.crop(x, top, left, 4, 3)
    for n in range(3):
        for i in range(4):
            for j in range(3):
                si, sj = top[n] + i, left[n] + j
                ref = x[n, :, si, sj] if 0 <= si < 6 and 0 <= sj < 7 else 0.0
                np.testing.assert_array_equal(out[n, :, i, j], ref)
    np.testing.assert_array_equal(F.crop(x[1], 2, 3, 4, 3), out[1])


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_matches_float64_reference(mode, dtype):
    x = images((4, 2, 9, 12), dtype=dtype)
    rng = gen(3)
    angle = rng.uniform(-40, 40, 4)
    translate = rng.integers(-3, 4, (4, 2)).astype(float)
    scale = rng.uniform(0.7, 1.4, 4)
    shear = rng.uniform(-15, 15, (4, 2))
    fill = [0.5, -1.0]
    out = F.affine(x, angle, translate, scale, shear, interpolation=mode, fill=fill)
    assert out.dtype == dtype and out.shape == x.shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for n in range(4):
        ref = ref_affine(x[n].astype(np.float64), angle[n], translate[n], scale[n], shear[n],
                         mode, fill)
        np.testing.assert_allclose(out[n], ref, atol=tol, rtol=tol)


def test_affine_about_a_center_and_identity():
    x = images((2, 1, 8, 10))
    out = F.affine(x, 25.0, (1, -2), 1.2, (5.0, 0.0), "bilinear", fill=0.0, center=(2, 6.5))
    for n in range(2):
        ref = ref_affine(x[n].astype(np.float64), 25.0, (1, -2), 1.2, (5.0, 0.0), "bilinear",
                         0.0, center=(2, 6.5))
        np.testing.assert_allclose(out[n], ref, atol=1e-5)
    np.testing.assert_array_equal(F.affine(x, 0.0, (0, 0), 1.0, 0.0), x)


def test_affine_uint8_rounds_back():
    x = np.random.default_rng(0).integers(0, 256, (2, 3, 8, 8), dtype=np.uint8)
    out = F.affine(x, 30.0, (1, 0), 1.1, 0.0, "bilinear", fill=0)
    ref = F.affine(x.astype(np.float32), 30.0, (1, 0), 1.1, 0.0, "bilinear", fill=0)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(np.rint(ref), 0, 255).astype(np.uint8))


def test_to_tensor():
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = T.ToTensor()(hwc)
    assert isinstance(out, fastconv.Tensor) and out.shape == (3, 5, 7)
    ref = np.array([[[hwc[i, j, c] / 255.0 for j in range(7)] for i in range(5)]
                    for c in range(3)])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    assert out.numpy().dtype == np.float32
    assert T.ToTensor()(hwc[:, :, 0]).shape == (1, 5, 7)
    batch = rng.integers(0, 256, (4, 5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor().apply_batch(batch)[2], T.ToTensor()(batch[2]).numpy())
    grey = rng.integers(0, 256, (4, 5, 7), dtype=np.uint8)
    assert T.ToTensor().apply_batch(grey).shape == (4, 1, 5, 7)
    already = np.random.default_rng(1).random((1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(T.ToTensor()(already).numpy(), already)


def test_tensor_in_tensor_out():
    x = images()
    t = T.Normalize((0.5,), (2.0,))
    out = t(fastconv.from_numpy(x))
    assert isinstance(out, fastconv.Tensor)
    np.testing.assert_array_equal(out.numpy(), t(x))
    flipped = F.hflip(fastconv.from_numpy(x[0]))
    assert isinstance(flipped, fastconv.Tensor)
    np.testing.assert_array_equal(flipped.numpy(), x[0][:, :, ::-1])


# ---------------------------------------------------------------- random transforms

RANDOM_TRANSFORMS = [
    lambda g: T.RandomHorizontalFlip(generator=g),
    lambda g: T.RandomVerticalFlip(0.3, generator=g),
    lambda g: T.RandomCrop(7, padding=2, generator=g),
    lambda g: T.RandomCrop((5, 9), padding=(1, 2, 3, 0), padding_mode="reflect", generator=g),
    lambda g: T.RandomAffine(30, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=(-5, 5, -3, 3),
                             generator=g),
    lambda g: T.RandomAffine((-10, 20), interpolation=T.InterpolationMode.BILINEAR,
                             fill=(0.5, 1.0, -1.0), generator=g),
]


@pytest.mark.parametrize("make", RANDOM_TRANSFORMS)
def test_batch_equals_images_one_by_one_with_the_same_draws(make):
    x = images((8, 3, 9, 11))
    batched = make(gen(7)).apply_batch(x)
    one_by_one = make(gen(7))
    singles = np.stack([one_by_one(x[n]) for n in range(len(x))])
    np.testing.assert_array_equal(batched, singles)


@pytest.mark.parametrize("make", RANDOM_TRANSFORMS)
def test_process_generator_seeded_by_manual_seed(make):
    x = images((8, 3, 9, 11))
    t = make(None)
    fastconv.manual_seed(11)
    first = t(x)
    fastconv.manual_seed(11)
    again = t(x)
    fastconv.manual_seed(12)
    other = t(x)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_every_sample_draws_its_own_parameters():
    x = np.broadcast_to(images((1, 1, 10, 10)), (64, 1, 10, 10)).copy()
    for t in [T.RandomCrop(6, generator=gen()), T.RandomAffine(40, generator=gen()),
              T.RandomHorizontalFlip(generator=gen())]:
        out = t.apply_batch(x)
        distinct = {out[n].tobytes() for n in range(64)}
        assert len(distinct) >= 2 if isinstance(t, T.RandomHorizontalFlip) else len(distinct) > 10


def test_flip_probability():
    x = np.arange(2, dtype=np.float32).reshape(1, 1, 1, 2).repeat(20000, axis=0)
    out = T.RandomHorizontalFlip(0.3, generator=gen()).apply_batch(x)
    rate = (out[:, 0, 0, 0] == 1).mean()
    assert abs(rate - 0.3) < 0.015
    assert np.array_equal(T.RandomHorizontalFlip(0.0).apply_batch(x), x)
    assert (T.RandomHorizontalFlip(1.0).apply_batch(x)[:, 0, 0, 0] == 1).all()


def test_random_crop_reaches_every_offset_and_matches_crop():
    x = np.arange(5 * 6, dtype=np.float32).reshape(1, 1, 5, 6).repeat(3000, axis=0)
    out = T.RandomCrop((3, 2), generator=gen()).apply_batch(x)
    tops, lefts = out[:, 0, 0, 0] // 6, out[:, 0, 0, 0] % 6
    assert set(tops.astype(int)) == {0, 1, 2} and set(lefts.astype(int)) == {0, 1, 2, 3, 4}
    for n in range(5):
        np.testing.assert_array_equal(out[n], F.crop(x[n], int(tops[n]), int(lefts[n]), 3, 2))


def test_random_crop_pad_if_needed_pads_both_sides():
    x = images((2, 1, 4, 5))
    out = T.RandomCrop((6, 5), pad_if_needed=True, generator=gen()).apply_batch(x)
    assert out.shape == (2, 1, 6, 5)
    # Height 4 is padded by 2 on top and 2 at the bottom (torchvision's rule): the
    # original rows appear whole at some offset.
    for n in range(2):
        found = any(np.array_equal(out[n, 0, i:i + 4], x[n, 0]) for i in range(3))
        assert found


def test_random_affine_params_follow_torchvision_rules():
    t = T.RandomAffine((-10, 30), translate=(0.25, 0.5), scale=(0.5, 2.0), shear=(1, 2, 3, 4),
                       generator=gen())
    p = t.sample_params(5000, 8, 12)
    assert -10 <= p["angle"].min() and p["angle"].max() < 30
    assert np.all(np.abs(p["translate"][:, 0]) <= 3) and np.all(np.abs(p["translate"][:, 1]) <= 4)
    np.testing.assert_array_equal(p["translate"], np.rint(p["translate"]))
    assert 0.5 <= p["scale"].min() and p["scale"].max() < 2.0
    assert 1 <= p["shear"][:, 0].min() and p["shear"][:, 0].max() < 2
    assert 3 <= p["shear"][:, 1].min() and p["shear"][:, 1].max() < 4
    only_x = T.RandomAffine(0, shear=7, generator=gen()).sample_params(100, 8, 8)["shear"]
    assert np.all(only_x[:, 1] == 0) and np.abs(only_x[:, 0]).max() <= 7


def test_random_affine_applies_its_drawn_params():
    x = images((5, 2, 8, 9))
    t = T.RandomAffine(20, translate=(0.2, 0.2), scale=(0.9, 1.1), shear=10,
                       interpolation="bilinear", fill=0.25, generator=gen(4))
    p = T.RandomAffine(20, translate=(0.2, 0.2), scale=(0.9, 1.1), shear=10,
                       generator=gen(4)).sample_params(5, 8, 9)
    out = t.apply_batch(x)
    for n in range(5):
        ref = ref_affine(x[n].astype(np.float64), p["angle"][n], p["translate"][n],
                         p["scale"][n], p["shear"][n], "bilinear", 0.25)
        np.testing.assert_allclose(out[n], ref, atol=1e-5)


def test_inputs_are_never_modified():
    x = images()
    keep = x.copy()
    for make in RANDOM_TRANSFORMS:
        make(gen()).apply_batch(x)
    T.Normalize((1.0,), (3.0,)).apply_batch(x)
    np.testing.assert_array_equal(x, keep)


# ---------------------------------------------------------------- Compose and Lambda

def test_compose_batch_equals_per_image_with_per_transform_generators():
    x = np.random.default_rng(0).integers(0, 256, (6, 12, 12, 3), dtype=np.uint8)

    def pipeline():
        return T.Compose([T.ToTensor(), T.RandomCrop(10, padding=1, generator=gen(1)),
                          T.RandomHorizontalFlip(generator=gen(2)),
                          T.Normalize((0.5, 0.4, 0.3), (0.2, 0.3, 0.4))])

    batched = pipeline().apply_batch(x)
    one = pipeline()
    singles = np.stack([one(x[n]).numpy() for n in range(6)])
    np.testing.assert_allclose(batched, singles, rtol=1e-6)
    assert batched.shape == (6, 3, 10, 10) and batched.dtype == np.float32


def test_lambda_sees_what_it_would_see_per_item():
    seen = []

    def record(v):
        seen.append(type(v).__name__)
        return v * 2

    x = np.random.default_rng(0).integers(0, 256, (3, 4, 4, 1), dtype=np.uint8)
    before = T.Compose([T.Lambda(record), T.ToTensor()])
    after = T.Compose([T.ToTensor(), T.Lambda(record), record])
    out = after.apply_batch(x)
    assert seen == ["Tensor"] * 6
    np.testing.assert_allclose(out, T.ToTensor().apply_batch(x) * 4, rtol=1e-6)
    seen.clear()
    before.apply_batch(x)
    assert seen == ["ndarray"] * 3
    assert T.Lambda(lambda v: v + 1)(np.zeros(3)).tolist() == [1, 1, 1]


def test_apply_batch_of_plain_function_and_none():
    x = images((3, 1, 2, 2))
    np.testing.assert_array_equal(T.apply_batch(lambda v: v[0], x), x[:, 0])
    assert T.apply_batch(None, x) is x


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, match", [
    (lambda: T.RandomCrop(8, padding=-1), "padding must be non-negative"),
    (lambda: T.RandomCrop(8, padding=(1, -2)), "padding must be non-negative"),
    (lambda: T.RandomCrop(8, padding=(1, 2, 3)), "padding"),
    (lambda: T.RandomCrop(0), "size must be positive"),
    (lambda: T.RandomCrop(8, padding_mode="wrap"), "padding_mode"),
    (lambda: T.RandomCrop(8, fill="red"), "fill"),
    (lambda: T.RandomHorizontalFlip(1.5), "p must be a probability"),
    (lambda: T.RandomHorizontalFlip(-0.1), "p must be a probability"),
    (lambda: T.RandomVerticalFlip("0.5"), "p must be a probability"),
    (lambda: T.RandomHorizontalFlip(generator=3), "generator"),
    (lambda: T.RandomAffine(-5), "degrees must be non-negative"),
    (lambda: T.RandomAffine((1, 2, 3)), "degrees"),
    (lambda: T.RandomAffine(5, translate=(0.2, 1.5)), "translate values must be in"),
    (lambda: T.RandomAffine(5, scale=(0, 1)), "scale values must be positive"),
    (lambda: T.RandomAffine(5, shear=(1, 2, 3)), "shear"),
    (lambda: T.RandomAffine(5, interpolation="bicubic"), "interpolation"),
    (lambda: T.RandomAffine(5, center=(1,)), "center"),
    (lambda: T.Normalize((0.5,), (0.0,)), "std"),
    (lambda: T.Normalize("abc", (1.0,)), "mean"),
    (lambda: T.Compose([1]), "transforms\\[0\\]"),
    (lambda: T.Lambda(3), "lambd"),
])
def test_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_crop_larger_than_padded_image():
    with pytest.raises(ValueError, match=r"size \(12, 12\) is larger than the padded image"):
        T.RandomCrop(12, padding=1)(images((2, 1, 9, 9)))
    with pytest.raises(ValueError, match="larger than the input image"):
        T.RandomCrop((4, 20))(images((2, 1, 9, 9)))


@pytest.mark.parametrize("t", [T.RandomHorizontalFlip(), T.RandomCrop(2), T.RandomAffine(3)],
                         ids=["flip", "crop", "affine"])
@pytest.mark.parametrize("shape", [(9,), (9, 9), (1, 2, 1, 9, 9)])
def test_wrong_rank(t, shape):
    with pytest.raises(ValueError, match=r"expected an image \(C, H, W\) or a batch"):
        t(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match=r"expected a batch of images \(N, C, H, W\)"):
        t.apply_batch(np.zeros(shape, np.float32))


def test_bad_image_dtypes_and_values():
    with pytest.raises(TypeError, match="float32 or float64"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="mean has 2 values but the image has 3 channels"):
        T.Normalize((0.5, 0.5), (1.0,))(np.zeros((3, 2, 2), np.float32))
    with pytest.raises(TypeError, match="unsupported image dtype"):
        T.RandomAffine(3)(np.zeros((1, 4, 4), np.int32))
    with pytest.raises(TypeError, match="ToTensor"):
        T.ToTensor()(np.zeros((4, 4, 3), np.int16))
    with pytest.raises(ValueError, match="fill has 2 values but the images have 3 channels"):
        T.RandomAffine(3, fill=(1, 2))(np.zeros((3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="reflect padding"):
        F.pad(np.zeros((1, 3, 3), np.float32), 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="scale must be positive"):
        F.affine(np.zeros((1, 3, 3), np.float32), 0, (0, 0), 0.0, 0)
    with pytest.raises(ValueError, match="angle has shape"):
        F.affine(np.zeros((2, 1, 3, 3), np.float32), np.zeros(3), (0, 0), 1.0, 0)


def test_degenerate_shear_is_fill_not_a_crash():
    out = F.affine(images((1, 1, 5, 5)), 0.0, (0, 0), 1.0, (90.0, 90.0), "bilinear", fill=7.0)
    assert out.shape == (1, 1, 5, 5)
    out = F.affine(images((1, 1, 5, 5)), 0.0, (0, 0), 1e-300, 0.0, "nearest", fill=7.0)
    assert out.shape == (1, 1, 5, 5)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_affine_in_sample_groups_equals_one_group(mode, monkeypatch):
    from fastconv.data.transforms import _kernels
    x = images((7, 3, 9, 11))
    t = T.RandomAffine(30, scale=(0.8, 1.2), interpolation=mode, fill=0.5, generator=gen(2))
    whole = t.apply_batch(x)
    monkeypatch.setattr(_kernels, "CHUNK_PIXELS", 2 * 9 * 11)   # groups of 2, 2, 2, 1
    t = T.RandomAffine(30, scale=(0.8, 1.2), interpolation=mode, fill=0.5, generator=gen(2))
    np.testing.assert_array_equal(t.apply_batch(x), whole)


@pytest.mark.parametrize("make", RANDOM_TRANSFORMS[:5])
def test_uint8_channels_last_images_stay_channels_last(make):
    """Raw uint8 (H, W, C) images, as CIFAR10 stores them (torchvision's PIL images),
    go through the geometric transforms like their (C, H, W) form."""
    hwc = np.random.default_rng(0).integers(0, 256, (5, 9, 11, 3), dtype=np.uint8)
    out = make(gen(3)).apply_batch(hwc)
    chw = make(gen(3)).apply_batch(np.ascontiguousarray(hwc.transpose(0, 3, 1, 2)))
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, chw.transpose(0, 2, 3, 1))
    single = make(gen(3))(hwc[0])
    np.testing.assert_array_equal(single, out[0])
