"""Time ``context.summarize`` on four namespaces, for this tree and a baseline, and print a table.

Run ``python benchmarks/bench_context.py [--runs N] [--baseline REF]``. The namespaces:

- small: a dozen names of the usual kinds;
- large: 20,000 names (ints, strings, small lists, dicts, many NumPy arrays including several multi-GB ones made with
  ``np.empty``, which reserve address space but no memory until touched, and DataFrames);
- issue: issue 8's namespace, one large array, a DataFrame and then 20,000 ints made in a loop
  (``for i in range(20000): globals()[f"v{i}"] = i``), whose summary must show the array and the DataFrame;
- hostile: 1,000 objects whose ``__repr__``, ``__len__``, ``__getattr__`` or properties raise, sleep for 10 s, or
  compute lazily, and proxies that lie through ``__class__``.

Each side (this tree's ``codeact_magic`` and ``--baseline REF``'s, default :data:`DEFAULT_REF`, the commit before
issue 8's ranking; ``none``: this tree only) runs in a child process of its own, whose ``PYTHONPATH`` starts with its
package (``benchmarks/_baseline.py``) and which checks that it imported that one. The parent asks the children for
one measured run at a time, alternating the sides, so both see the same machine. Prints, per namespace and side,
the names, the median and max ms, the characters, the names shown and, for the issue namespace, whether the array,
the DataFrame and the line ``v0 … v19999: 20,000 ints`` are in the text; then the first lines of the issue
namespace's summary on each side. Exits 1 when, on this tree, the large namespace's median exceeds 150 ms or its
text 8,000 characters, the issue namespace's text leaves out the array, the DataFrame or the collapsed line, or a
hostile object ran user code.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _baseline import Side, compare, sides

#: The commit before issue 8 ("the variable summary ranks what a data scientist means").
DEFAULT_REF = "3aebcfd"
LARGE_MEDIAN_MS = 150.0
LARGE_MAX_CHARS = 8000
ISSUE_RUN_LINE = "v0 … v19999: 20,000 ints"
HEAD_LINES = 8  # lines of the issue namespace's summary printed per side
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


def issue_namespace(n: int = 20_000) -> dict:
    ns: dict = {"__name__": "__main__", "np": np, "pd": pd}
    ns["X"] = np.empty((100_000, 1_000))  # 800 MB of address space, untouched
    ns["sales"] = pd.DataFrame({"region": ["north", "south"] * 50, "units": np.arange(100),
                                "price": np.linspace(1.0, 2.0, 100)})
    for i in range(n):
        ns[f"v{i}"] = i
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


NAMESPACES = {"small": small_namespace, "large": large_namespace, "issue": issue_namespace,
              "hostile": hostile_namespace}


def child(package_dir: str) -> int:
    """One side: read a namespace's label per line on stdin, answer one measured run of it as a JSON line."""
    import codeact_magic
    from codeact_magic.context import summarize

    here = Path(codeact_magic.__file__).resolve().parent.parent
    if here != Path(package_dir).resolve():
        print(f"codeact_magic imported from {here}, not from {package_dir}", file=sys.stderr)
        return 2
    built: dict[str, dict] = {}
    for label in sys.stdin:
        label = label.strip()
        if label not in built:
            built[label] = NAMESPACES[label]()
            summarize(built[label])  # warm-up
        t0 = time.perf_counter()
        result = summarize(built[label])
        ms = (time.perf_counter() - t0) * 1000
        lines = result.text.splitlines()
        print(json.dumps({
            "ms": ms, "names": result.n_names, "chars": len(result.text), "shown": result.n_shown,
            "lines": len(lines), "calls": len(CALLS), "head": lines[:HEAD_LINES],
            "issue": {"array": any(x.startswith("X: numpy.ndarray shape=(100000, 1000)") for x in lines),
                      "frame": any(x.startswith("sales: pandas.DataFrame shape=(100, 3) columns: region")
                                   for x in lines),
                      "collapsed": ISSUE_RUN_LINE in lines},
        }), flush=True)
    return 0


def start_child(side: Side) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--child", str(side.path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": side.pythonpath()})


def ask(proc: subprocess.Popen, label: str) -> dict:
    proc.stdin.write(label + "\n")
    proc.stdin.flush()
    answer = proc.stdout.readline()
    if not answer:
        raise RuntimeError(f"the child measuring {label!r} ended (exit code {proc.wait()})")
    return json.loads(answer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="measured runs per namespace and side (default 20)")
    parser.add_argument("--baseline", default=DEFAULT_REF, metavar="REF",
                        help=f"git ref measured side by side with this tree, in the same invocation (default "
                        f"{DEFAULT_REF}, the commit before issue 8's ranking; 'none': this tree only)")
    parser.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    failures: list[str] = []
    with sides(args.baseline) as sides_:
        names = [side.name for side in sides_]
        procs = [start_child(side) for side in sides_]
        try:
            results: dict[str, list[list[dict]]] = {}
            for label in NAMESPACES:
                results[label] = [[] for _ in sides_]
                for _ in range(args.runs):  # the sides alternated, run by run
                    for k, proc in enumerate(procs):
                        results[label][k].append(ask(proc, label))
        finally:
            for proc in procs:
                proc.stdin.close()
                proc.wait()
    print(f"sides: {', '.join(names)}; {args.runs} runs per namespace and side, alternated")
    print(f"{'namespace':<10} {'side':<12} {'names':>7} {'median ms':>10} {'max ms':>8} {'chars':>6} {'shown':>7} "
          f"{'lines':>6}  issue: array frame collapsed")
    for label, per_side in results.items():
        for name, runs in zip(names, per_side):
            last, times = runs[-1], [r["ms"] for r in runs]
            found = "  ".join("yes" if last["issue"][k] else "no" for k in ("array", "frame", "collapsed"))
            print(f"{label:<10} {name:<12} {last['names']:>7,} {statistics.median(times):>10.2f} {max(times):>8.2f} "
                  f"{last['chars']:>6,} {last['shown']:>7,} {last['lines']:>6,}" + (f"  {found}" if label == "issue"
                                                                                   else ""))
    for figure, key, fmt in (("median ms", "ms", "{:.2f}"), ("chars", "chars", "{:.0f}"), ("names shown", "shown",
                                                                                          "{:.0f}")):
        compare(f"issue namespace: {figure}", names,
                [(figure, [statistics.median(r[key] for r in runs) for runs in results["issue"]])], fmt)
    for name, runs in zip(names, results["issue"]):
        print(f"\n-- issue namespace, {name}: first {HEAD_LINES} lines --")
        print("\n".join(runs[-1]["head"]))
    large = results["large"][0]
    med = statistics.median(r["ms"] for r in large)
    if med > LARGE_MEDIAN_MS:
        failures.append(f"large: median {med:.1f} ms > {LARGE_MEDIAN_MS:.0f} ms")
    if large[-1]["chars"] > LARGE_MAX_CHARS:
        failures.append(f"large: {large[-1]['chars']:,} chars > {LARGE_MAX_CHARS:,}")
    missing = [k for k, found in results["issue"][0][-1]["issue"].items() if not found]
    if missing:
        failures.append(f"issue: the summary leaves out the {', the '.join(missing)}")
    calls = results["hostile"][0][-1]["calls"]
    if calls:
        failures.append(f"hostile: user code ran {calls} times")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
