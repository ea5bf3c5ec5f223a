"""fastconv.nn: layers with state (Parameters, buffers), PyTorch's names and defaults."""
from . import init, utils
from .activation import LogSoftmax, ReLU, Softmax
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout, Dropout1d, Dropout2d
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import Module
from .parallel import DataParallel
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import Parameter
from .pooling import MaxPool2d

__all__ = ["Module", "Parameter", "Sequential", "Conv2d", "MaxPool2d", "ReLU", "Softmax",
           "LogSoftmax", "Linear", "Flatten", "Identity", "CrossEntropyLoss", "NLLLoss",
           "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "init", "utils", "ModuleList", "ModuleDict", "DataParallel", "BatchNorm1d",
           "BatchNorm2d", "Dropout", "Dropout1d", "Dropout2d"]
