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


# ---------------------------------------------------------------- torch's arguments

from collections import namedtuple  # noqa: E402

from fastconv.data import (BatchSampler, RandomSampler, SequentialSampler,  # noqa: E402
                           SubsetRandomSampler, TensorDataset, default_collate,
                           default_convert)


def test_batch_size_none_yields_converted_items():
    items = list(DataLoader(numbers(3), batch_size=None))
    assert len(items) == 3
    x, y = items[2]
    assert isinstance(x, fastconv.Tensor) and tuple(x.shape) == (1, 1, 1) and y.item() == 2
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(numbers(3), batch_size=None, drop_last=True)


def test_seed_keeps_the_earlier_shuffle_stream():
    loader = DataLoader(numbers(20), batch_size=20, shuffle=True, seed=7, as_numpy=True)
    rng = np.random.default_rng(7)
    for _ in range(2):
        (_, y), = list(loader)
        np.testing.assert_array_equal(y, rng.permutation(20))


def test_generator_drives_the_shuffle():
    a = DataLoader(numbers(20), batch_size=5, shuffle=True,
                   generator=np.random.default_rng(3), as_numpy=True)
    b = DataLoader(numbers(20), batch_size=5, shuffle=True, seed=3, as_numpy=True)
    assert labels_of(a) == labels_of(b)
    with pytest.raises(ValueError, match="seed or generator"):
        DataLoader(numbers(), seed=1, generator=np.random.default_rng(1))
    with pytest.raises(TypeError, match="generator"):
        DataLoader(numbers(), generator=5)


def test_manual_seed_seeds_the_shuffle():
    loader = DataLoader(numbers(30), batch_size=30, shuffle=True, as_numpy=True)
    fastconv.manual_seed(0)
    first = [labels_of(loader) for _ in range(2)]
    fastconv.manual_seed(0)
    again = [labels_of(loader) for _ in range(2)]
    assert first == again and first[0] != first[1]


def test_samplers():
    ds = numbers(10)
    assert list(SequentialSampler(ds)) == list(range(10))
    order = list(RandomSampler(ds, generator=np.random.default_rng(0)))
    assert sorted(order) == list(range(10)) and len(RandomSampler(ds)) == 10
    longer = list(RandomSampler(ds, num_samples=25, generator=np.random.default_rng(0)))
    assert len(longer) == 25 and sorted(longer[:10]) == list(range(10))
    drawn = list(RandomSampler(ds, replacement=True, num_samples=200,
                               generator=np.random.default_rng(0)))
    assert len(drawn) == 200 and set(drawn) == set(range(10))
    assert sorted(SubsetRandomSampler([4, 7, 1])) == [1, 4, 7]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, False)) == [[0, 1, 2], [3, 4, 5],
                                                                         [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(ds, num_samples=0)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)


def test_sampler_and_batch_sampler_arguments():
    ds = numbers(10)
    loader = DataLoader(ds, batch_size=4, sampler=[9, 8, 7, 1, 0], as_numpy=True)
    assert labels_of(loader) == [[9, 8, 7, 1], [0]]
    loader = DataLoader(ds, batch_sampler=[[3, 1], [2], [0, 5, 6]], as_numpy=True)
    assert labels_of(loader) == [[3, 1], [2], [0, 5, 6]] and len(loader) == 3
    loader = DataLoader(ds, sampler=SubsetRandomSampler([2, 4, 6], np.random.default_rng(0)),
                        batch_size=3, as_numpy=True)
    assert sorted(labels_of(loader)[0]) == [2, 4, 6]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sampler=[0, 1], shuffle=True), ValueError, "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option"),
    (dict(num_workers=-1), ValueError, "num_workers"),
    (dict(timeout=-1), ValueError, "timeout"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor"),
    (dict(num_workers=1, prefetch_factor=0), ValueError, "prefetch_factor"),
    (dict(persistent_workers=True), ValueError, "persistent_workers"),
    (dict(collate_fn=3), TypeError, "collate_fn"),
    (dict(worker_init_fn="x"), TypeError, "worker_init_fn"),
    (dict(sampler=5), TypeError, "sampler must be iterable"),
])
def test_bad_loader_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(numbers(), **kwargs)


def test_accepts_every_torch_keyword():
    loader = DataLoader(numbers(6), batch_size=2, shuffle=False, sampler=None,
                        batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=True,
                        drop_last=False, timeout=0, worker_init_fn=None,
                        multiprocessing_context=None, generator=None, prefetch_factor=None,
                        persistent_workers=False, pin_memory_device="", in_order=True)
    assert len(list(loader)) == 3


def test_custom_collate_fn_gets_the_items():
    got = []

    def collate(items):
        got.append(items)
        return len(items)

    assert list(DataLoader(numbers(5), batch_size=2, collate_fn=collate)) == [2, 2, 1]
    assert got[0][1][1] == 1 and got[0][1][0].shape == (1, 1, 1)


def test_getitems_protocol_is_used():
    class Batched(ItemsOnly):
        calls = 0

        def __getitems__(self, keys):
            Batched.calls += 1
            return [self[k] for k in keys]

    loader = DataLoader(Batched(6), batch_size=4, as_numpy=True)
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5]] and Batched.calls == 2


Point = namedtuple("Point", "x y")


def test_default_collate_rules():
    batch = default_collate([(np.ones(2, np.float32), 1, 0.5, "a", {"k": np.int64(3)}),
                             (np.zeros(2, np.float32), 2, 1.5, "b", {"k": np.int64(4)})])
    arr, ints, floats, strs, d = batch
    assert isinstance(batch, tuple)
    assert arr.numpy().dtype == np.float32 and tuple(arr.shape) == (2, 2)
    assert ints.numpy().dtype == np.int64 and ints.tolist() == [1, 2]
    assert floats.numpy().dtype == np.float64 and floats.tolist() == [0.5, 1.5]
    assert strs == ["a", "b"] and d["k"].tolist() == [3, 4]
    tensors = default_collate([fastconv.from_numpy(np.full(3, i, np.float32)) for i in range(4)])
    assert tuple(tensors.shape) == (4, 3)
    points = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(points, Point) and points.x.tolist() == [1, 3]
    lists = default_collate([[1, 2], [3, 4]])
    assert isinstance(lists, list) and lists[0].tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    converted = default_convert({"a": np.arange(3), "b": [np.float32(1.0)], "c": "s"})
    assert isinstance(converted["a"], fastconv.Tensor) and converted["c"] == "s"
    assert isinstance(converted["b"][0], fastconv.Tensor)


def test_tensor_dataset_through_the_loader_matches_items():
    x = np.random.default_rng(0).standard_normal((9, 2, 3)).astype(np.float32)
    ds = TensorDataset(x, np.arange(9))
    fastconv.manual_seed(4)
    batches = list(DataLoader(ds, batch_size=4, shuffle=True))
    for bx, by in batches:
        np.testing.assert_array_equal(bx.numpy(), x[by.numpy()])
