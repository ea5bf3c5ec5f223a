"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's arguments, parameter
names (weight_ih_l0, weight_hh_l0_reverse, ...), initialisation and shapes, so that a
state_dict moves between torch and fastconv unchanged."""
import math
import numbers
import warnings
from typing import List, Optional, Tuple

from .. import functional as F
from ..autograd import Tensor
from ..functional import rnn as _rnn
from . import init
from ._utils import new_parameter, positive_int
from .module import Module
from .utils.rnn import PackedSequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, argument checks,
    PackedSequence inputs. mode is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: %r" % (mode,))
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) \
                or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed, got %r" % (dropout,))
        if proj_size != 0:
            raise NotImplementedError("proj_size (LSTM projections) is not supported; "
                                      "use proj_size=0")
        self.mode = mode
        self.input_size = positive_int(input_size, "input_size", 0)
        self.hidden_size = positive_int(hidden_size, "hidden_size", 1)
        self.num_layers = positive_int(num_layers, "num_layers", 1)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, "
                          "so non-zero dropout expects num_layers greater than 1, but got "
                          "dropout=%s and num_layers=%d" % (dropout, num_layers))
        gates = _GATES[mode] * self.hidden_size
        directions = 2 if self.bidirectional else 1
        self._flat_weights_names: List[str] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih_l%d%s", (gates, layer_input)),
                          ("weight_hh_l%d%s", (gates, self.hidden_size))]
                if self.bias:
                    shapes += [("bias_ih_l%d%s", (gates,)), ("bias_hh_l%d%s", (gates,))]
                for pattern, shape in shapes:
                    name = pattern % (layer, suffix)
                    setattr(self, name, new_parameter(shape, dtype, device))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias uniform in +-1/sqrt(hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> List[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> List[List[Tensor]]:
        """The parameters grouped per layer and direction, as torch's all_weights."""
        per = 4 if self.bias else 2
        flat = self._flat_weights
        return [flat[i:i + per] for i in range(0, len(flat), per)]

    def flatten_parameters(self) -> None:
        """No-op (cuDNN's weight packing has no counterpart here)."""

    def _check_input(self, input: Tensor, batch_sizes) -> None:
        if not isinstance(input, Tensor):
            raise TypeError("input must be a fastconv Tensor or a PackedSequence, got %s"
                            % type(input).__name__)
        expected = 2 if batch_sizes is not None else 3
        if batch_sizes is None and input.ndim not in (2, 3):
            raise ValueError("%s: Expected input to be 2D or 3D, got %dD tensor instead"
                             % (type(self).__name__, input.ndim))
        if batch_sizes is not None and input.ndim != expected:
            raise ValueError("input.dim() must be %d for packed data, got %d"
                             % (expected, input.ndim))
        if input.shape[-1] != self.input_size:
            raise ValueError("input.size(-1) must be equal to input_size. Expected %d, got "
                             "%d (input shape %s)" % (self.input_size, input.shape[-1],
                                                      input.shape))

    def _check_hidden(self, hx: Tensor, expected: Tuple[int, ...], name: str) -> None:
        if not isinstance(hx, Tensor):
            raise TypeError("%s must be a fastconv Tensor, got %s"
                            % (name, type(hx).__name__))
        if hx.shape != expected:
            raise ValueError("Expected %s size %s, got %s" % (name, expected, hx.shape))

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            self._check_input(data, batch_sizes)
            lengths = _rnn.lengths_from_batch_sizes(batch_sizes)
            x = _rnn.unpack_rows(data, batch_sizes)
            batch = x.shape[1]
            unbatched = False
        else:
            self._check_input(input, None)
            unbatched = input.ndim == 2
            x, lengths = input, None
            batch = 1 if unbatched else input.shape[0 if self.batch_first else 1]
            sorted_indices = unsorted_indices = None
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions,) + (() if unbatched else (batch,)) + \
            (self.hidden_size,)
        lstm = self.mode == "LSTM"
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError("hx of an LSTM must be a tuple (h_0, c_0)")
                self._check_hidden(hx[0], shape, "hidden")
                self._check_hidden(hx[1], shape, "cell")
            else:
                self._check_hidden(hx, shape, "hidden")
            if sorted_indices is not None:   # hx is in the caller's order
                hx = tuple(h[:, sorted_indices] for h in hx) if lstm else hx[:, sorted_indices]
        output, h_n, c_n = _rnn._network(
            self.mode, x, hx, self._flat_weights, self.bias, self.num_layers, self.dropout,
            self.training, self.bidirectional, self.batch_first and not packed, lengths)
        if packed:
            output = PackedSequence(_rnn.pack_rows(output, batch_sizes), batch_sizes,
                                    sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n[:, unsorted_indices]
                c_n = None if c_n is None else c_n[:, unsorted_indices]
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def extra_repr(self) -> str:
        s = "{}, {}".format(self.input_size, self.hidden_size)
        if self.num_layers != 1:
            s += ", num_layers={}".format(self.num_layers)
        if self.bias is not True:
            s += ", bias={}".format(self.bias)
        if self.batch_first is not False:
            s += ", batch_first={}".format(self.batch_first)
        if self.dropout != 0:
            s += ", dropout={}".format(self.dropout)
        if self.bidirectional is not False:
            s += ", bidirectional={}".format(self.bidirectional)
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or ReLU), as
    torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError("Unknown nonlinearity '%s'. Select from 'tanh' or 'relu'."
                             % (self.nonlinearity,))
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o), as torch.nn.LSTM; forward(input, (h_0,
    c_0)) returns output, (h_n, c_n). proj_size is not supported."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n), as torch.nn.GRU."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------- cells

