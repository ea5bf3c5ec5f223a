"""Exporters of ReLU (and add_relu), the pointwise activation family (leaky_relu ... mish), softmax and
log_softmax, and the Tensor methods relu/sigmoid/tanh/exp/..."""
import math

from ..autograd.softmax import LogSoftmax, Softmax
from ..autograd.unary import (Abs, Cos, Exp, Log, Reciprocal, Relu, Sigmoid, Sin, Sqrt,
                              Tanh)
from ..functional import activation as _act
from ._graph import GraphBuilder
from ._table import Call, exporter


@exporter(_act.ReLU, Relu)
def export_relu(g: GraphBuilder, call: Call) -> str:
    return g.op("Relu", [call.inputs[0]])


@exporter(_act.AddReLU)
def export_add_relu(g: GraphBuilder, call: Call) -> str:
    """relu(a + b) (a residual block's tail): Add, then Relu."""
    return g.op("Relu", [g.op("Add", [call.inputs[0], call.inputs[1]])])


def _gelu(g: GraphBuilder, x: str, approximate: str) -> str:
    if g.opset >= 20:
        return g.op("Gelu", [x], approximate=approximate)
    half_x = g.op("Mul", [x, g.const(0.5)])
    if approximate == "none":      # x/2 (1 + erf(x / sqrt 2))
        inner = g.op("Erf", [g.op("Mul", [x, g.const(1.0 / math.sqrt(2.0))])])
    else:                          # x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.op("Mul", [g.op("Mul", [x, x]), x])
        poly = g.op("Add", [x, g.op("Mul", [cube, g.const(0.044715)])])
        inner = g.op("Tanh", [g.op("Mul", [poly, g.const(math.sqrt(2.0 / math.pi))])])
    return g.op("Mul", [half_x, g.op("Add", [inner, g.const(1.0)])])


def _softplus(g: GraphBuilder, x: str, beta: float, threshold: float) -> str:
    """log(1 + exp(beta x)) / beta, or x where beta x > threshold (PyTorch's softplus)."""
    bx = x if beta == 1.0 else g.op("Mul", [x, g.const(beta)])
    soft = g.op("Softplus", [bx])
    if beta != 1.0:
        soft = g.op("Div", [soft, g.const(beta)])
    linear = g.op("Greater", [bx, g.const(threshold)])
    return g.op("Where", [linear, x, soft])


def _mish(g: GraphBuilder, x: str) -> str:
    if g.opset >= 18:
        return g.op("Mish", [x])
    return g.op("Mul", [x, g.op("Tanh", [_softplus(g, x, 1.0, 20.0)])])


@exporter(_act.Activation)
def export_activation(g: GraphBuilder, call: Call) -> str:
    """One ONNX op where there is one (LeakyRelu, Elu, Sigmoid, Tanh, Clip, HardSwish,
    HardSigmoid), else its formula (gelu, silu, softplus's threshold, mish before opset
    18)."""
    kind, alpha, beta = call.ctx.params
    x = call.inputs[0]
    if kind == "leaky_relu":
        return g.op("LeakyRelu", [x], alpha=float(alpha))
    if kind == "elu":
        return g.op("Elu", [x], alpha=float(alpha))
    if kind in ("gelu", "gelu_tanh"):
        return _gelu(g, x, "none" if kind == "gelu" else "tanh")
    if kind == "silu":
        return g.op("Mul", [x, g.op("Sigmoid", [x])])
    if kind == "sigmoid":
        return g.op("Sigmoid", [x])
    if kind == "tanh":
        return g.op("Tanh", [x])
    if kind == "softplus":
        return _softplus(g, x, float(alpha), float(beta))
    if kind == "hardtanh":
        return g.op("Clip", [x, g.const(alpha), g.const(beta)])
    if kind == "hardswish":
        return g.op("HardSwish", [x])
    if kind == "hardsigmoid":
        return g.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    if kind == "mish":
        return _mish(g, x)
    raise call.refuse("activation kind %r has no exporter" % (kind,))


@exporter(Softmax, LogSoftmax)
def export_softmax(g: GraphBuilder, call: Call) -> str:
    """Softmax / LogSoftmax over one axis (opset 13 semantics)."""
    axis = call.ctx.axis
    if axis is None:
        raise call.refuse("softmax of a 0-d tensor")
    op = "Softmax" if call.function is Softmax else "LogSoftmax"
    return g.op(op, [call.inputs[0]], axis=int(axis))


_UNARY = {Sigmoid: "Sigmoid", Tanh: "Tanh", Exp: "Exp",
          Log: "Log", Sqrt: "Sqrt", Abs: "Abs",
          Reciprocal: "Reciprocal", Sin: "Sin", Cos: "Cos"}


@exporter(*_UNARY)
def export_unary(g: GraphBuilder, call: Call) -> str:
    """Tensor.sigmoid(), .tanh(), .exp(), ... -> the ONNX op of the same name."""
    return g.op(_UNARY[call.function], [call.inputs[0]])
