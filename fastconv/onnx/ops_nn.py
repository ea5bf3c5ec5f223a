"""Exporters of the layer ops: conv2d and its fused forms, pooling, linear, batch norm,
dropout."""
from typing import List, Sequence

from ..functional.conv import Conv2d, Conv2dReLU, Conv2dReLUMaxPool2d
from ..functional.dropout import Dropout
from ..functional.linear import Linear, LinearReLU
from ..functional.norm import BatchNorm
from ..functional.pool import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d,
                               MaxPool2x2OfReLU)
from ..ops import _args
from ._graph import GraphBuilder
from ._table import Call, exporter


def _to_4d(g: GraphBuilder, name: str, ndim: int) -> str:
    """Unbatched (C, H, W) input gets a batch axis of 1 (undone by _from_4d)."""
    return g.unsqueeze(name, [0]) if ndim == 3 else name


def _from_4d(g: GraphBuilder, name: str, ndim: int) -> str:
    return g.squeeze(name, [0]) if ndim == 3 else name


# ==================================================================== convolution

def _conv(g: GraphBuilder, call: Call, x: str, options) -> str:
    """Conv node for conv2d(x, weight, bias, *options) (options: stride, padding,
    dilation, groups), the padding resolved to explicit (possibly asymmetric) pads."""
    stride, padding, dilation, groups = options
    w_shape = call.input_shapes[1]
    kernel = tuple(w_shape[2:])
    strides = _args.pair(stride, "stride", 1)
    dilations = _args.pair(dilation, "dilation", 1)
    top, bottom, left, right = _args.conv_padding(padding, kernel, strides, dilations)
    return g.op("Conv", [x, call.inputs[1], call.inputs[2]], kernel_shape=list(kernel),
                strides=list(strides), dilations=list(dilations),
                pads=[top, left, bottom, right], group=int(groups))


