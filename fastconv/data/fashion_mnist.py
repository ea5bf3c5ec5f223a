"""Fashion-MNIST: 28x28 grey images of clothes in 10 classes (60k train, 10k test).

`FashionMNIST()` loads the small stratified subset shipped inside the package, so that
examples and tests run with nothing else installed; `FashionMNIST(root=DIR)` loads the
standard four IDX files from DIR; `find_fashion_mnist()` finds Debian's
`dataset-fashion-mnist` install.
"""
import os
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .idx import PathLike, read_idx
from .vision import ImageArrayDataset

CLASSES: List[str] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                      "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Mean and standard deviation of the 60k training pixels, scaled to [0, 1].
MEAN, STD = 0.2860, 0.3530

FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SUBSET_DIR = Path(__file__).resolve().parent / "subset"
DEBIAN_DIRS: Sequence[str] = ("/usr/share/datasets/fashion-mnist",)
INSTALL_HINT = "apt-get install dataset-fashion-mnist"


def _find_file(root: Path, name: str) -> Optional[Path]:
    for candidate in (root / (name + ".gz"), root / name):
        if candidate.is_file():
            return candidate
    return None


def fashion_mnist_files(root: PathLike, train: bool = True) -> Tuple[Path, Path]:
    """Paths of the (images, labels) IDX files for one split in directory `root`.

    Each file may be gzip-compressed (name + '.gz') or raw. Raises FileNotFoundError
    naming what is missing.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError("Fashion-MNIST directory %s does not exist" % root)
    found = []
    for name in FILES[bool(train)]:
        path = _find_file(root, name)
        if path is None:
            raise FileNotFoundError("Fashion-MNIST file %s(.gz) not found in %s (expected "
                                    "the standard four files: %s)"
                                    % (name, root, ", ".join(FILES[True] + FILES[False])))
        found.append(path)
    return found[0], found[1]


def find_fashion_mnist() -> Optional[Path]:
    """The directory of Debian's `dataset-fashion-mnist` install, or None when absent."""
    for d in DEBIAN_DIRS:
        try:
            fashion_mnist_files(d, True)
            fashion_mnist_files(d, False)
        except FileNotFoundError:
            continue
        return Path(d)
    return None


def load_fashion_mnist(root: Optional[PathLike] = None,
                       train: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """The raw split: images uint8 (N, 28, 28) and labels int64 (N,), validated."""
    images_path, labels_path = fashion_mnist_files(SUBSET_DIR if root is None else root, train)
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError("%s: expected uint8 images of shape (N, 28, 28), got %s %s"
                         % (images_path, images.dtype, images.shape))
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError("%s: expected uint8 labels of shape (N,), got %s %s"
                         % (labels_path, labels.dtype, labels.shape))
    if len(labels) != len(images):
        raise ValueError("%s has %d images but %s has %d labels"
                         % (images_path, len(images), labels_path, len(labels)))
    if len(labels) and labels.max() >= len(CLASSES):
        raise ValueError("%s: label %d out of range [0, %d)"
                         % (labels_path, labels.max(), len(CLASSES)))
    return images, labels.astype(np.int64)


class FashionMNIST(ImageArrayDataset):
    """Fashion-MNIST as arrays: `data` float32 (N, 1, 28, 28) and `targets` int64 (N,).

    root: None for the subset shipped with fastconv (500 train / 100 test images per
    class), or a directory holding the standard four IDX files (.gz or raw).
    transform, target_transform: applied to each image (1, 28, 28) and label, as in
    torchvision; DataLoader applies a fastconv transform to whole batches.
    download: accepted for torchvision's signature; fastconv never downloads, and
    raises FileNotFoundError when the files are not there.
    normalize: False keeps pixels in [0, 1]; True subtracts Fashion-MNIST's mean and
    divides by its standard deviation; a (mean, std) pair uses those.
    Items are (image (1, 28, 28) float32, label int64) numpy pairs.
    """

    classes: List[str] = CLASSES

    def __init__(self, root: Optional[PathLike] = None, train: bool = True,
                 transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False, *,
                 normalize: Union[bool, Tuple[float, float]] = False) -> None:
        super().__init__(transform, target_transform)
        images, labels = load_fashion_mnist(root, train)
        self.root = SUBSET_DIR if root is None else Path(root)
        self.train = bool(train)
        data = images.reshape(-1, 1, 28, 28).astype(np.float32)
        data *= np.float32(1.0 / 255.0)
        if normalize is not False and normalize is not None:
            mean, std = (MEAN, STD) if normalize is True else normalize
            if not std > 0:
                raise ValueError("normalize: std must be > 0, got %r" % (std,))
            data -= np.float32(mean)
            data *= np.float32(1.0 / std)
        self.data = data
        self.targets = labels

    def __repr__(self) -> str:
        return "FashionMNIST(root=%r, train=%r, %d images)" % (os.fspath(self.root), self.train,
                                                              len(self))
