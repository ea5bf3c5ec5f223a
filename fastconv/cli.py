"""The `fastconv` command: `fastconv train` (LeNet-5, CNN-BN, ResNet-20 or VGG-11-BN on
Fashion-MNIST, each with its best recipe by default), `fastconv bench` and `fastconv info`.

`mpiexec -n N fastconv train ...` trains data-parallel over the N processes
(fastconv.distributed): the global batch is split across them, gradients are averaged,
and rank 0 alone prints and saves."""
import argparse
import contextlib
import os
import platform
import signal
import sys
import threading
from typing import Any, Dict, Iterator, List, NamedTuple, Optional

OPENMP_NAMES = {200505: "2.5", 200805: "3.0", 201107: "3.1", 201307: "4.0", 201511: "4.5",
                201811: "5.0", 202011: "5.1", 202111: "5.2", 202411: "6.0"}


class UsageError(Exception):
    """A problem with the user's arguments or data: printed as one line, exit code 2."""


def _number(text: str, kind: type, check, requirement: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected %s, got %r" % (
            "an integer" if kind is int else "a number", text)) from None
    if not check(value):
        raise argparse.ArgumentTypeError("must be %s, got %s" % (requirement, text))
    return value


def _positive_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 1, ">= 1")


def _non_negative_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 0, ">= 0")


def _positive_float(text: str) -> float:
    return _number(text, float, lambda v: v > 0, "> 0")


def _non_negative_float(text: str) -> float:
    return _number(text, float, lambda v: 0 <= v < float("inf"), ">= 0")


def _smoothing(text: str) -> float:
    return _number(text, float, lambda v: 0 <= v < 1, "in [0, 1)")


def _version() -> str:
    try:
        from fastconv import __version__
        return __version__
    except ImportError:  # an unbuilt source tree
        return "unknown"


AUGMENT_HELP = ("a horizontal flip of each image with probability 0.5: Fashion-MNIST's "
                "items are mostly left-right symmetric, so a mirror image is still a valid "
                "example of its class. Random 28x28 crops after 2 pixels of padding, the "
                "CIFAR habit, were tried and left CNN-BN underfitted after 10 epochs "
                "(PyTorch, crop and flip: test accuracy 0.9236)")


