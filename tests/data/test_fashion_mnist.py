"""FashionMNIST: the shipped subset, directories of IDX files, and bad data."""
import numpy as np
import pytest

from fastconv.data import CLASSES, FashionMNIST, find_fashion_mnist, load_fashion_mnist, write_idx
from fastconv.data import fashion_mnist as fm


@pytest.fixture(scope="module")
def subset():
    return FashionMNIST(), FashionMNIST(train=False)


def test_shipped_subset_shapes_and_dtypes(subset):
    for ds, n in zip(subset, (5000, 1000)):
        assert len(ds) == n
        assert ds.data.shape == (n, 1, 28, 28) and ds.data.dtype == np.float32
        assert ds.targets.shape == (n,) and ds.targets.dtype == np.int64
        assert ds.data.min() >= 0.0 and ds.data.max() <= 1.0
        assert ds.data.max() == 1.0  # some pixel is fully white
        assert ds.targets.min() == 0 and ds.targets.max() == 9


def test_shipped_subset_is_stratified(subset):
    train, test = subset
    assert np.bincount(train.targets, minlength=10).tolist() == [500] * 10
    assert np.bincount(test.targets, minlength=10).tolist() == [100] * 10


def test_classes():
    assert FashionMNIST.classes == CLASSES
    assert len(CLASSES) == 10 and CLASSES[0] == "T-shirt/top" and CLASSES[9] == "Ankle boot"


def test_items(subset):
    train = subset[0]
    image, label = train[3]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert label == train.targets[3] and 0 <= label < 10
    np.testing.assert_array_equal(train[-1][0], train.data[-1])
    with pytest.raises(IndexError):
        train[len(train)]
    data, targets = train.arrays
    assert data is train.data and targets is train.targets


def test_normalize(subset):
    norm = FashionMNIST(normalize=True)
    assert abs(float(norm.data.mean())) < 0.05
    assert abs(float(norm.data.std()) - 1.0) < 0.05
    np.testing.assert_allclose(norm.data, (subset[0].data - fm.MEAN) / fm.STD, rtol=1e-5,
                               atol=1e-5)
    half = FashionMNIST(train=False, normalize=(0.5, 0.5))
    assert half.data.min() >= -1.0 and half.data.max() <= 1.0
    with pytest.raises(ValueError, match="std"):
        FashionMNIST(train=False, normalize=(0.5, 0.0))


def make_dir(root, n_train=12, n_test=6, gz=True, images=None, labels=None):
    """A directory with the standard four files, filled with random images."""
    rng = np.random.default_rng(0)
    root.mkdir(exist_ok=True)
    suffix = ".gz" if gz else ""
    for (img_name, lbl_name), n in ((fm.FILES[True], n_train), (fm.FILES[False], n_test)):
        img = images if images is not None else rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        lbl = labels if labels is not None else (np.arange(n) % 10).astype(np.uint8)
        write_idx(root / (img_name + suffix), img)
        write_idx(root / (lbl_name + suffix), lbl)
    return root


@pytest.mark.parametrize("gz", [True, False])
def test_directory_of_files(tmp_path, gz):
    root = make_dir(tmp_path / "fm", gz=gz)
    train, test = FashionMNIST(root), FashionMNIST(str(root), train=False)
    assert train.data.shape == (12, 1, 28, 28) and test.data.shape == (6, 1, 28, 28)
    raw, _ = load_fashion_mnist(root)
    np.testing.assert_allclose(train.data[:, 0] * 255, raw, atol=1e-3)
    assert test.targets.tolist() == [0, 1, 2, 3, 4, 5]


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        FashionMNIST(tmp_path / "absent")
    root = make_dir(tmp_path / "fm")
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    FashionMNIST(root)  # the train split is complete
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        FashionMNIST(root, train=False)


def test_wrong_image_shape(tmp_path):
    root = make_dir(tmp_path / "fm", images=np.zeros((4, 27, 28), np.uint8),
                    labels=np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match=r"train-images.*\(N, 28, 28\)"):
        FashionMNIST(root)


def test_label_count_mismatch(tmp_path):
    root = make_dir(tmp_path / "fm", images=np.zeros((4, 28, 28), np.uint8),
                    labels=np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="4 images.*3 labels"):
        FashionMNIST(root)


def test_label_out_of_range(tmp_path):
    root = make_dir(tmp_path / "fm", images=np.zeros((2, 28, 28), np.uint8),
                    labels=np.array([3, 10], np.uint8))
    with pytest.raises(ValueError, match="label 10 out of range"):
        FashionMNIST(root)


def test_truncated_file_in_directory(tmp_path):
    root = make_dir(tmp_path / "fm", gz=False)
    path = root / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*truncated"):
        FashionMNIST(root)


def test_find_fashion_mnist(tmp_path, monkeypatch):
    monkeypatch.setattr(fm, "DEBIAN_DIRS", (str(tmp_path / "none"), str(make_dir(tmp_path / "x"))))
    assert find_fashion_mnist() == tmp_path / "x"
    monkeypatch.setattr(fm, "DEBIAN_DIRS", (str(tmp_path / "none"),))
    assert find_fashion_mnist() is None


def test_shipped_test_subset_comes_from_the_full_set(subset):
    """The shipped test images are the first 100 of each class of the full test set."""
    root = find_fashion_mnist()
    if root is None:
        pytest.skip("full Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    images, labels = load_fashion_mnist(root, train=False)
    idx = np.sort(np.concatenate([np.flatnonzero(labels == c)[:100] for c in range(10)]))
    np.testing.assert_array_equal(subset[1].targets, labels[idx])
    np.testing.assert_array_equal(np.rint(subset[1].data[:, 0] * 255), images[idx])
