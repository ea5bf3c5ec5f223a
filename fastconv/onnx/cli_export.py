"""`fastconv export CKPT --model NAME -o model.onnx`: a checkpoint of a fastconv.models
network to ONNX (the subcommand's parser and body; fastconv/cli.py registers it)."""
import argparse
import os
from typing import Tuple

# The input of the networks `fastconv train` builds (1x28x28 Fashion-MNIST), (C, H, W).
TRAIN_INPUT = (1, 28, 28)


def _shape(text: str) -> Tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError("expected positive sizes such as 3,32,32, got %r"
                                         % text)
    return shape


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the `export` subcommand to an argparse subparsers object."""
    e = sub.add_parser(
        "export", help="export a trained fastconv.models network to ONNX",
        description="Load CKPT (a state_dict written by fastconv.save, e.g. by `fastconv "
                    "train --save`) into the fastconv.models network NAME and write it as "
                    "an ONNX model (needs pip install fastconv[onnx]).")
    e.add_argument("checkpoint", metavar="CKPT",
                   help="weights (.npz or .safetensors state_dict) or a training checkpoint")
    e.add_argument("--model", required=True, metavar="NAME",
                   help="the network, as `fastconv train --model` names it (e.g. lenet5)")
    e.add_argument("-o", "--output", required=True, metavar="FILE", help="ONNX file to write")
    e.add_argument("--input-shape", type=_shape, metavar="C,H,W",
                   help="one example's shape (default: 1,28,28, what fastconv train "
                        "trains on)")
    e.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")
    e.add_argument("--static-batch", action="store_true",
                   help="fix the batch size to 1 instead of a symbolic batch dim")
    return e


def run(args: argparse.Namespace, usage_error: type) -> int:
    """The body of `fastconv export`; a problem with the arguments raises usage_error."""
    import fastconv

    model, default_shape = _build(args.model, usage_error)
    shape: Tuple[int, ...] = args.input_shape or default_shape
    if not os.path.isfile(args.checkpoint):
        raise usage_error("checkpoint %s does not exist" % args.checkpoint)
    parent = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(parent):
        raise usage_error("-o %s: directory %s does not exist" % (args.output, parent))
    from fastconv.predict import weights_of   # a state dict, or a training checkpoint's
    try:
        model.load_state_dict(weights_of(fastconv.load(args.checkpoint)))
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise usage_error("checkpoint %s does not fit model %s: %s"
                          % (args.checkpoint, args.model, e)) from None
    try:
        import fastconv.onnx
        example = fastconv.zeros((1,) + tuple(shape))
        fastconv.onnx.export(model, example, args.output, opset_version=args.opset,
                             dynamic_batch=not args.static_batch)
    except ImportError as e:
        raise usage_error(str(e)) from None
    except ValueError as e:
        raise usage_error(str(e)) from None
    print("wrote %s (%s, input %s)" % (args.output, args.model,
                                        ("batch",) + tuple(shape) if not args.static_batch
                                        else (1,) + tuple(shape)))
    return 0


def _build(name: str, usage_error: type):
    """(network, its input (C, H, W)) as `fastconv train --model NAME` builds it."""
    from fastconv.models.recipes import MODELS
    if name not in MODELS:
        raise usage_error("unknown model %r; fastconv train's models are: %s"
                          % (name, ", ".join(sorted(MODELS))))
    return MODELS[name].build(), TRAIN_INPUT