def add_train_arguments(parser: argparse.ArgumentParser, *, save: bool = True) -> None:
    """The options of `fastconv train` (model, data, recipe, threads, seed, limits,
    progress). Recipe options left out take the model's recipe (fastconv.models.recipes).

    Shared with benchmarks/train_torch_reference.py so that both accept the same flags
    with the same defaults; save=False leaves out --save, --checkpoint and --resume."""
    from fastconv.models.recipes import MODELS, OPTIMIZERS, SCHEDULERS

    parser.add_argument("--model", choices=list(MODELS), default=None,
                        help="the network (default: lenet5)")
    parser.add_argument("--data", metavar="DIR",
                        help="directory with the four Fashion-MNIST IDX files (.gz or raw); "
                             "'full' for Debian's dataset-fashion-mnist install (60k/10k); "
                             "default: the shipped subset")
    parser.add_argument("--epochs", type=_positive_int, help="default: the model's")
    parser.add_argument("--batch-size", type=_positive_int, help="default: the model's")
    parser.add_argument("--optimizer", choices=OPTIMIZERS,
                        help="default: the model's; another optimizer than the recipe's "
                             "starts from its own defaults (sgd: lr 0.01; adam: lr 1e-3; "
                             "adamw: lr 1e-3, weight decay 0.01)")
    parser.add_argument("--lr", type=_positive_float,
                        help="learning rate, the peak one with --scheduler onecycle "
                             "(default: the recipe's)")
    parser.add_argument("--momentum", type=_non_negative_float,
                        help="SGD momentum (default: 0.9)")
    parser.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None,
                        help="Nesterov momentum for SGD (default: the recipe's)")
    parser.add_argument("--weight-decay", type=_non_negative_float,
                        help="L2 penalty; decoupled for adamw (default: the recipe's)")
    parser.add_argument("--scheduler", choices=SCHEDULERS,
                        help="learning-rate schedule, stepped after every batch: step (x0.1 "
                             "at 50%% and 75%% of the run), cosine (annealing to 0), "
                             "onecycle (warm-up over 30%%, cosine down to lr/1e4) "
                             "(default: the recipe's)")
    parser.add_argument("--label-smoothing", type=_smoothing,
                        help="in [0, 1) (default: the recipe's)")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="augment the training images (default: the recipe's): "
                             + AUGMENT_HELP)
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="threads for the native kernels (default: OMP_NUM_THREADS or "
                             "all cores); results do not depend on it")
    parser.add_argument("--seed", type=_non_negative_int, default=None,
                        help="seed for the weights, shuffling, augmentation and dropout "
                             "(default: 0)")
    if save:
        parser.add_argument("--save", metavar="PATH",
                            help="save the trained weights here (.npz)")
        parser.add_argument("--checkpoint", metavar="PATH",
                            help="write the whole run's state here after every epoch, "
                                 "atomically (default with --resume: the resumed file)")
        parser.add_argument("--resume", metavar="CKPT",
                            help="continue the run saved in CKPT (by --checkpoint) after its "
                                 "last complete epoch, with its settings: the result is the "
                                 "same, bit for bit, as a run never stopped")
    parser.add_argument("--train-limit", type=_positive_int, metavar="N",
                        help="use only the first N training images (quick runs)")
    parser.add_argument("--test-limit", type=_positive_int, metavar="N",
                        help="use only the first N test images")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def recipes_epilog() -> str:
    """Each model's default recipe, as `fastconv train --help` lists them."""
    import textwrap

    from fastconv.models.recipes import MODELS
    width = max(len(name) for name in MODELS)
    lines = ["default recipe of each --model (any option given replaces its part):"]
    for name, entry in MODELS.items():
        lines += textwrap.wrap(entry.recipe.summary(), 78, initial_indent="  %-*s  " % (
            width, name), subsequent_indent=" " * (width + 4))
    lines += [""] + textwrap.wrap("Ctrl-C stops cleanly: the last complete --checkpoint "
                                  "stays intact and --resume continues from it.", 78)
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastconv",
        description="Fast CPU convolutional networks: train a CNN on Fashion-MNIST, time "
                    "fastconv against PyTorch, or show how fastconv was built.")
    parser.add_argument("--version", action="version", version="fastconv %s" % _version())
    from fastconv.models.recipes import MODELS
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser(
        "train", help="train LeNet-5, CNN-BN, ResNet-20 or VGG-11-BN on Fashion-MNIST",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a network on Fashion-MNIST and print, per epoch, the training "
                    "loss, test accuracy, images/s and seconds. Default: LeNet-5 on the "
                    "subset shipped with fastconv (5,000 train / 1,000 test images).",
        epilog=recipes_epilog())
    add_train_arguments(t)
    t.add_argument("--distributed", action=argparse.BooleanOptionalAction, default=None,
                   help="data-parallel over the processes mpiexec started: --batch-size is "
                        "the global batch, split evenly across them; gradients are averaged; "
                        "rank 0 alone prints and saves; --threads is per process (default: "
                        "on when launched by mpiexec with more than one process)")
    t.set_defaults(func=cmd_train)

    i = sub.add_parser("info", help="show the build, CPU kernels, threads and GPU backend",
                       description="Show fastconv's version, how it was built, the CPU "
                                   "kernels chosen at run time, threads and GPU support.")
    i.set_defaults(func=cmd_info)

    b = sub.add_parser(
        "bench", help="time fastconv against PyTorch CPU on our layers and networks",
        description="Print one table: case, fastconv ms, PyTorch ms, ratio (PyTorch / "
                    "fastconv, > 1 is faster), GFLOP/s and percent of the peak that "
                    "fastconv's own sgemm reaches. Medians of interleaved runs. Then the "
                    "Python overhead per op, and small Tensor ops against PyTorch's, in "
                    "microseconds.")
    b.add_argument("--threads", type=_positive_int, action="append",
                   help="thread count to measure (repeatable; default: all cores)")
    b.add_argument("--repeats", type=_positive_int, default=7,
                   help="timed runs per case (default: 7)")
    b.add_argument("--quick", action="store_true",
                   help="3 runs per case and a smaller peak problem (a smoke run)")
    b.add_argument("--cases", metavar="TEXT",
                   help="only the cases whose name contains TEXT (e.g. lenet)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_bench)

    from fastconv.onnx import cli_export
    cli_export.add_parser(sub).set_defaults(func=lambda a: cli_export.run(a, UsageError))

    p = sub.add_parser(
        "predict", help="classify image files with a trained network",
        description="Print the top 3 Fashion-MNIST classes, with probabilities, of each "
                    "image (PNG, JPEG, ...; needs Pillow: pip install 'fastconv[image]'), "
                    "using weights saved by `fastconv train --save` or --checkpoint.")
    p.add_argument("checkpoint", metavar="CKPT", help="weights or a training checkpoint")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files")
    p.add_argument("--model", choices=list(MODELS), default="lenet5",
                   help="the network the weights belong to (default: lenet5)")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="make the item white on black as in Fashion-MNIST: auto inverts "
                        "images whose border is light (default: auto)")
    p.add_argument("--top", type=_positive_int, default=3, help="classes shown (default: 3)")
    p.set_defaults(func=cmd_predict)
    return parser