def _pool_pads(in_hw: Sequence[int], out_hw: Sequence[int], kernel, stride, padding,
               dilation) -> List[int]:
    """ONNX pads [top, left, bottom, right] that give out_hw in floor mode: PyTorch's
    padding, plus at the end whatever ceil_mode's last (partial) window hangs over."""
    begin, end = [], []
    for size, out, k, s, p, d in zip(in_hw, out_hw, kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        needed = (out - 1) * s + span - size - p    # end padding floor mode needs
        begin.append(p)
        end.append(max(needed, p))
    return begin + end


def _max_pool(g: GraphBuilder, x: str, in_hw, out_hw, kernel_size, stride, padding, dilation
              ) -> str:
    kernel = _args.pair(kernel_size, "kernel_size", 1)
    strides = kernel if stride is None or stride == () else _args.pair(stride, "stride", 1)
    pads = _args.pair(padding, "padding", 0)
    dilations = _args.pair(dilation, "dilation", 1)
    return g.op("MaxPool", [x], kernel_shape=list(kernel), strides=list(strides),
                pads=_pool_pads(in_hw, out_hw, kernel, strides, pads, dilations),
                dilations=list(dilations))


@exporter(Conv2d, Conv2dReLU, Conv2dReLUMaxPool2d)
def export_conv2d(g: GraphBuilder, call: Call) -> str:
    """Conv2d -> Conv; the fused forms add Relu and MaxPool."""
    ndim = len(call.input_shapes[0])
    x = _to_4d(g, call.inputs[0], ndim)
    y = _conv(g, call, x, call.ctx.options)
    if call.function is Conv2d:
        return _from_4d(g, y, ndim)
    y = g.op("Relu", [y])
    if call.function is Conv2dReLUMaxPool2d:
        conv_hw = call.ctx.conv_shape[2:]
        out_hw = call.output_shape[-2:]
        kernel_size, stride, padding, dilation, _ = call.ctx.pool
        y = _max_pool(g, y, conv_hw, out_hw, kernel_size, stride, padding, dilation)
    return _from_4d(g, y, ndim)


# ==================================================================== pooling

@exporter(MaxPool2d)
def export_max_pool2d(g: GraphBuilder, call: Call) -> str:
    """MaxPool2d -> MaxPool (ceil_mode as explicit end padding, which max ignores)."""
    ndim = len(call.input_shapes[0])
    kernel_size, stride, padding, dilation, _ = call.ctx.options
    x = _to_4d(g, call.inputs[0], ndim)
    y = _max_pool(g, x, call.input_shapes[0][-2:], call.output_shape[-2:], kernel_size,
                  stride, padding, dilation)
    return _from_4d(g, y, ndim)


@exporter(MaxPool2x2OfReLU)
def export_max_pool2x2_of_relu(g: GraphBuilder, call: Call) -> str:
    """The 2x2 pool of a ReLU output (Sequential's BN -> ReLU -> MaxPool2d(2)) -> MaxPool."""
    return _max_pool(g, call.inputs[0], call.input_shapes[0][-2:], call.output_shape[-2:],
                     2, 2, 0, 1)


@exporter(AvgPool2d)
def export_avg_pool2d(g: GraphBuilder, call: Call) -> str:
    """AvgPool2d -> AveragePool. PyTorch's divisor counts the window's elements inside
    the padded input (count_include_pad) or inside the input, never ceil_mode's overhang:
    so the zero padding is an explicit Pad where it counts, and the pooling itself never
    counts its pads."""
    kernel_size, stride, padding, _, count_include_pad, divisor_override = call.ctx.options
    if divisor_override is not None:
        raise call.refuse("avg_pool2d's divisor_override=%r has no ONNX equivalent"
                          % (divisor_override,))
    ndim = len(call.input_shapes[0])
    kernel = _args.pair(kernel_size, "kernel_size", 1)
    strides = kernel if stride is None or stride == () else _args.pair(stride, "stride", 1)
    pads = _args.pair(padding, "padding", 0)
    x = _to_4d(g, call.inputs[0], ndim)
    in_hw = call.input_shapes[0][-2:]
    if count_include_pad and any(pads):
        x = g.op("Pad", [x, g.ints([0, 0, pads[0], pads[1], 0, 0, pads[0], pads[1]], "pads")],
                 mode="constant")
        in_hw = tuple(n + 2 * p for n, p in zip(in_hw, pads))
        pads = (0, 0)
    y = g.op("AveragePool", [x], kernel_shape=list(kernel), strides=list(strides),
             pads=_pool_pads(in_hw, call.output_shape[-2:], kernel, strides, pads, (1, 1)),
             count_include_pad=0)
    return _from_4d(g, y, ndim)


def _adaptive(g: GraphBuilder, call: Call, global_op: str, pool_op: str) -> str:
    """Global pooling for output 1x1; a plain pooling where each output size divides
    the input size (then the adaptive windows are equal and do not overlap)."""
    ndim = len(call.input_shapes[0])
    in_hw = call.input_shapes[0][-2:]
    out_hw = call.output_shape[-2:]
    x = _to_4d(g, call.inputs[0], ndim)
    if tuple(out_hw) == (1, 1):
        y = g.op(global_op, [x])
    elif all(n % o == 0 for n, o in zip(in_hw, out_hw)):
        kernel = [n // o for n, o in zip(in_hw, out_hw)]
        y = g.op(pool_op, [x], kernel_shape=kernel, strides=kernel)
    else:
        raise call.refuse("output size %s does not divide the input size %s, so its windows "
                          "differ in size or overlap (ONNX has no adaptive pooling)"
                          % (tuple(out_hw), tuple(in_hw)))
    return _from_4d(g, y, ndim)


@exporter(AdaptiveAvgPool2d)
def export_adaptive_avg_pool2d(g: GraphBuilder, call: Call) -> str:
    """AdaptiveAvgPool2d -> GlobalAveragePool, or AveragePool where sizes divide."""
    return _adaptive(g, call, "GlobalAveragePool", "AveragePool")


@exporter(AdaptiveMaxPool2d)
def export_adaptive_max_pool2d(g: GraphBuilder, call: Call) -> str:
    """AdaptiveMaxPool2d -> GlobalMaxPool, or MaxPool where sizes divide."""
    return _adaptive(g, call, "GlobalMaxPool", "MaxPool")


# ==================================================================== linear

@exporter(Linear, LinearReLU)
def export_linear(g: GraphBuilder, call: Call) -> str:
    """Linear -> Gemm (2-D input) or MatMul + Add (any leading dims); LinearReLU + Relu."""
    x, w, b = call.inputs
    if len(call.input_shapes[0]) == 2:
        y = g.op("Gemm", [x, w, b], transB=1)
    else:
        y = g.op("MatMul", [x, g.op("Transpose", [w], perm=[1, 0])])
        if b is not None:
            y = g.op("Add", [y, b])
    if call.function is LinearReLU:
        y = g.op("Relu", [y])
    return y


# ==================================================================== normalisation, dropout

@exporter(BatchNorm)
def export_batch_norm(g: GraphBuilder, call: Call) -> str:
    """BatchNorm with running statistics -> BatchNormalization (+ Relu when fused)."""
    kw = call.kwargs
    if kw.get("training"):
        raise call.refuse("batch_norm normalising with batch statistics (training mode); "
                          "export calls model.eval(), so this comes from a functional "
                          "batch_norm(training=True) or track_running_stats=False")
    x, weight, bias = call.inputs
    c = call.input_shapes[0][1]
    scale = weight if weight is not None else g.const([1.0] * c, hint="bn_scale")
    shift = bias if bias is not None else g.const([0.0] * c, hint="bn_bias")
    mean = g.array(kw["running_mean"], "running_mean")
    var = g.array(kw["running_var"], "running_var")
    y = g.op("BatchNormalization", [x, scale, shift, mean, var], epsilon=float(kw["eps"]))
    if kw.get("relu"):
        y = g.op("Relu", [y])
    return y


@exporter(Dropout)
def export_dropout(g: GraphBuilder, call: Call) -> str:
    raise call.refuse("dropout in training mode (export runs model.eval(); a functional "
                      "dropout needs training=self.training)")


__all__ = ["export_conv2d", "export_max_pool2d", "export_avg_pool2d",
           "export_adaptive_avg_pool2d", "export_adaptive_max_pool2d", "export_linear",
           "export_batch_norm", "export_dropout"]
