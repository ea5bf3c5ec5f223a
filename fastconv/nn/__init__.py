"""fastconv.nn: layers with state (Parameters, buffers), PyTorch's names and defaults."""
from . import init, utils
from . import functional  # noqa: F401  (fastconv.functional, as torch.nn.functional)
from .activation import LogSoftmax, ReLU, Softmax
from .activation import (ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, Mish, ReLU6,
                         Sigmoid, SiLU, Softplus, Tanh)
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .dropout import Dropout, Dropout1d, Dropout2d
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import Module
from .parallel import DataParallel
from .normalization import BatchNorm1d, BatchNorm2d
from .padding import (CircularPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d,
                      ZeroPad2d)
from .parameter import Parameter
from .pooling import MaxPool2d
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding
from .sync_batchnorm import SyncBatchNorm

__all__ = ["Module", "Parameter", "Sequential", "Conv2d", "MaxPool2d", "ReLU", "Softmax",
           "LogSoftmax", "Linear", "Flatten", "Identity", "CrossEntropyLoss", "NLLLoss",
           "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "init", "utils", "ModuleList", "ModuleDict", "DataParallel", "BatchNorm1d",
           "BatchNorm2d", "SyncBatchNorm", "Dropout", "Dropout1d", "Dropout2d",
           "ConvTranspose2d", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
           "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d",
           "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "LeakyReLU", "ELU",
           "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Hardtanh", "ReLU6", "Hardswish",
           "Hardsigmoid", "Mish",
           "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
           "Embedding"]
