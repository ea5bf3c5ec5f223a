"""fastconv.data: datasets (Fashion-MNIST, CIFAR-10, tensors), transforms, samplers and a
DataLoader that yields fastconv Tensors, in this process or in worker processes."""
from . import transforms
from ._worker import WorkerInfo, get_worker_info
from .cifar import CIFAR10, load_cifar10, read_cifar10_batch
from .collate import default_collate, default_convert
from .dataset import ArrayDataset, ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .fashion_mnist import (CLASSES, INSTALL_HINT, FashionMNIST, fashion_mnist_files,
                            find_fashion_mnist, load_fashion_mnist)
from .idx import parse_idx, read_idx, write_idx
from .loader import DataLoader
from .scenes import DistortedFashionMNIST, Scenes, make_scene
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler)
from .vision import ImageArrayDataset

__all__ = [
    "read_idx", "write_idx", "parse_idx",
    "FashionMNIST", "CLASSES", "INSTALL_HINT", "fashion_mnist_files", "find_fashion_mnist",
    "load_fashion_mnist", "CIFAR10", "load_cifar10", "read_cifar10_batch", "ImageArrayDataset",
    "Dataset", "TensorDataset", "ArrayDataset", "Subset", "ConcatDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
    "DataLoader", "default_collate", "default_convert", "get_worker_info", "WorkerInfo",
    "transforms", "Scenes", "DistortedFashionMNIST", "make_scene",
]