def cmd_predict(args: argparse.Namespace) -> int:
    """fastconv predict: the model's weights from CKPT, then one line per image."""
    import numpy as np

    import fastconv
    from fastconv import predict
    from fastconv.models.recipes import MODELS

    if not os.path.isfile(args.checkpoint):
        raise UsageError("%s: no such file" % args.checkpoint)
    model = MODELS[args.model].build()
    try:
        model.load_state_dict(predict.weights_of(fastconv.load(args.checkpoint)))
    except Exception as e:   # a file of other weights is the user's input, not our bug
        raise UsageError("%s: not weights of %s: %s" % (args.checkpoint, args.model, e)) \
            from None
    inputs = []
    for path in args.images:
        try:
            inputs.append(predict.image_to_input(path, args.invert))
        except ImportError as e:
            raise UsageError(str(e)) from None
        except (OSError, ValueError) as e:
            raise UsageError("%s: cannot read the image: %s" % (path, e)) from None
    top = min(args.top, 10)
    for path, ranked in zip(args.images, predict.predict(model, np.stack(inputs), top)):
        print(predict.format_prediction(path, ranked))
    return 0


# ------------------------------------------------------------------ info

def gpu_status() -> str:
    """Whether the CuPy backend is usable here, and if not, why not."""
    try:
        import cupy
    except ImportError:
        return "unavailable: CuPy is not installed (pip install 'fastconv[gpu]')"
    except Exception as e:  # a broken CuPy install
        return "unavailable: importing CuPy failed (%s: %s)" % (type(e).__name__, e)
    version = getattr(cupy, "__version__", "?")
    try:
        if not cupy.is_available():
            return "unavailable: CuPy %s found no usable CUDA device" % version
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        return "usable: CuPy %s, %d device(s), device 0: %s" % (
            version, cupy.cuda.runtime.getDeviceCount(), name)
    except Exception as e:
        return "unavailable: CuPy %s could not reach a device (%s: %s)" % (
            version, type(e).__name__, e)


def mpi_status() -> str:
    """Whether fastconv.distributed can run here (the MPI library), and if not, why not."""
    from fastconv.distributed import mpi_status as status
    return status()


