"""CIFAR10 on small files written here in the published binary format: layout, both
root forms, transforms, and clear errors for missing, truncated or foreign files."""
import numpy as np
import pytest

import fastconv.data.transforms as T
from fastconv.data import CIFAR10, DataLoader, read_cifar10_batch
from fastconv.data import cifar

TRAIN = ["data_batch_%d.bin" % k for k in range(1, 6)]


def records(labels, seed):
    """Bytes of a binary batch written from the format's definition: per image one
    label byte, then the red, green and blue 32x32 planes, rows top to bottom; and the
    images as (n, 32, 32, 3) for checking."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (len(labels), 32, 32, 3), dtype=np.uint8)
    out = bytearray()
    for label, image in zip(labels, images):
        out.append(label)
        for channel in range(3):
            for row in range(32):
                out.extend(bytes(image[row, :, channel].tolist()))
    return bytes(out), images


def make_root(tmp_path, per_file=(3, 2, 1, 2, 4), test=3, nested=True):
    folder = tmp_path / "cifar-10-batches-bin" if nested else tmp_path / "bins"
    folder.mkdir()
    expected = {"train": ([], []), "test": ([], [])}
    for k, (name, n) in enumerate(list(zip(TRAIN, per_file)) + [("test_batch.bin", test)]):
        labels = [(k * 3 + i) % 10 for i in range(n)]
        data, images = records(labels, seed=k)
        (folder / name).write_bytes(data)
        split = "test" if name == "test_batch.bin" else "train"
        expected[split][0].append(images)
        expected[split][1].extend(labels)
    return (tmp_path if nested else folder), expected


@pytest.mark.parametrize("nested", [True, False])
def test_reads_both_splits(tmp_path, nested):
    root, expected = make_root(tmp_path, nested=nested)
    for train, split in ((True, "train"), (False, "test")):
        ds = CIFAR10(root, train=train)
        images = np.concatenate(expected[split][0])
        assert ds.data.dtype == np.uint8 and ds.data.shape == images.shape
        np.testing.assert_array_equal(ds.data, images)
        np.testing.assert_array_equal(ds.targets, expected[split][1])
        image, label = ds[1]
        np.testing.assert_array_equal(image, images[1])
        assert label == expected[split][1][1] and type(label) is int
    assert len(CIFAR10(root)) == 12 and len(CIFAR10(root, train=False)) == 3
    assert CIFAR10.classes[3] == "cat" and CIFAR10(root).class_to_idx["truck"] == 9


def test_read_one_batch_channels_first(tmp_path):
    data, images = records([4, 9], seed=3)
    (tmp_path / "b.bin").write_bytes(data)
    chw, labels = read_cifar10_batch(tmp_path / "b.bin")
    assert chw.shape == (2, 3, 32, 32) and chw.flags.writeable
    np.testing.assert_array_equal(chw, images.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(labels, [4, 9])


def test_transforms_per_item_and_per_batch(tmp_path):
    root, expected = make_root(tmp_path)
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    ds = CIFAR10(root, transform=tf, target_transform=lambda y: y + 10)
    x, y = ds[2]
    images = np.concatenate(expected["train"][0])
    ref = (images[2].transpose(2, 0, 1) / 255.0 - 0.5) / 0.25
    np.testing.assert_allclose(x.numpy(), ref, atol=1e-5)
    assert y == expected["train"][1][2] + 10
    batches = list(DataLoader(ds, batch_size=5))
    assert tuple(batches[0][0].shape) == (5, 3, 32, 32)
    got = np.concatenate([b[0].numpy() for b in batches])
    np.testing.assert_allclose(got, (images.transpose(0, 3, 1, 2) / 255.0 - 0.5) / 0.25,
                               atol=1e-5)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]),
                                  np.array(expected["train"][1]) + 10)


def test_missing_file_is_named(tmp_path):
    root, _ = make_root(tmp_path)
    (tmp_path / "cifar-10-batches-bin" / "data_batch_4.bin").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_4.bin"):
        CIFAR10(root)
    CIFAR10(root, train=False)   # the test split is complete
    with pytest.raises(FileNotFoundError, match="does not exist"):
        CIFAR10(tmp_path / "absent")


def test_truncated_file_is_named(tmp_path):
    root, _ = make_root(tmp_path)
    path = tmp_path / "cifar-10-batches-bin" / "data_batch_2.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="data_batch_2.bin.*not a whole number of 3073-byte"):
        CIFAR10(root)


@pytest.mark.parametrize("content, match", [
    (b"", "0 bytes is not a whole number"),
    (b"\x0a" + bytes(3072), "label 10; CIFAR-10 labels are 0-9"),
    (bytes(3 * 3073), "more than the 2 records"),
])
def test_foreign_files(tmp_path, content, match, monkeypatch):
    monkeypatch.setattr(cifar, "MAX_RECORDS", 2)   # keeps the oversized file small
    path = tmp_path / "test_batch.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        read_cifar10_batch(path)
    assert "test_batch.bin" in str(info.value)


def test_never_unpickles(tmp_path):
    """A pickled Python batch (the other published version) under a .bin name is
    rejected by its size, never loaded."""
    import pickle
    path = tmp_path / "test_batch.bin"
    path.write_bytes(pickle.dumps({"data": list(range(50)), "labels": [1, 2]}))
    with pytest.raises(ValueError, match="test_batch.bin"):
        read_cifar10_batch(path)


def test_the_usual_cifar_training_pipeline(tmp_path):
    """RandomCrop and RandomHorizontalFlip before ToTensor, as CIFAR scripts write it:
    per item and per batch (same draws from per-transform generators) agree."""
    root, expected = make_root(tmp_path)

    def pipeline():
        return T.Compose([T.RandomCrop(32, padding=4, generator=np.random.default_rng(1)),
                          T.RandomHorizontalFlip(generator=np.random.default_rng(2)),
                          T.ToTensor(),
                          T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])

    batch_x, batch_y = CIFAR10(root, transform=pipeline()).get_batch(np.arange(12))
    items = CIFAR10(root, transform=pipeline())
    singles = np.stack([items[i][0].numpy() for i in range(12)])
    np.testing.assert_allclose(batch_x, singles, rtol=1e-6)
    assert batch_x.shape == (12, 3, 32, 32) and batch_x.dtype == np.float32
    x, _ = next(iter(DataLoader(CIFAR10(root, transform=pipeline()), batch_size=12)))
    np.testing.assert_allclose(x.numpy(), batch_x, rtol=1e-6)
