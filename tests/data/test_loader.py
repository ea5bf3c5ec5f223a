"""DataLoader: batch shapes, drop_last, deterministic shuffling, both fetch paths."""
import numpy as np
import pytest

import fastconv
from fastconv.data import ArrayDataset, DataLoader, FashionMNIST, Subset


def numbers(n=10):
    return ArrayDataset(np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1) * 10,
                        np.arange(n, dtype=np.int64))


class ItemsOnly:
    """A dataset without `arrays`: the loader must fetch and stack its items."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((1, 2, 2), i, np.float32), i


def labels_of(loader):
    return [y.tolist() for _, y in loader]


def test_batches_in_order():
    loader = DataLoader(numbers(10), batch_size=4, as_numpy=True)
    assert len(loader) == 3
    batches = list(loader)
    assert [x.shape for x, _ in batches] == [(4, 1, 1, 1), (4, 1, 1, 1), (2, 1, 1, 1)]
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(batches[2][0].ravel(), [80, 90])


def test_drop_last():
    loader = DataLoader(numbers(10), batch_size=4, drop_last=True, as_numpy=True)
    assert len(loader) == 2
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    exact = DataLoader(numbers(8), batch_size=4, drop_last=True, as_numpy=True)
    assert len(exact) == 2 and len(list(exact)) == 2
    assert len(DataLoader(numbers(3), batch_size=4, drop_last=True)) == 0


def test_default_batch_size_is_one():
    loader = DataLoader(numbers(3), as_numpy=True)
    assert len(loader) == 3 and labels_of(loader) == [[0], [1], [2]]


def test_each_shuffled_epoch_is_a_new_permutation():
    loader = DataLoader(numbers(50), batch_size=8, shuffle=True, seed=1, as_numpy=True)
    epochs = [np.concatenate([y for _, y in loader]) for _ in range(3)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(50))
    assert epochs[0].tolist() != list(range(50))
    assert epochs[0].tolist() != epochs[1].tolist() != epochs[2].tolist()


def test_shuffle_is_deterministic_per_seed():
    def run(seed):
        loader = DataLoader(numbers(40), batch_size=7, shuffle=True, seed=seed, as_numpy=True)
        return [labels_of(loader) for _ in range(2)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_images_follow_their_labels_when_shuffled():
    for x, y in DataLoader(numbers(30), batch_size=8, shuffle=True, seed=0, as_numpy=True):
        np.testing.assert_array_equal(x.ravel(), y * 10)


def test_items_only_dataset_matches_the_array_path():
    fast = DataLoader(ArrayDataset(np.stack([ItemsOnly()[i][0] for i in range(10)]),
                                   np.arange(10)), batch_size=3, shuffle=True, seed=5,
                      as_numpy=True)
    slow = DataLoader(ItemsOnly(), batch_size=3, shuffle=True, seed=5, as_numpy=True)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf, xs)
        np.testing.assert_array_equal(yf, ys)
        assert xs.shape[1:] == (1, 2, 2) and xs.dtype == np.float32 and ys.dtype == np.int64


def test_batches_are_copies():
    ds = numbers(6)
    for x, _ in DataLoader(ds, batch_size=6, as_numpy=True):
        x[:] = -1
    assert ds.arrays[0].min() == 0


def test_fashion_mnist_batches():
    loader = DataLoader(FashionMNIST(train=False), batch_size=64, shuffle=True, seed=0,
                        as_numpy=True)
    assert len(loader) == 16
    seen = 0
    for x, y in loader:
        assert x.shape[1:] == (1, 28, 28) and x.dtype == np.float32 and x.flags.c_contiguous
        assert y.dtype == np.int64 and y.shape == (x.shape[0],)
        seen += len(y)
    assert seen == 1000


def test_subset():
    sub = Subset(numbers(10), [7, 2, -1])
    assert len(sub) == 3 and sub[0][1] == 7 and sub[2][1] == 9
    assert labels_of(DataLoader(sub, batch_size=2, as_numpy=True)) == [[7, 2], [9]]
    with pytest.raises(IndexError):
        Subset(numbers(10), [10])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(numbers(), batch_size=bad)


def test_array_dataset_lengths_must_match():
    with pytest.raises(ValueError, match="length 3"):
        ArrayDataset(np.zeros(3), np.zeros(4))


def test_yields_tensors():
    if not hasattr(fastconv, "from_numpy"):
        pytest.skip("fastconv.from_numpy (the autograd layer) is not in this build yet")
    x, y = next(iter(DataLoader(FashionMNIST(train=False), batch_size=32)))
    assert tuple(x.shape) == (32, 1, 28, 28) and tuple(y.shape) == (32,)
    assert x.numpy().dtype == np.float32 and y.numpy().dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), FashionMNIST(train=False).targets[:32])
