"""TensorDataset, Subset, ConcatDataset, random_split, and datasets with transforms:
items and whole batches agree, edge cases get clear errors."""
import numpy as np
import pytest

import fastconv
import fastconv.data.transforms as T
from fastconv.data import (ConcatDataset, DataLoader, Dataset, FashionMNIST, Subset,
                           TensorDataset, random_split)
from fastconv.data.dataset import batch_fetcher


def pair(n=10, offset=0):
    x = (np.arange(n, dtype=np.float32) + offset).reshape(n, 1, 1, 1)
    return TensorDataset(x, np.arange(n, dtype=np.int64) + offset)


def test_tensor_dataset_items_and_batches():
    ds = pair(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.shape == (1, 1, 1) and y == 3
    bx, by = ds.get_batch(np.array([4, 0]))
    np.testing.assert_array_equal(by, [4, 0])
    np.testing.assert_array_equal(bx.ravel(), [4, 0])


def test_tensor_dataset_of_fastconv_tensors():
    x = fastconv.from_numpy(np.arange(6, dtype=np.float32).reshape(3, 2))
    y = fastconv.from_numpy(np.array([1, 0, 1]))
    ds = TensorDataset(x, y)
    assert ds.tensors[0] is x
    item = ds[1]
    assert isinstance(item[0], fastconv.Tensor) and item[0].tolist() == [2.0, 3.0]
    (bx, by), = list(DataLoader(ds, batch_size=3))
    assert isinstance(bx, fastconv.Tensor)
    np.testing.assert_array_equal(bx.numpy(), x.numpy())


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="array 1 has shape \\(4,\\); every array needs length 3"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="array 0 has shape \\(\\)"):
        TensorDataset(np.float32(1.0))


def test_single_array_dataset_yields_one_tuples():
    ds = TensorDataset(np.arange(4.0))
    assert ds[2] == (2.0,)
    batches = list(DataLoader(ds, batch_size=2, as_numpy=True))
    assert isinstance(batches[0], tuple) and len(batches[0]) == 1


def test_subset_indices_and_batches():
    sub = Subset(pair(10), [7, 2, -1])
    assert len(sub) == 3 and sub[0][1] == 7 and sub[2][1] == 9 and sub[-1][1] == 9
    assert [item[1] for item in sub[[0, 1]]] == [7, 2]
    np.testing.assert_array_equal(batch_fetcher(sub)(np.array([2, 0]))[1], [9, 7])
    assert len(Subset(pair(3), [])) == 0
    nested = Subset(Subset(pair(10), range(2, 8)), [0, 5])
    assert [nested[i][1] for i in range(2)] == [2, 7]
    np.testing.assert_array_equal(batch_fetcher(nested)(np.array([1, 0]))[1], [7, 2])


@pytest.mark.parametrize("bad, error", [([10], IndexError), ([-11], IndexError),
                                        ([0.5], TypeError)])
def test_subset_bad_indices(bad, error):
    with pytest.raises(error, match="Subset"):
        Subset(pair(10), bad)


def test_concat_dataset_items_batches_and_add():
    a, b = pair(3), pair(4, offset=100)
    cat = ConcatDataset([a, b])
    assert len(cat) == 7 and cat.cumulative_sizes == [3, 7]
    assert [cat[i][1] for i in range(7)] == [0, 1, 2, 100, 101, 102, 103]
    assert cat[-1][1] == 103 and cat[-7][1] == 0
    fetched = batch_fetcher(cat)(np.array([5, 0, 3, 2, 6]))
    np.testing.assert_array_equal(fetched[1], [102, 0, 100, 2, 103])
    np.testing.assert_array_equal(fetched[0].ravel(), [102, 0, 100, 2, 103])
    assert len(a + b) == 7
    with pytest.raises(IndexError, match="out of range"):
        cat[7]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