def cmd_info(args: argparse.Namespace) -> int:
    import numpy

    import fastconv
    from fastconv import _caps, _cpu

    omp = _cpu.openmp_version()
    if omp:
        omp_text = "%d (OpenMP %s)" % (omp, OPENMP_NAMES.get(omp, "?"))
    else:
        omp_text = "none: built without OpenMP, kernels run on one thread"
    caps = _cpu.capabilities()
    rows = [
        ("fastconv", "%s (%s)" % (fastconv.__version__, os.path.dirname(fastconv.__file__))),
        ("python", "%s %s" % (platform.python_implementation(), platform.python_version())),
        ("numpy", numpy.__version__),
        ("compiler", _cpu.compiler()),
        ("OpenMP", omp_text),
        ("CPU", "%s, AVX2+FMA: %s, features: %s" % (
            platform.machine() or "?", "yes" if _cpu.cpu_has_avx2_fma() else "no",
            " ".join(caps["cpu_features"]) or "none used")),
        ("ISA", "%s (the kernels' instruction set; this CPU runs up to %s)"
         % (caps["isa"], caps["cpu_isa"])),
        ("GEMM kernel", _cpu.gemm_kernel_name()),
        ("direct conv", "%s (AVX-512 float kernels: off, on where faster, force)"
         % caps["direct"]),
        ("Winograd", "on" if caps["winograd"] else "off"),
        ("threads", str(fastconv.get_num_threads())),
        ("GPU backend", gpu_status()),
        ("MPI", mpi_status()),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print("%-*s  %s" % (width, key, value))
    print("\nsettings (environment variables; README's \"Settings\" has the details):")
    values = dict(_caps.settings_in_effect())
    width = max(len(s.name) for s in _caps.SETTINGS)
    for s in _caps.SETTINGS:
        print("  %-*s  %-7s  %s%s" % (width, s.name, values[s.name], s.meaning,
                                      " (build)" if s.when == "build" else ""))
    return 0


# ------------------------------------------------------------------ train

# The options that define a run and what it prints: a checkpoint stores them, and
# --resume refuses to continue with different ones (threads, progress and paths may
# change: results do not depend on them).
RUN_OPTIONS = ("model", "data", "epochs", "batch_size", "optimizer", "lr", "momentum",
               "nesterov", "weight_decay", "scheduler", "label_smoothing", "augment",
               "seed", "train_limit", "test_limit")
RECIPE_OPTIONS = ("optimizer", "lr", "epochs", "batch_size", "momentum", "nesterov",
                  "weight_decay", "scheduler", "label_smoothing", "augment")


def resolve_recipe(args: argparse.Namespace):
    """Fill the run options left out (None) in `args`: --model defaults to lenet5, the
    recipe options to the model's recipe (to the optimizer's own defaults for lr and
    weight decay when --optimizer differs from the recipe's), --seed to 0. Returns the
    Recipe in effect. Idempotent. UsageError for options that contradict each other."""
    from fastconv.models.recipes import MODELS, OPTIMIZER_DEFAULTS, Recipe

    if args.model is None:
        args.model = "lenet5"
    base = MODELS[args.model].recipe
    optimizer = args.optimizer or base.optimizer
    own = OPTIMIZER_DEFAULTS[optimizer] if optimizer != base.optimizer else {
        "lr": base.lr, "weight_decay": base.weight_decay}
    defaults = dict(base.__dict__, optimizer=optimizer, **own)
    if optimizer != base.optimizer:
        defaults["nesterov"] = False
    for name in RECIPE_OPTIONS:
        if getattr(args, name, None) is None:
            setattr(args, name, defaults[name])
    if args.seed is None:
        args.seed = 0
    if args.optimizer == "sgd" and args.nesterov and args.momentum == 0:
        raise UsageError("--nesterov needs an SGD momentum > 0 (--momentum)")
    return Recipe(**{name: getattr(args, name) for name in RECIPE_OPTIONS})


def _data_root(data: Optional[str]):
    """None for the shipped subset, else the directory to read; UsageError when unusable."""
    from fastconv.data import INSTALL_HINT, fashion_mnist_files, find_fashion_mnist

    if data is None or data == "subset":
        return None
    if data == "full":
        root = find_fashion_mnist()
        if root is None:
            raise UsageError("the full Fashion-MNIST set is not installed; install it with "
                             "`%s` or pass --data DIR" % INSTALL_HINT)
        return root
    if not os.path.isdir(data):
        raise UsageError("--data %s: no such directory (expected a directory with the four "
                         "Fashion-MNIST IDX files, or 'full' for Debian's %s)"
                         % (data, "dataset-fashion-mnist"))
    try:
        fashion_mnist_files(data, True)
        fashion_mnist_files(data, False)
    except FileNotFoundError as e:
        raise UsageError("--data: %s" % e) from None
    return data


def fashion_mnist_augmentation(generator: Any) -> Any:
    """`--augment` for normalised Fashion-MNIST batches (see AUGMENT_HELP), drawing from
    `generator`."""
    from fastconv.data import transforms
    return transforms.RandomHorizontalFlip(generator=generator)


class TrainingData(NamedTuple):
    """What `fastconv train` trains and tests on: a description and two loaders."""
    source: str          # "shipped subset" or the directory read
    train_loader: Any    # shuffled with --seed, batches of --batch-size, augmented or not
    test_loader: Any     # in order, batches of max(--batch-size, 256)
    generators: Dict[str, Any]  # the numpy generators the pipeline draws from, by name


def training_data(args: argparse.Namespace, *, as_numpy: bool = False) -> TrainingData:
    """The normalised Fashion-MNIST loaders for the train options in `args` (the recipe
    resolved first). The shuffling and the augmentation draw from their own generators,
    seeded by --seed, so fastconv and PyTorch runs see the same batches.

    as_numpy=True yields numpy arrays instead of fastconv Tensors (for other libraries).
    Raises UsageError when the data cannot be found or read."""
    import numpy as np

    from fastconv.data import DataLoader, FashionMNIST, Subset

    resolve_recipe(args)
    root = _data_root(args.data)
    augment_rng = np.random.default_rng([args.seed, 1])
    try:
        train_set = FashionMNIST(root, train=True, normalize=True, transform=(
            fashion_mnist_augmentation(augment_rng) if args.augment else None))
        test_set = FashionMNIST(root, train=False, normalize=True)
    except (OSError, ValueError) as e:
        raise UsageError("cannot read Fashion-MNIST: %s" % e) from None
    if args.train_limit:
        train_set = Subset(train_set, range(min(args.train_limit, len(train_set))))
    if args.test_limit:
        test_set = Subset(test_set, range(min(args.test_limit, len(test_set))))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              seed=args.seed, as_numpy=as_numpy)
    test_loader = DataLoader(test_set, batch_size=max(args.batch_size, 256),
                             as_numpy=as_numpy)
    source = "shipped subset" if root is None else str(root)
    generators = {"loader": train_loader.generator,
                  "augment": augment_rng if args.augment else None}
    return TrainingData(source, train_loader, test_loader, generators)


