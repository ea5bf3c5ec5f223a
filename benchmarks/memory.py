"""Peak memory of LeNet-5 SGD training, fastconv vs PyTorch CPU, each in a fresh process.

    python3 benchmarks/memory.py [--steps 50] [--threads N]

baseline: RSS high-water mark after importing the library and building model, data and
optimizer; peak: after the training run; delta = peak - baseline (what training adds).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fastconv.bench import (_torch_available, format_memory_table,  # noqa: E402
                            training_memory)

BATCHES = [64, 256]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both libraries (default: each library's own)")
    args = parser.parse_args()
    impls = ["fastconv"] + (["torch"] if _torch_available() else [])
    results = [training_memory(impl, batch, args.steps, args.threads)
               for batch in BATCHES for impl in impls]
    print("LeNet-5 SGD training, %d steps per run" % args.steps)
    print(format_memory_table(results))


if __name__ == "__main__":
    main()
