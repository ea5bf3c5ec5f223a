"""The backend contract: every kernel a backend provides, by name and parameters.

fastconv.ops validates arguments, allocates outputs and then calls one of these on the
backend that `_dispatch.backend(xp)` picks: the native one (fastconv._cpu, C with the GIL
released), the array-generic one (fastconv.backends.generic, the numpy test oracle) or
the CuPy one (fastconv.backends.cuda). Each backend defines every kernel below with
exactly these parameter names, in this order (tests/backends/test_contract.py checks it).

Conventions shared by all kernels: inputs arrive validated, C-contiguous and of one
float dtype; outputs are preallocated by fastconv.ops and written in full; `geom` is the
op's integer geometry tuple (built by the op's *_geometry function in fastconv.ops);
`nthreads` is the thread count (ignored by non-native backends); results never depend on
it. A kernel returns its main output (or what its docstring says).
"""
from typing import Dict, Tuple

KERNELS: Dict[str, Tuple[str, ...]] = {
    # gemm: c = alpha * op(a) @ op(b) + beta * c
    "gemm": ("trans_a", "trans_b", "a", "b", "c", "alpha", "beta", "nthreads"),
    # conv2d: geom = (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups)
    "conv2d_forward": ("geom", "x", "w", "bias", "y", "relu", "nthreads"),
    "conv2d_relu_max_pool2x2": ("geom", "x", "w", "bias", "pooled", "positions",
                                "nthreads"),
    "conv2d_backward_data": ("geom", "dy", "w", "dx", "nthreads"),
    "conv2d_backward_weight": ("geom", "x", "dy", "dw", "nthreads"),
    "conv2d_backward_bias": ("geom", "dy", "db", "nthreads"),
    # max pooling: geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)
    "max_pool2d_forward": ("geom", "x", "y", "indices", "nthreads"),
    "max_pool2d_backward": ("geom", "dy", "indices", "dx", "nthreads"),
    "max_pool2x2_forward": ("geom", "x", "y", "positions", "nthreads"),
    "max_pool2x2_relu_backward": ("geom", "dy", "y", "positions", "dx", "nthreads"),
    # average pooling: geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw,
    #                          count_include_pad, divisor_override or 0)
    "avg_pool2d_forward": ("geom", "x", "y", "nthreads"),
    "avg_pool2d_backward": ("geom", "dy", "dx", "nthreads"),
    # adaptive pooling: geom = (n, c, h, w, oh, ow)
    "adaptive_avg_pool2d_forward": ("geom", "x", "y", "nthreads"),
    "adaptive_avg_pool2d_backward": ("geom", "dy", "dx", "nthreads"),
    "adaptive_max_pool2d_forward": ("geom", "x", "y", "indices", "nthreads"),
    "adaptive_max_pool2d_backward": ("geom", "dy", "indices", "dx", "nthreads"),
    # activations
    "relu_forward": ("x", "y", "nthreads"),
    "relu_backward": ("dy", "y", "dx", "nthreads"),
    "add_relu_forward": ("a", "b", "y", "nthreads"),
    # pointwise activations: kind = a code of fastconv.ops.ACTIVATIONS (csrc act.h);
    # src = the forward's input or output, as ops.activation_backward_reads says
    "activation_forward": ("kind", "x", "y", "alpha", "beta", "nthreads"),
    "activation_backward": ("kind", "src", "dy", "dx", "alpha", "beta", "nthreads"),
    # losses: x (N, C) scores, t (N,) int64 class targets
    "class_target_error": ("t", "classes", "ignore_index"),
    "cross_entropy_forward": ("x", "t", "ignore_index", "logp"),
    "cross_entropy_backward": ("logp", "t", "ignore_index", "grad", "denom", "dx"),
    # recurrent layers, one direction over all steps: geom = (mode, reverse, seq_len,
    # batch, input_size, hidden_size, y_stride, y_offset), ws the forward's workspace
    "rnn_forward": ("geom", "x", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "c0", "lengths", "y",
                    "hn", "cn", "ws", "nthreads"),
    "rnn_backward": ("geom", "x", "w_ih", "w_hh", "lengths", "ws", "dy", "dhn", "dcn", "dx",
                     "dw_ih", "dw_hh", "db_ih", "db_hh", "dh0", "dc0", "accumulate",
                     "nthreads"),
    # optimizers: one SGD step of p in place (buf None: no momentum)
    "sgd_update": ("p", "g", "buf", "lr", "momentum", "first", "nthreads"),
    # batch norm: geom = (n, c, s), x viewed as (n, c, s); per-channel arrays may be None
    "batch_norm_forward_train": ("geom", "x", "weight", "bias", "eps", "momentum",
                                 "running_mean", "running_var", "relu", "y", "mean",
                                 "invstd", "nthreads"),
    "batch_norm_forward_eval": ("geom", "x", "mean", "invstd", "weight", "bias", "relu", "y",
                                "nthreads"),
    "batch_norm_backward": ("geom", "dy", "x", "mean", "invstd", "weight", "bias", "relu",
                            "training", "dx", "dweight", "dbias", "nthreads"),
    # dropout: geom = (planes, plane_size), one uint8 mask value per plane
    "dropout_forward": ("geom", "x", "p", "seed", "y", "mask", "nthreads"),
    "dropout_backward": ("geom", "dy", "mask", "scale", "dx", "nthreads"),
    # resampling: geom = (planes, h, w, oh, ow); rows/cols int64 index maps (-1: value)
    "gather2d_forward": ("geom", "rows", "cols", "value", "x", "y", "nthreads"),
    "gather2d_backward": ("geom", "rows", "cols", "dy", "dx", "nthreads"),
    "linear2d_forward": ("geom", "rows", "cols", "row_weights", "col_weights", "x", "y",
                         "nthreads"),
    "linear2d_backward": ("geom", "rows", "cols", "row_weights", "col_weights", "dy", "dx",
                          "nthreads"),
    # grid sampling: geom = (n, c, h, w, oh, ow); mode 0/1, padding_mode 0/1/2
    "grid_sample2d_forward": ("geom", "mode", "padding_mode", "align_corners", "x", "grid",
                              "y", "nthreads"),
    "grid_sample2d_backward": ("geom", "mode", "padding_mode", "align_corners", "dy", "x",
                               "grid", "dx", "dgrid", "nthreads"),
}