def recipe_text(args: argparse.Namespace) -> str:
    """The optimizer and the rest of the recipe, as the header line shows them."""
    name = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}[args.optimizer]
    text = "%s lr %g" % (name, args.lr)
    if args.optimizer == "sgd":
        text += " momentum %g%s" % (args.momentum, " nesterov" if args.nesterov else "")
    if args.weight_decay:
        text += ", weight decay %g" % args.weight_decay
    if args.scheduler != "none":
        text += ", %s schedule" % args.scheduler
    if args.label_smoothing:
        text += ", label smoothing %g" % args.label_smoothing
    if args.augment:
        text += ", augmented (flip)"
    return text


def format_header(library: str, args: argparse.Namespace, data: TrainingData,
                  threads: int) -> str:
    """The line printed before training; `library` is e.g. "fastconv 0.1.0"."""
    from fastconv.models.recipes import MODELS
    return ("%s: %s on Fashion-MNIST (%s: %d train / %d test images), %s, batch %d, "
            "threads %d" % (library, MODELS[args.model].title, data.source,
                            len(data.train_loader.dataset), len(data.test_loader.dataset),
                            recipe_text(args), args.batch_size, threads))


def format_epoch(epoch: int, epochs: int, train: Any, test: Any) -> str:
    """The line printed after each epoch, from fastconv.train's EpochStats and EvalStats."""
    return ("epoch %d/%d  train loss %.4f  test accuracy %.4f  %.0f images/s  %.1f s "
            "(+%.1f s test)" % (epoch, epochs, train.loss, test.accuracy,
                                train.images_per_s, train.seconds, test.seconds))


