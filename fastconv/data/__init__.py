"""fastconv.data: IDX files, Fashion-MNIST and a DataLoader that yields fastconv Tensors."""
from .dataset import ArrayDataset, Subset
from .fashion_mnist import (CLASSES, INSTALL_HINT, FashionMNIST, fashion_mnist_files,
                            find_fashion_mnist, load_fashion_mnist)
from .idx import parse_idx, read_idx, write_idx
from .loader import DataLoader

__all__ = [
    "read_idx", "write_idx", "parse_idx",
    "FashionMNIST", "CLASSES", "INSTALL_HINT", "fashion_mnist_files", "find_fashion_mnist",
    "load_fashion_mnist",
    "ArrayDataset", "Subset", "DataLoader",
]
