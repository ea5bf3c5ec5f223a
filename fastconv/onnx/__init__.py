"""fastconv.onnx: export a fastconv model to ONNX (pip install fastconv[onnx]).

    import fastconv.onnx
    fastconv.onnx.export(model, example_input, "model.onnx")

export traces one forward pass on the autograd tape and translates each recorded op
through one table, EXPORTERS (Function class -> exporter). A new op plugs in with

    @fastconv.onnx.exporter(MyFunction)
    def export_my_function(g, call):        # g: GraphBuilder, call: Call
        return g.op("Relu", [call.inputs[0]])

An op without an entry makes export raise ExportError naming it. The onnx package is
imported only when export runs.
"""
from ._export import export
from ._graph import ExportError, GraphBuilder
from ._table import EXPORTERS, Call, exporter
from . import ops_activation, ops_dense, ops_nn, ops_rnn, ops_tensor  # noqa: F401  (the table)

__all__ = ["export", "exporter", "EXPORTERS", "ExportError", "Call", "GraphBuilder"]
