"""fastconv.data.scenes: scenes' masks, object maps and boxes checked against each other,
determinism for a seed, the Dataset with DataLoader, and the distorted Fashion-MNIST."""
import numpy as np
import pytest

from fastconv.data import DataLoader
from fastconv.data.fashion_mnist import load_fashion_mnist
from fastconv.data.scenes import (MAX_OBJECTS, DistortedFashionMNIST, Scenes, distort,
                                  distortion_thetas, make_scene, scene_rng)


@pytest.fixture(scope="module")
def items():
    return load_fashion_mnist(None, train=False)


def test_scene_masks_boxes_and_occlusion_agree(items):
    images, labels = items
    counts = set()
    for i in range(60):
        s = make_scene(scene_rng(3, i), images, labels, canvas=64, min_visible=0.6)
        k = len(s.labels)
        counts.add(k)
        assert 1 <= k <= MAX_OBJECTS
        assert s.boxes.shape == (k, 4) and s.object_masks.shape == (k, 64, 64)
        assert ((0 <= s.labels) & (s.labels < 10)).all()
        # the object seen at a pixel is the last one painted that covers it
        covering = np.zeros((64, 64), np.int64)
        for j, m in enumerate(s.object_masks):
            covering[m] = j + 1
        np.testing.assert_array_equal(s.objects, covering)
        # the class mask is the seen object's class (+1), background 0
        expected = np.where(s.objects > 0, np.concatenate([[0], s.labels + 1])[s.objects], 0)
        np.testing.assert_array_equal(s.mask, expected)
        # pixels are lit exactly where an object is seen
        np.testing.assert_array_equal(s.image > 0, s.objects > 0)
        for j in range(k):
            rows, cols = np.nonzero(s.object_masks[j])
            x1, y1, x2, y2 = s.boxes[j]
            # the box encloses the object's mask tightly (x2, y2 exclusive) ...
            assert (x1, y1, x2, y2) == (cols.min(), rows.min(), cols.max() + 1,
                                        rows.max() + 1)
            # ... so every pixel where the object is seen lies inside it
            vr, vc = np.nonzero(s.objects == j + 1)
            assert ((vc >= x1) & (vc < x2) & (vr >= y1) & (vr < y2)).all()
            # and enough of each object stays in view
            assert len(vr) >= 0.6 * len(rows)
    assert counts == {1, 2, 3, 4}


def test_scenes_are_deterministic_for_a_seed():
    a, b, c = Scenes(30, seed=5), Scenes(30, seed=5), Scenes(30, seed=6)
    for x, y in zip(a.get_batch(np.arange(30)), b.get_batch(np.arange(30))):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.images, c.images)
    # scene i depends on (seed, i) only: a longer set starts with the same scenes
    np.testing.assert_array_equal(Scenes(10, seed=5).masks, a.masks[:10])


def test_scenes_dataset_with_dataloader():
    data = Scenes(20, seed=1, train=False)
    image, mask, boxes, labels = data[3]
    assert image.shape == (1, 64, 64) and image.dtype == np.float32
    assert mask.shape == (64, 64) and mask.dtype == np.int64 and mask.max() <= 10
    assert boxes.shape == (MAX_OBJECTS, 4) and labels.shape == (MAX_OBJECTS,)
    k = int((labels >= 0).sum())
    assert (labels[k:] == -1).all() and (boxes[k:] == 0).all()
    batches = list(DataLoader(data, batch_size=8, shuffle=False))
    assert [b[0].shape for b in batches] == [(8, 1, 64, 64), (8, 1, 64, 64), (4, 1, 64, 64)]
    np.testing.assert_array_equal(batches[0][1].numpy()[3], mask)
    np.testing.assert_array_equal(batches[0][3].numpy()[3], labels)
    with pytest.raises(IndexError):
        data[20]
    with pytest.raises(ValueError, match="n must be"):
        Scenes(0)


def test_distortion_identity_and_quarter_turn():
    rng = np.random.default_rng(0)
    item = rng.uniform(0, 1, (1, 28, 28)).astype(np.float32)
    centred = np.zeros((42, 42), np.float32)
    centred[7:35, 7:35] = item[0]
    still = distortion_thetas(rng, 1, max_degrees=0, scale=(1, 1), shift=0)
    np.testing.assert_allclose(distort(item, still)[0], centred, atol=1e-5)
    quarter = np.array([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])   # output (x, y) reads (-y, x)
    np.testing.assert_allclose(distort(item, quarter)[0], np.rot90(centred, k=1), atol=1e-5)


def test_distorted_fashion_mnist():
    a = DistortedFashionMNIST(train=False, limit=50, seed=2)
    b = DistortedFashionMNIST(train=False, limit=50, seed=2)
    np.testing.assert_array_equal(a.images, b.images)
    image, label = a[0]
    assert image.shape == (1, 42, 42) and image.dtype == np.float32 and 0 <= label < 10
    assert 0 <= image.min() and image.max() <= 1
    angles = np.degrees(np.arctan2(a.thetas[:, 0, 1], a.thetas[:, 0, 0]))
    scales = 1 / np.hypot(a.thetas[:, 0, 0], a.thetas[:, 0, 1])
    assert np.abs(angles).max() <= 60 and ((0.7 <= scales) & (scales <= 1.2)).all()
    x, y = next(iter(DataLoader(a, batch_size=16)))
    assert x.shape == (16, 1, 42, 42) and y.shape == (16,)
