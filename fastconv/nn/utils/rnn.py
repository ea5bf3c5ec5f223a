"""Batches of sequences of different lengths, as torch.nn.utils.rnn.

A PackedSequence holds the steps of a batch of sequences sorted by decreasing length,
time-major: `data` has the first step of every sequence, then the second step of those
that have one, ... and `batch_sizes[t]` says how many sequences have step t. The
recurrent layers take it directly: padded steps then change neither outputs, states nor
gradients, and each sequence's final state is the one at its own last step.
"""
from typing import List, NamedTuple, Optional, Sequence, Union

import numpy as np

from ...autograd import Tensor, cat, tensor
from ...functional import rnn as _rnn


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's: build it with
    pack_padded_sequence or pack_sequence rather than by hand."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None

    def to(self, *args, **kwargs) -> "PackedSequence":
        """The same sequence with data converted (dtype or device); indices stay."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def cpu(self) -> "PackedSequence":
        return self.to("cpu")

    def double(self) -> "PackedSequence":
        return self.to(dtype=np.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=np.float32)

    @property
    def is_cuda(self) -> bool:
        return self.data.device != "cpu"

    def is_pinned(self) -> bool:
        return False


def _indices(values) -> Optional[Tensor]:
    return None if values is None else tensor(np.asarray(values, dtype=np.int64))


def pack_padded_sequence(input: Tensor, lengths: Union[Tensor, Sequence[int]],
                         batch_first: bool = False, enforce_sorted: bool = True
                         ) -> PackedSequence:
    """Pack a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences with the
    given lengths. enforce_sorted=True needs lengths in decreasing order; False sorts
    them (and the layers give results back in the caller's order)."""
    if not isinstance(input, Tensor):
        raise TypeError("input must be a fastconv Tensor, got %s" % type(input).__name__)
    if input.ndim < 2:
        raise ValueError("input must have a time and a batch dimension, got shape %s"
                         % (input.shape,))
    padded = input.transpose(0, 1) if batch_first else input
    steps, batch = padded.shape[0], padded.shape[1]
    lengths, sorted_indices, unsorted_indices = _rnn.sort_lengths(
        lengths, batch, steps, enforce_sorted)
    if sorted_indices is not None:
        padded = padded[:, sorted_indices]
    batch_sizes = (lengths[None, :] > np.arange(int(lengths[0]))[:, None]).sum(axis=1)
    data = _rnn.pack_rows(padded, batch_sizes)
    return PackedSequence(data, tensor(batch_sizes.astype(np.int64)),
                          _indices(sorted_indices), _indices(unsorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: Optional[int] = None):
    """(padded (T, B, *) or (B, T, *), lengths as an int64 Tensor): the inverse of
    pack_padded_sequence, in the caller's batch order. total_length pads to that many
    steps (at least the longest sequence)."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError("sequence must be a PackedSequence, got %s"
                        % type(sequence).__name__)
    data, batch_sizes, sorted_indices, unsorted_indices = sequence
    longest = len(batch_sizes)
    if total_length is not None and total_length < longest:
        raise ValueError("Expected total_length to be at least the length of the longest "
                         "sequence in input, but got total_length=%d and max sequence "
                         "length being %d" % (total_length, longest))
    padded = _rnn.unpack_rows(data, batch_sizes, total_length, padding_value)
    lengths = _rnn.lengths_from_batch_sizes(batch_sizes)
    if unsorted_indices is not None:
        padded = padded[:, unsorted_indices]
        lengths = lengths[unsorted_indices.numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths.astype(np.int64))


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences (L_i, *) into one (T, B, *) Tensor ((B, T, *) with batch_first),
    padding the shorter ones with padding_value on the right (or the left)."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences)
    if len(sequences) == 0:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError("padding_side must be 'left' or 'right', got %r" % (padding_side,))
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor) or s.ndim < 1:
            raise TypeError("sequences[%d] must be a Tensor of at least 1 dimension" % i)
        if s.shape[1:] != sequences[0].shape[1:] or s.dtype != sequences[0].dtype:
            raise ValueError("sequences[%d] has shape %s and dtype %s, but sequences[0] has "
                             "trailing shape %s and dtype %s" % (
                                 i, s.shape, s.dtype, sequences[0].shape[1:],
                                 sequences[0].dtype))
    steps = max(s.shape[0] for s in sequences)
    lengths = [s.shape[0] for s in sequences]
    rows = cat(list(sequences), dim=0)
    out = _rnn.scatter_rows(rows, _rnn.padded_positions(lengths, steps, padding_side),
                            (steps, len(sequences)), padding_value)
    return out.transpose(0, 1) if batch_first else out


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): pack_padded_sequence(pad_sequence(...))."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False
                   ) -> List[Tensor]:
    """The list of sequences in a padded batch, each cut to its length."""
    padded = padded_sequences.transpose(0, 1) if batch_first else padded_sequences
    values = _rnn.check_lengths(lengths, padded.shape[1], padded.shape[0])
    return [padded[:int(n), b] for b, n in enumerate(values)]


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """The list of sequences in a PackedSequence, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