class RNNCellBase(Module):
    """Parameters weight_ih (chunks*hidden, input), weight_hh, bias_ih, bias_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = positive_int(input_size, "input_size", 0)
        self.hidden_size = positive_int(hidden_size, "hidden_size", 1)
        self.bias = bool(bias)
        rows = num_chunks * self.hidden_size
        self.weight_ih = new_parameter((rows, self.input_size), dtype, device)
        self.weight_hh = new_parameter((rows, self.hidden_size), dtype, device)
        if self.bias:
            self.bias_ih = new_parameter((rows,), dtype, device)
            self.bias_hh = new_parameter((rows,), dtype, device)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias uniform in +-1/sqrt(hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input: Tensor, hx: Optional[Tensor], name: str = "hx") -> None:
        if not isinstance(input, Tensor):
            raise TypeError("input must be a fastconv Tensor, got %s" % type(input).__name__)
        if input.ndim not in (1, 2):
            raise ValueError("%s: Expected input to be 1D or 2D, got %dD instead"
                             % (type(self).__name__, input.ndim))
        if input.shape[-1] != self.input_size:
            raise ValueError("input has inconsistent input_size: got %d expected %d"
                             % (input.shape[-1], self.input_size))
        if hx is not None:
            expected = input.shape[:-1] + (self.hidden_size,)
            if not isinstance(hx, Tensor) or hx.shape != expected:
                raise ValueError("%s must have shape %s (batch, hidden_size), got %s"
                                 % (name, expected, getattr(hx, "shape", type(hx).__name__)))

    def extra_repr(self) -> str:
        s = "{}, {}".format(self.input_size, self.hidden_size)
        if self.bias is not True:
            s += ", bias={}".format(self.bias)
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += ", nonlinearity={}".format(self.nonlinearity)
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or ReLU), as torch.nn.RNNCell."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError("Unknown nonlinearity: %s" % (nonlinearity,))
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        self._check(input, hx)
        cell = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        return cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step, as torch.nn.LSTMCell: forward(input, (h, c)) returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None) -> Tuple[Tensor, Tensor]:
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("hx of an LSTMCell must be a tuple (h_0, c_0)")
            self._check(input, hx[0], "h_0")
            self._check(input, hx[1], "c_0")
        else:
            self._check(input, None)
        return F.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                           self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step, as torch.nn.GRUCell."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        self._check(input, hx)
        return F.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                          self.bias_hh)
