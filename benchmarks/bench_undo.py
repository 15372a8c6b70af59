"""The per-step cost of what undo keeps (:meth:`codeact_magic.snapshots.UndoStore.take` before a step and
:meth:`~codeact_magic.snapshots.UndoStore.finish_step` after it) next to a 1 GB DataFrame, and print a table.

Run ``python benchmarks/bench_undo.py [--gb 1.0] [--names 2000] [--runs 5]``. The namespace holds ``df``, a DataFrame
of float64 columns of about ``--gb`` GB (10^9 bytes), and ``--names`` other small variables (a notebook's clutter:
the identity check after a step is one pass over them). Three steps, each snapshotted ``--runs`` times after one
warm-up:

- ``mutates in place``: ``df["a"] = df["a"] * 2`` (an item assignment: ``df`` is copied, ``DataFrame.copy(deep=True)``);
- ``only reads``: ``total = df["a"].sum()`` (``total`` is kept by reference, ``df`` not at all);
- ``rebinds``: ``df = df[df["a"] > 0.5]`` (the old ``df`` is kept by reference: no copy).

It prints, per step, the median and max wall time of the snapshot before the step (``take``) and of the check after
it (``finish_step``), in ms, the bytes the snapshot holds in copies (its estimate), and how much the process's
resident memory grew while it was held (median). The steps
themselves are not run: the figures are the snapshot's own cost. Exits 1 when a step other than the first copies
anything, or the first does not.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codeact_magic.files import human_size  # noqa: E402
from codeact_magic.snapshots import UndoStore  # noqa: E402

STEPS = [("mutates in place", 'df["a"] = df["a"] * 2'),
         ("only reads", 'total = df["a"].sum()'),
         ("rebinds", 'df = df[df["a"] > 0.5]')]


def frame(gb: float) -> pd.DataFrame:
    """A DataFrame of 8 float64 columns taking about ``gb`` GB."""
    rows = int(gb * 1e9 / 8 / 8)
    rng = np.random.default_rng(0)
    return pd.DataFrame({name: rng.random(rows) for name in "abcdefgh"})


def rss() -> int:
    """This process's resident set size now, in bytes (``/proc/self/statm``, Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=1.0, help="size of df, in GB (10^9 bytes)")
    parser.add_argument("--names", type=int, default=2000, help="other variables in the namespace")
    parser.add_argument("--runs", type=int, default=5, help="timed snapshots per step, after one warm-up")
    args = parser.parse_args()

    df = frame(args.gb)
    namespace = {"df": df, **{f"v{i}": [i, str(i)] for i in range(args.names)}}
    size = int(df.memory_usage(index=True).sum())
    print(f"df: {len(df):,} rows x {df.shape[1]} float64 columns, {human_size(size)}; "
          f"{args.names:,} other names; {args.runs} runs after a warm-up")
    print(f"{'step':<18} {'take ms':>10} {'max':>8} {'finish ms':>10} {'copied':>10} {'RSS held':>11}")
    failed = False
    with TemporaryDirectory() as cwd:
        store = UndoStore(lambda: 4 * 2**30)
        for label, code in STEPS:
            takes, finishes, copied = [], [], 0
            held = []
            for attempt in range(args.runs + 1):
                before = rss()
                started = time.perf_counter()
                kept = store.take("r-bench", 1, code, namespace, cwd)
                took = time.perf_counter() - started
                held.append(max(0, rss() - before))
                started = time.perf_counter()
                store.finish_step(kept, namespace)
                finished = time.perf_counter() - started
                copied = kept.nbytes
                store.release("r-bench", "", steps=[1])
                del kept
                if attempt:
                    takes.append(took * 1e3)
                    finishes.append(finished * 1e3)
            grown = statistics.median(held)
            print(f"{label:<18} {statistics.median(takes):>10.2f} {max(takes):>8.2f} "
                  f"{statistics.median(finishes):>10.2f} {human_size(copied):>10} {human_size(int(grown)):>11}")
            if (label == "mutates in place") != (copied > 0):
                failed = True
    if failed:
        print("FAIL: only the step that mutates df in place may copy it", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
