"""CIFAR-10 from its published binary version (never the pickled Python version).

The folder `cifar-10-batches-bin` holds data_batch_1.bin ... data_batch_5.bin (training,
10,000 images each) and test_batch.bin. Each file is a sequence of 3073-byte records:
one label byte (0-9), then 3072 pixel bytes, the 1024 red, 1024 green and 1024 blue
values of a 32x32 image, rows top to bottom. Every file's size is checked before it is
read, so a truncated, foreign or oversized file gets a clear error naming it, and no
file can make the reader allocate more than a real batch file needs.
"""
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from .idx import PathLike
from .vision import ImageArrayDataset

CLASSES: List[str] = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                      "horse", "ship", "truck"]
FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple("data_batch_%d.bin" % k for k in range(1, 6))
TEST_FILES = ("test_batch.bin",)
IMAGE_SHAPE = (3, 32, 32)
PIXELS = 3 * 32 * 32
RECORD_BYTES = 1 + PIXELS
MAX_RECORDS = 10000          # the images in one published batch file
INSTALL_HINT = ("download cifar-10-binary.tar.gz (the 'CIFAR-10 binary version') and "
                "extract it; fastconv never downloads")


def cifar10_folder(root: PathLike) -> Path:
    """The folder holding the .bin files: `root` itself or its cifar-10-batches-bin."""
    root = Path(root)
    nested = root / FOLDER
    if nested.is_dir():
        return nested
    if root.is_dir():
        return root
    raise FileNotFoundError("CIFAR-10 directory %s does not exist (%s)" % (root, INSTALL_HINT))


def _checked_size(path: PathLike) -> int:
    """The file's size after checking it holds 1 to 10,000 whole records."""
    name = os.fspath(path)
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise FileNotFoundError("CIFAR-10 file %s not found (%s)" % (name, INSTALL_HINT)) \
            from None
    if size == 0 or size % RECORD_BYTES:
        raise ValueError("%s: %d bytes is not a whole number of %d-byte records (1 label "
                         "byte + %d pixel bytes): the file is truncated or not a CIFAR-10 "
                         "binary batch" % (name, size, RECORD_BYTES, PIXELS))
    if size > MAX_RECORDS * RECORD_BYTES:
        raise ValueError("%s: %d bytes is more than the %d records (%d bytes) of a CIFAR-10 "
                         "batch file" % (name, size, MAX_RECORDS, MAX_RECORDS * RECORD_BYTES))
    return size


def _read_records(path: PathLike, size: int) -> Tuple[np.ndarray, np.ndarray]:
    """(read-only images (n, 3, 32, 32) over the file's bytes, labels int64 (n,))."""
    name = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read(size + 1)     # bounded: one byte more tells us if the file grew
    if len(raw) != size:
        raise ValueError("%s: changed while being read (%d bytes, then %d)"
                         % (name, size, len(raw)))
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels >= len(CLASSES))
    if bad.size:
        raise ValueError("%s: record %d has label %d; CIFAR-10 labels are 0-9 (is this the "
                         "CIFAR-100 binary version?)" % (name, bad[0], labels[bad[0]]))
    return records[:, 1:].reshape((-1,) + IMAGE_SHAPE), labels


def read_cifar10_batch(path: PathLike) -> Tuple[np.ndarray, np.ndarray]:
    """One binary batch file: images uint8 (n, 3, 32, 32) and labels int64 (n,).

    Raises FileNotFoundError for a missing file and ValueError naming the file for an
    empty, truncated, oversized or foreign one (labels outside 0-9).
    """
    images, labels = _read_records(path, _checked_size(path))
    return images.copy(), labels


def load_cifar10(root: PathLike, train: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """The split's images uint8 (N, 32, 32, 3), channels last as torchvision keeps them,
    and labels int64 (N,), from `root` (the .bin folder or its parent)."""
    folder = cifar10_folder(root)
    files = TRAIN_FILES if train else TEST_FILES
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError("CIFAR-10 file %s not found in %s (expected %s; %s)"
                                % (missing[0], folder, ", ".join(TRAIN_FILES + TEST_FILES),
                                   INSTALL_HINT))
    sizes = [_checked_size(folder / f) for f in files]   # every file checked before reading
    total = sum(sizes) // RECORD_BYTES
    images = np.empty((total, 32, 32, 3), np.uint8)
    labels = np.empty(total, np.int64)
    start = 0
    for f, size in zip(files, sizes):
        chw, lab = _read_records(folder / f, size)
        images[start:start + len(lab)] = chw.transpose(0, 2, 3, 1)
        labels[start:start + len(lab)] = lab
        start += len(lab)
    return images, labels


class CIFAR10(ImageArrayDataset):
    """CIFAR-10 (torchvision.datasets.CIFAR10): `data` uint8 (N, 32, 32, 3), `targets`
    int64 (N,), 50,000 training or 10,000 test images in 10 classes.

    root: the folder cifar-10-batches-bin or the folder containing it.
    Items are (image, label): without a transform the image is the uint8 (32, 32, 3)
    array (where torchvision gives a PIL image), so pipelines start with ToTensor(),
    which DataLoader applies to whole batches. download: accepted for torchvision's
    signature; fastconv never downloads.
    """

    classes: List[str] = CLASSES

    def __init__(self, root: PathLike, train: bool = True,
                 transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(transform, target_transform)
        self.root = Path(root)
        self.train = bool(train)
        self.data, self.targets = load_cifar10(root, train)

    @property
    def class_to_idx(self) -> Dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _target_item(self, label: np.int64) -> int:
        return int(label)

    def __repr__(self) -> str:
        return "CIFAR10(root=%r, train=%r, %d images)" % (os.fspath(self.root), self.train,
                                                         len(self))
