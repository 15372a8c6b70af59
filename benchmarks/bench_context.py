"""Time ``context.summarize`` on a small, a large and a hostile namespace and print a table.

Run ``python benchmarks/bench_context.py [--runs N]``. The large namespace holds 20,000 names (ints, strings, small
lists, dicts, many NumPy arrays including several multi-GB ones made with ``np.empty``, which reserve address space
but no memory until touched, and DataFrames); the hostile one 1,000 objects whose ``__repr__``, ``__len__``,
``__getattr__`` or properties raise, sleep for 10 s, or compute lazily, and proxies that lie through ``__class__``.
Exits 1 when the large namespace's median exceeds 150 ms or its text 8,000 characters, or when any hostile object
ran user code.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from codeact_magic.context import summarize  # noqa: E402

LARGE_MEDIAN_MS = 150.0
LARGE_MAX_CHARS = 8000
CALLS: list[str] = []  # user code that ran: must stay empty


def small_namespace() -> dict:
    ns: dict = {"__name__": "__main__", "np": np, "pd": pd}
    exec("def area(w: float, h: float = 1.0) -> float:\n    '''Area of a rectangle.'''\n    return w * h\n", ns)
    ns.update(n=42, ratio=0.5, name="experiment-7", items=[1, 2, 3], cfg={"lr": 0.1, "epochs": 10},
              arr=np.arange(12.0).reshape(3, 4), df=pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
              done=False, api_key="sk-ant-api03-" + "x" * 40)
    return ns


def large_namespace(n: int = 20_000) -> dict:
    ns: dict = {"__name__": "__main__", "np": np, "pd": pd}
    frame = pd.DataFrame({f"col_{j}": np.arange(100, dtype=float) for j in range(40)})
    for i in range(n - 40):
        k = i % 5
        if k == 0:
            ns[f"v{i}"] = i
        elif k == 1:
            ns[f"s{i}"] = f"string value number {i} " * 4
        elif k == 2:
            ns[f"l{i}"] = [i, i + 1, "a", (i, 2.5)]
        elif k == 3:
            ns[f"a{i}"] = np.zeros(16 + i % 100)
        else:
            ns[f"d{i}"] = {"id": i, "tags": ["x", "y"]}
    for i in range(30):  # the most recent names are what gets described
        ns[f"df{i}"] = frame if i % 2 else pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    for i in range(6):
        ns[f"huge{i}"] = np.empty((40_000, 10_000))  # 3.2 GB of address space each, untouched
    ns["big_zeros"] = np.zeros((50_000, 10_000), dtype=np.float32)
    ns["table"] = frame
    ns["series"] = frame["col_0"]
    ns["token"] = "ghp_" + "a1B2" * 10
    return ns


class RaisingRepr:
    def __repr__(self):
        CALLS.append("repr")
        raise RuntimeError("no repr")

    def __len__(self):
        CALLS.append("len")
        raise RuntimeError("no len")


class SleepingRepr:
    def __repr__(self):
        CALLS.append("repr")
        time.sleep(10)
        return "slept"


class Lazy:
    def __getattr__(self, name):
        CALLS.append(f"getattr {name}")
        time.sleep(10)
        return 0


class HangingShape(np.ndarray):
    @property
    def shape(self):
        CALLS.append("shape")
        time.sleep(10)
        return (0,)


class LyingProxy:
    @property
    def __class__(self):
        CALLS.append("__class__")
        time.sleep(10)
        return pd.DataFrame

    def __getattribute__(self, name):
        CALLS.append(f"getattribute {name}")
        time.sleep(10)
        return None


def hostile_namespace(n: int = 1000) -> dict:
    kinds = [RaisingRepr, SleepingRepr, Lazy, LyingProxy, lambda: np.zeros(4).view(HangingShape)]
    return {"__name__": "__main__", **{f"h{i}": kinds[i % len(kinds)]() for i in range(n)}}


def measure(ns: dict, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = summarize(ns)
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per namespace (default 20)")
    args = parser.parse_args(argv)
    rows, failures = [], []
    for label, build in (("small", small_namespace), ("large", large_namespace), ("hostile", hostile_namespace)):
        ns = build()
        summarize(ns)  # warm-up
        times, result = measure(ns, args.runs)
        med, worst = statistics.median(times), max(times)
        rows.append((label, result.n_names, med, worst, len(result.text), result.n_shown))
        if label == "large" and med > LARGE_MEDIAN_MS:
            failures.append(f"large: median {med:.1f} ms > {LARGE_MEDIAN_MS:.0f} ms")
        if label == "large" and len(result.text) > LARGE_MAX_CHARS:
            failures.append(f"large: {len(result.text):,} chars > {LARGE_MAX_CHARS:,}")
    if CALLS:
        failures.append(f"hostile: user code ran {len(CALLS)} times ({CALLS[:3]})")
    print(f"{'namespace':<10} {'names':>7} {'median ms':>10} {'max ms':>8} {'chars':>6} {'shown':>6}")
    for label, names, med, worst, chars, shown in rows:
        print(f"{label:<10} {names:>7,} {med:>10.2f} {worst:>8.2f} {chars:>6,} {shown:>6,}")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
