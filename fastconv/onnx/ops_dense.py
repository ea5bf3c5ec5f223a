"""Exporters of the dense-prediction layers: conv_transpose2d -> ConvTranspose,
interpolate (nearest, nearest-exact, linear, bilinear) -> Resize, pad -> Pad,
grid_sample -> GridSample (opset >= 16), affine_grid -> AffineGrid (opset >= 20)."""
from ..functional.conv_transpose import ConvTranspose2d
from ..functional.resample import (AffineGrid, GridSample, Pad, UpsampleLinear,
                                   UpsampleNearest)
from ..ops import _args
from ._graph import GraphBuilder
from ._table import Call, exporter


@exporter(ConvTranspose2d)
def export_conv_transpose2d(g: GraphBuilder, call: Call) -> str:
    """ConvTranspose2d -> ConvTranspose (same weight layout, pads cut from both sides,
    output_padding added at the end)."""
    stride, padding, output_padding, groups, dilation = call.ctx.options
    ndim = len(call.input_shapes[0])
    x = g.unsqueeze(call.inputs[0], [0]) if ndim == 3 else call.inputs[0]
    kernel = list(call.input_shapes[1][2:])
    ph, pw = _args.pair(padding, "padding", 0)
    y = g.op("ConvTranspose", [x, call.inputs[1], call.inputs[2]], kernel_shape=kernel,
             strides=list(_args.pair(stride, "stride", 1)), pads=[ph, pw, ph, pw],
             output_padding=list(_args.pair(output_padding, "output_padding", 0)),
             dilations=list(_args.pair(dilation, "dilation", 1)), group=int(groups))
    return g.squeeze(y, [0]) if ndim == 3 else y


def _resize(g: GraphBuilder, call: Call, mode: str, transform: str, **attrs) -> str:
    """Resize the last two dims of a 4-D view of the input: by the user's scale factors
    where PyTorch uses them for the source coordinates, else to the traced output size
    (the batch and channel sizes read at run time, so the batch stays dynamic)."""
    ndim = len(call.input_shapes[0])
    x = g.unsqueeze(call.inputs[0], [2]) if ndim == 3 else call.inputs[0]
    scales = call.kwargs.get("scales") or (None, None)
    out_hw = list(call.kwargs["output_size"])
    if transform != "align_corners" and all(s is not None for s in scales):
        y = g.op("Resize", [x, "", g.const([1.0, 1.0] + [float(s) for s in scales],
                                           dtype="float32", hint="scales")],
                 mode=mode, coordinate_transformation_mode=transform, **attrs)
    else:
        shape = g.op("Shape", [x])
        nc = g.op("Slice", [shape, g.ints([0], "starts"), g.ints([2], "ends")])
        sizes = g.op("Concat", [nc, g.ints(out_hw, "sizes")], axis=0)
        y = g.op("Resize", [x, "", "", sizes], mode=mode,
                 coordinate_transformation_mode=transform, **attrs)
    return g.squeeze(y, [2]) if ndim == 3 else y


@exporter(UpsampleNearest)
def export_upsample_nearest(g: GraphBuilder, call: Call) -> str:
    """'nearest': src = floor(dst * in/out) -> asymmetric + floor; 'nearest-exact':
    src = floor((dst + 0.5) * in/out) -> half_pixel + round_prefer_ceil."""
    if call.kwargs.get("exact"):
        return _resize(g, call, "nearest", "half_pixel", nearest_mode="round_prefer_ceil")
    return _resize(g, call, "nearest", "asymmetric", nearest_mode="floor")


@exporter(UpsampleLinear)
def export_upsample_linear(g: GraphBuilder, call: Call) -> str:
    """(bi)linear: align_corners -> align_corners, else half_pixel."""
    transform = "align_corners" if call.kwargs.get("align_corners") else "half_pixel"
    return _resize(g, call, "linear", transform)


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


@exporter(Pad)
def export_pad(g: GraphBuilder, call: Call) -> str:
    """F.pad -> Pad: PyTorch's (left, right, top, bottom, ...) from the last dim back
    becomes ONNX's begins then ends over all dims; negative amounts crop."""
    pad, mode = list(call.kwargs["pad"]), call.kwargs["mode"]
    ndim = len(call.input_shapes[0])
    onnx_mode = _PAD_MODES.get(mode)
    if onnx_mode is None or (mode == "circular" and g.opset < 19):
        raise call.refuse("pad mode %r needs opset >= 19 (Pad mode 'wrap')" % mode
                          if mode == "circular" else "pad mode %r" % (mode,))
    begins, ends = [0] * ndim, [0] * ndim
    for i in range(len(pad) // 2):
        begins[ndim - 1 - i], ends[ndim - 1 - i] = pad[2 * i], pad[2 * i + 1]
    if call.batched and (begins[0] or ends[0]):
        call.keeps_batch = False
    inputs = [call.inputs[0], g.ints(begins + ends, "pads")]
    if mode == "constant":
        inputs.append(g.const(float(call.kwargs.get("value", 0.0)), hint="pad_value"))
    return g.op("Pad", inputs, mode=onnx_mode)


@exporter(GridSample)
def export_grid_sample(g: GraphBuilder, call: Call) -> str:
    """GridSample (opset 16 names its modes bilinear/nearest, opset 20 linear/nearest)."""
    mode, padding_mode = call.kwargs["mode"], call.kwargs["padding_mode"]
    if g.opset < 16:
        raise call.refuse("grid_sample needs opset_version >= 16 (ONNX GridSample)")
    if g.opset >= 20 and mode == "bilinear":
        mode = "linear"
    return g.op("GridSample", call.inputs[:2], mode=mode, padding_mode=padding_mode,
                align_corners=int(bool(call.kwargs["align_corners"])))


@exporter(AffineGrid)
def export_affine_grid(g: GraphBuilder, call: Call) -> str:
    """AffineGrid (opset 20); the size's N read from theta at run time."""
    if g.opset < 20:
        raise call.refuse("affine_grid needs opset_version >= 20 (ONNX AffineGrid)")
    size = list(call.kwargs["size"])
    if len(size) != 4:
        raise call.refuse("affine_grid of a %d-D size" % len(size))
    theta = call.inputs[0]
    sizes = g.op("Concat", [g.batch_size(theta), g.ints(size[1:], "size")], axis=0) \
        if theta in g.batched else g.ints(size, "size")
    return g.op("AffineGrid", [theta, sizes],
                align_corners=int(bool(call.kwargs["align_corners"])))
