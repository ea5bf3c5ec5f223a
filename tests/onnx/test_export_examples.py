"""The example networks (examples/) export and run in ONNX Runtime as in fastconv:
the detector, the segmentation FCN, the spatial transformer and the row GRU."""
import importlib
import os
import sys

import numpy as np

from .helpers import export_and_compare, randomize_batch_norm

import fastconv
import fastconv.functional as F
from fastconv import nn

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples")


def _example(name):
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    return importlib.import_module(name)


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_detector(tmp_path):
    fastconv.manual_seed(0)
    model = randomize_batch_norm(_example("detect").build_detector(nn))
    export_and_compare(model, _x((2, 1, 64, 64)), tmp_path, batches=(1,))


def test_segmentation_fcn(tmp_path):
    fastconv.manual_seed(0)
    model = randomize_batch_norm(_example("segment").build_fcn(nn, fastconv.cat))
    export_and_compare(model, _x((2, 1, 64, 64)), tmp_path, batches=(1,))


def test_spatial_transformer(tmp_path):
    fastconv.manual_seed(0)
    model = randomize_batch_norm(_example("stn").build_stn(nn, F))
    with fastconv.no_grad():   # a transform away from the identity
        model.theta.bias.copy_(fastconv.tensor([0.9, 0.1, 0.05, -0.1, 1.1, 0.0]))
    export_and_compare(model, _x((2, 1, 42, 42)), tmp_path, batches=(3,), opset_version=20)


def test_row_gru(tmp_path):
    fastconv.manual_seed(0)
    model = _example("gru_fashion").RowGRU(hidden=16, layers=2)
    export_and_compare(model, _x((3, 1, 28, 28)), tmp_path, dynamic_batch=False)
