"""fastconv.utils.data: torch.utils.data's names, so `from torch.utils.data import ...`
ports by changing `torch` to `fastconv`. The implementations live in fastconv.data."""
from ..data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, Sampler,
                    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WorkerInfo,
                    default_collate, default_convert, get_worker_info, random_split)

__all__ = ["Dataset", "DataLoader", "TensorDataset", "Subset", "random_split", "ConcatDataset",
           "default_collate", "default_convert", "Sampler", "RandomSampler",
           "SequentialSampler", "SubsetRandomSampler", "BatchSampler", "get_worker_info",
           "WorkerInfo"]