def training_processes(args: argparse.Namespace):
    """fastconv.distributed.TrainingProcesses for --distributed (on by default under
    mpiexec with several processes); UsageError, before MPI starts, when the batch does
    not split evenly or MPI is missing."""
    from fastconv.distributed.training import TrainingProcesses, launched_world_size

    world = launched_world_size()
    enabled = args.distributed if args.distributed is not None else world > 1
    if enabled and args.batch_size % world:
        raise UsageError("--batch-size %d does not split evenly over %d processes; use a "
                         "multiple of %d" % (args.batch_size, world, world))
    try:
        return TrainingProcesses(enabled=enabled)
    except ImportError as e:
        raise UsageError("--distributed: %s" % e) from None


def format_processes(procs: Any, batch_size: int, threads: int) -> str:
    """The second header line of a data-parallel run: processes, MPI, per-process split."""
    return ("data-parallel over %s; per process: batch %d, threads %d"
            % (procs.describe(), procs.batch_per_process(batch_size), threads))


def _check_parent_dir(path: Optional[str], option: str) -> None:
    if path:
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise UsageError("%s %s: directory %s does not exist" % (option, path, parent))


def _option_text(name: str, value: Any) -> str:
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    return "%s %s" % (flag, "(none)" if value is None else value)


def read_resume_checkpoint(path: str, args: argparse.Namespace) -> Dict[str, Any]:
    """The checkpoint at `path`, its run's settings copied into `args`; UsageError when
    it cannot be read or an option given contradicts the run it holds."""
    import fastconv
    from fastconv.train import check_training_checkpoint

    if not os.path.isfile(path):
        raise UsageError("--resume %s: no such file" % path)
    try:
        state = check_training_checkpoint(fastconv.load(path))
    except Exception as e:   # any unreadable file is the user's input, not our bug
        raise UsageError("--resume %s: cannot resume from it: %s" % (path, e)) from None
    settings = state["settings"]
    for name in RUN_OPTIONS:
        given, stored = getattr(args, name, None), settings.get(name)
        if given is not None and given != stored:
            raise UsageError("--resume %s: that run used %s; leave %s out to continue it"
                             % (path, _option_text(name, stored),
                                "--" + name.replace("_", "-")))
        setattr(args, name, stored)
    return state


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) for the duration, then raise KeyboardInterrupt if one
    came: a checkpoint being written is finished first. Only in the main thread (where
    Python handles signals); elsewhere a plain block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: List[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None
                      else previous)
    if received:
        raise KeyboardInterrupt


def _interrupted_text(epoch: int, epochs: int, checkpoint: Optional[str],
                      saved: Optional[int]) -> str:
    text = "fastconv train: interrupted in epoch %d/%d" % (epoch, epochs)
    if checkpoint is None:
        return text + " (no --checkpoint given: nothing saved)"
    if saved is None:
        return text + ", before the first checkpoint was written"
    return text + "; %s holds epoch %d/%d: continue with --resume %s" % (
        checkpoint, saved, epochs, checkpoint)


