"""The `fastconv` command: `fastconv train` (LeNet-5 on Fashion-MNIST) and `fastconv info`.

`mpiexec -n N fastconv train ...` trains data-parallel over the N processes
(fastconv.distributed): the global batch is split across them, gradients are averaged,
and rank 0 alone prints and saves."""
import argparse
import os
import platform
import sys
from typing import Any, List, NamedTuple, Optional

DEFAULT_LR = {"adam": 1e-3, "sgd": 0.01}
OPENMP_NAMES = {200505: "2.5", 200805: "3.0", 201107: "3.1", 201307: "4.0", 201511: "4.5",
                201811: "5.0", 202011: "5.1", 202111: "5.2", 202411: "6.0"}


class UsageError(Exception):
    """A problem with the user's arguments or data: printed as one line, exit code 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer, got %r" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1, got %d" % value)
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number, got %r" % text) from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0, got %s" % text)
    return value


def _version() -> str:
    try:
        from fastconv import __version__
        return __version__
    except ImportError:  # an unbuilt source tree
        return "unknown"


def add_train_arguments(parser: argparse.ArgumentParser, *, save: bool = True) -> None:
    """The options of `fastconv train` (data, recipe, threads, seed, limits, progress).

    Shared with benchmarks/train_torch_reference.py so that both accept the same flags
    with the same defaults; save=False leaves out --save."""
    parser.add_argument("--data", metavar="DIR",
                        help="directory with the four Fashion-MNIST IDX files (.gz or raw); "
                             "'full' for Debian's dataset-fashion-mnist install (60k/10k); "
                             "default: the shipped subset")
    parser.add_argument("--epochs", type=_positive_int, default=5, help="default: 5")
    parser.add_argument("--batch-size", type=_positive_int, default=64, help="default: 64")
    parser.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default="adam",
                        help="default: adam")
    parser.add_argument("--lr", type=_positive_float, default=None,
                        help="learning rate (default: 1e-3 for adam, 0.01 for sgd)")
    parser.add_argument("--momentum", type=float, default=0.9,
                        help="SGD momentum (default: 0.9)")
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="threads for the native kernels (default: OMP_NUM_THREADS or "
                             "all cores)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the weights and the shuffling (default: 0)")
    if save:
        parser.add_argument("--save", metavar="PATH",
                            help="save the trained weights here (.npz)")
    parser.add_argument("--train-limit", type=_positive_int, metavar="N",
                        help="use only the first N training images (quick runs)")
    parser.add_argument("--test-limit", type=_positive_int, metavar="N",
                        help="use only the first N test images")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastconv",
        description="Fast CPU convolutional networks: train LeNet-5 on Fashion-MNIST, or show "
                    "how fastconv was built.")
    parser.add_argument("--version", action="version", version="fastconv %s" % _version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser(
        "train", help="train LeNet-5 on Fashion-MNIST",
        description="Train LeNet-5 on Fashion-MNIST and print, per epoch, the training loss, "
                    "test accuracy, images/s and seconds. Default data: the subset shipped "
                    "with fastconv (5,000 train / 1,000 test images).")
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
    return parser


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


class TrainingData(NamedTuple):
    """What `fastconv train` trains and tests on: a description and two loaders."""
    source: str          # "shipped subset" or the directory read
    train_loader: Any    # shuffled with --seed, batches of --batch-size
    test_loader: Any     # in order, batches of max(--batch-size, 256)


def training_data(args: argparse.Namespace, *, as_numpy: bool = False) -> TrainingData:
    """The normalised Fashion-MNIST loaders for the train options in `args`.

    as_numpy=True yields numpy arrays instead of fastconv Tensors (for other libraries).
    Raises UsageError when the data cannot be found or read."""
    from fastconv.data import DataLoader, FashionMNIST, Subset

    root = _data_root(args.data)
    try:
        train_set = FashionMNIST(root, train=True, normalize=True)
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
    return TrainingData(source, train_loader, test_loader)


def learning_rate(args: argparse.Namespace) -> float:
    """--lr, or the optimizer's default."""
    return args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]


def recipe_text(args: argparse.Namespace) -> str:
    """The optimizer and its settings, as the header line shows them."""
    lr = learning_rate(args)
    if args.optimizer == "adam":
        return "Adam lr %g" % lr
    return "SGD lr %g momentum %g" % (lr, args.momentum)


def format_header(library: str, args: argparse.Namespace, data: TrainingData,
                  threads: int) -> str:
    """The line printed before training; `library` is e.g. "fastconv 0.1.0"."""
    return ("%s: LeNet-5 on Fashion-MNIST (%s: %d train / %d test images), %s, batch %d, "
            "threads %d" % (library, data.source, len(data.train_loader.dataset),
                            len(data.test_loader.dataset), recipe_text(args),
                            args.batch_size, threads))


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


def cmd_train(args: argparse.Namespace) -> int:
    import fastconv
    from fastconv._malloc import keep_freed_memory

    keep_freed_memory()

    if args.save:  # before reading the data: a cheap check that should fail fast
        parent = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(parent):
            raise UsageError("--save %s: directory %s does not exist" % (args.save, parent))
    data = training_data(args)
    procs = training_processes(args)

    import fastconv.models
    import fastconv.optim
    from fastconv.train import evaluate, train_epoch

    threads = args.threads or procs.default_threads()
    if threads:
        fastconv.set_num_threads(threads)
    fastconv.manual_seed(args.seed)
    model = fastconv.models.lenet5()
    trained = procs.wrap(model)   # rank 0's weights on every process
    lr = learning_rate(args)
    if args.optimizer == "adam":
        optimizer = fastconv.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = fastconv.optim.SGD(model.parameters(), lr=lr, momentum=args.momentum)
    train_loader = procs.train_loader(data.train_loader)
    test_loader = procs.test_loader(data.test_loader)
    if procs.is_main:
        print(format_header("fastconv %s" % fastconv.__version__, args, data,
                            fastconv.get_num_threads()), flush=True)
        if procs.enabled:
            print(format_processes(procs, args.batch_size, fastconv.get_num_threads()),
                  flush=True)
    for epoch in range(1, args.epochs + 1):
        procs.set_epoch(epoch)
        stats = procs.reduce_epoch(train_epoch(
            trained, train_loader, optimizer, progress=procs.is_main and not args.no_progress,
            desc="epoch %d/%d%s" % (epoch, args.epochs, procs.progress_suffix())))
        test = procs.reduce_eval(evaluate(trained, test_loader))
        if procs.is_main:
            print(format_epoch(epoch, args.epochs, stats, test), flush=True)
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