class Items(Dataset):
    """Only __getitem__ and __len__: no batch protocol."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((1, 1, 1), i, np.float32), i


def test_concat_with_an_item_only_dataset_falls_back_to_items():
    cat = ConcatDataset([pair(3), Items(2)])
    assert batch_fetcher(cat) is None
    ys = np.concatenate([y.numpy() for _, y in DataLoader(cat, batch_size=2)])
    np.testing.assert_array_equal(ys, [0, 1, 2, 0, 1])


def test_dataset_base_requires_getitem():
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_random_split_lengths_and_fractions():
    ds = pair(10)
    parts = random_split(ds, [3, 7], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 7]
    seen = sorted(int(ds[i][1]) for p in parts for i in p.indices)
    assert seen == list(range(10))
    fractions = random_split(pair(11), [0.5, 0.3, 0.2], generator=np.random.default_rng(0))
    assert [len(p) for p in fractions] == [6, 3, 2]   # floor 5, 3, 2; one left to the first
    again = random_split(ds, [3, 7], generator=np.random.default_rng(0))
    np.testing.assert_array_equal(again[0].indices, parts[0].indices)


def test_random_split_uses_manual_seed():
    fastconv.manual_seed(5)
    a = random_split(pair(20), [10, 10])
    fastconv.manual_seed(5)
    b = random_split(pair(20), [10, 10])
    np.testing.assert_array_equal(a[0].indices, b[0].indices)


@pytest.mark.parametrize("lengths, match", [([3, 3], "does not equal"),
                                            ([11, -1], "non-negative"),
                                            ([0.5, 0.6], "fractions"),
                                            ([], "empty")])
def test_random_split_errors(lengths, match):
    with pytest.raises(ValueError, match=match):
        random_split(pair(10), lengths)


def test_random_split_warns_on_empty_split():
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(pair(2), [0.9, 0.1])


# ---------------------------------------------------------------- transforms in datasets

def test_dataset_transform_batch_equals_items():
    def make():
        return FashionMNIST(train=False, transform=T.Compose([
            T.RandomCrop(28, padding=2, generator=np.random.default_rng(1)),
            T.Normalize((0.3,), (0.35,))]), target_transform=lambda y: y * 2)

    idx = np.array([5, 900, 17, 3])
    bx, by = make().get_batch(idx)
    items = make()
    ref = [items[int(i)] for i in idx]
    np.testing.assert_allclose(bx, np.stack([r[0] for r in ref]), rtol=1e-6)
    np.testing.assert_array_equal(by, [r[1] for r in ref])
    plain = FashionMNIST(train=False)
    np.testing.assert_array_equal(by, plain.targets[idx] * 2)


def test_item_transform_never_changes_the_dataset():
    ds = FashionMNIST(train=False, transform=T.Normalize((0.5,), (0.5,), inplace=True))
    keep = ds.data[0].copy()
    ds[0]
    ds.get_batch(np.array([0]))
    np.testing.assert_array_equal(ds.data[0], keep)


def test_loader_applies_dataset_transform_per_batch_with_own_draws():
    ds = FashionMNIST(train=False, transform=T.RandomHorizontalFlip())
    fastconv.manual_seed(0)
    x, _ = next(iter(DataLoader(ds, batch_size=200)))
    x = x.numpy()
    flipped = [np.array_equal(x[n], ds.data[n][:, :, ::-1]) for n in range(200)]
    kept = [np.array_equal(x[n], ds.data[n]) for n in range(200)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 60 < sum(flipped) < 140


def test_bad_transform_argument():
    with pytest.raises(TypeError, match="transform must be callable"):
        FashionMNIST(train=False, transform=3)
    with pytest.raises(TypeError, match="target_transform must be callable"):
        FashionMNIST(train=False, target_transform="x")


def test_subclass_that_redefines_getitem_is_loaded_item_by_item():
    class Tagged(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x, y + 1000

    ds = Tagged(np.zeros((4, 1), np.float32), np.arange(4))
    assert batch_fetcher(ds) is None
    (_, y), = list(DataLoader(ds, batch_size=4))
    assert y.tolist() == [1000, 1001, 1002, 1003]
    assert batch_fetcher(Subset(ds, [0])) is None