def cmd_train(args: argparse.Namespace) -> int:
    import functools

    import fastconv
    import fastconv.functional as F
    from fastconv._malloc import keep_freed_memory
    from fastconv.models.recipes import MODELS
    from fastconv.train import (evaluate, make_optimizer, make_scheduler,
                                restore_training_checkpoint, total_steps, train_epoch,
                                training_checkpoint)

    keep_freed_memory()
    # cheap checks first, so that a mistake fails before the data is read
    _check_parent_dir(args.save, "--save")
    _check_parent_dir(args.checkpoint, "--checkpoint")
    resumed = read_resume_checkpoint(args.resume, args) if args.resume else None
    if args.resume and args.checkpoint is None:
        args.checkpoint = args.resume
    resolve_recipe(args)
    data = training_data(args)
    procs = training_processes(args)

    threads = args.threads or procs.default_threads()
    if threads:
        fastconv.set_num_threads(threads)
    fastconv.manual_seed(args.seed)
    model = MODELS[args.model].build()
    trained = procs.wrap(model)   # rank 0's weights on every process
    train_loader = procs.train_loader(data.train_loader)
    test_loader = procs.test_loader(data.test_loader)
    optimizer = make_optimizer(fastconv.optim, model.parameters(), args.optimizer, args.lr,
                               momentum=args.momentum, nesterov=args.nesterov,
                               weight_decay=args.weight_decay)
    scheduler = make_scheduler(fastconv.optim.lr_scheduler, optimizer, args.scheduler,
                               total_steps(train_loader, args.epochs))
    done = 0
    if resumed is not None:
        try:
            done = restore_training_checkpoint(resumed, model, optimizer, scheduler,
                                               data.generators)
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError("--resume %s: cannot resume from it: %s" % (args.resume, e)
                             ) from None
    if procs.is_main:
        print(format_header("fastconv %s" % fastconv.__version__, args, data,
                            fastconv.get_num_threads()), flush=True)
        if procs.enabled:
            print(format_processes(procs, args.batch_size, fastconv.get_num_threads()),
                  flush=True)
    if resumed is not None and procs.is_main:
        print("resumed from %s after epoch %d/%d" % (args.resume, done, args.epochs),
              flush=True)
    settings = {name: getattr(args, name) for name in RUN_OPTIONS}
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=args.label_smoothing)
    saved = done if resumed is not None else None
    epoch = done + 1
    try:
        for epoch in range(done + 1, args.epochs + 1):
            procs.set_epoch(epoch)
            stats = procs.reduce_epoch(train_epoch(
                trained, train_loader, optimizer, loss_fn=loss_fn, scheduler=scheduler,
                progress=procs.is_main and not args.no_progress,
                desc="epoch %d/%d%s" % (epoch, args.epochs, procs.progress_suffix())))
            test = procs.reduce_eval(evaluate(trained, test_loader))
            if procs.is_main:
                print(format_epoch(epoch, args.epochs, stats, test), flush=True)
            if args.checkpoint and procs.is_main:
                state = training_checkpoint(epoch, model, optimizer, scheduler,
                                            data.generators, settings)
                with sigint_deferred():   # a Ctrl-C now waits until the file is whole
                    fastconv.save(state, args.checkpoint)
                    saved = epoch
    except KeyboardInterrupt:
        print(_interrupted_text(min(epoch, args.epochs), args.epochs, args.checkpoint, saved),
              file=sys.stderr, flush=True)
        return 130
    if done >= args.epochs and procs.is_main:
        print("the run in %s finished all %d epochs: nothing to train" % (args.resume,
                                                                        args.epochs))
    if args.save and procs.is_main:
        fastconv.save(model.state_dict(), args.save)   # the model's own keys, no "module."
        print("saved the weights to %s" % args.save)
    return 0


# ------------------------------------------------------------------ bench

def cmd_bench(args: argparse.Namespace) -> int:
    """`fastconv bench`: the side-by-side table for each requested thread count."""
    import fastconv
    from fastconv import bench
    from fastconv._malloc import keep_freed_memory

    keep_freed_memory()  # both libraries run in this process, so both benefit alike
    for threads in args.threads or [fastconv.get_num_threads()]:
        rows, peak, blas = bench.run(threads, repeats=args.repeats, quick=args.quick,
                                     progress=not args.no_progress, only=args.cases)
        print(bench.format_table(rows, peak, threads, blas))
        print()
    number, repeat = (200, 3) if args.quick else (1000, 7)
    print(bench.format_overhead(bench.op_overhead_us(number, repeat)))
    print()
    print(bench.small_ops_table(*((200, 3, 2000) if args.quick else (2000, 7, 10_000))))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the `fastconv` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    code = run_reporting_errors("fastconv %s" % args.command, args.func, args)
    if "fastconv.distributed.process_group" in sys.modules:   # MPI may be running
        from fastconv.distributed.training import abort_after_failure
        abort_after_failure(code)   # the other processes may wait for this one
    return code


def run_reporting_errors(prog: str, command, args: argparse.Namespace) -> int:
    """command(args), with a UsageError as one line and exit code 2, Ctrl-C as 130."""
    try:
        return command(args)
    except UsageError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("%s: interrupted" % prog, file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
