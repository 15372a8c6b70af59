"""The agent's own overhead per step of a ``%%codeact`` run, in a real kernel, against the local API stand-in.

Run ``python benchmarks/bench_overhead.py [--steps 30] [--reps 3] [--latency 0.05] [--no-text] [--baseline REF]``.

Each run has ``--steps`` trivial steps (``x = i``) and then an answer, served by ``tests/standin.py`` with a fixed
``--latency`` per request, over real HTTP through the real ``anthropic`` SDK. Two display paths:

- rich: a real ipykernel started through ``jupyter_client`` (``tests/kernel/kernel_harness.py``), the default
  display (display updates, Markdown) plus the frontend comm messages; this process reads every iopub message as a
  frontend would;
- text: ``IPython.core.interactiveshell.InteractiveShell`` in a child process (not a kernel), with
  ``CodeActMagics.display = 'text'`` writing to ``/dev/null``.

The stand-in runs in this process and timestamps every ``POST /v1/messages`` on the server side, from its request line
read (before the stand-in parses the headers) to the last byte written. For step k, the cycle is the time between the
arrival of request k and of request k + 1;

    overhead_k = cycle_k - server_k - code_k

where ``server_k`` is the stand-in's whole handling of request k (the fixed ``--latency`` sleep, counted as model
time, plus the stand-in's own header parsing, validation, usage accounting and SSE writing, reported apart) and
``code_k`` is ``Step.duration_s`` from the run record (measured around ``shell.run_cell``, so IPython's own per-cell
work, such as compiling and writing history, counts as code time). Everything else is overhead: building the request,
the SDK and HTTP on the client side, parsing the stream, the run loop, the observation, the journal, the displays and
the comm messages. The run record comes back from the kernel with ``%codeact export``.

Each path is measured on this tree's ``codeact_magic`` and, in the same invocation, on ``--baseline REF``'s (default
``37eff7d``, the commit before issue 12; see ``benchmarks/_baseline.py``): one kernel (or one child shell per run) per
side, the measured runs of the two sides alternated, so both see the same machine. Both figures are printed, and
their ratio.

Exits 1 when this tree's median per-step overhead is over 5 ms on the rich path or over 3 ms on the text path, or a
run did not end as expected.
"""

from __future__ import annotations

import argparse
import functools
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "kernel")]
import standin as standin_module  # noqa: E402
from _baseline import Side, add_argument, compare, sides  # noqa: E402
from standin import StandIn, turn  # noqa: E402

#: Most median per-step overhead (ms) of this tree, by path.
TARGET_MEDIAN_MS = {"rich": 5.0, "text": 3.0}
API_KEY = "sk-ant-bench-0000"
WARMUP_STEPS = 3
_TIMINGS: list[tuple[float, float]] = []  # (arrival, last byte written) of each POST /v1/messages, perf_counter s
_TIMINGS_LOCK = threading.Lock()


#: Run once in the kernel (or shell) under test: times every observer event (the journal, the display, the frontend
#: channel) without changing what they do, into ``_codeact_bench_times`` (seconds by "observer.event").
INSTRUMENT = """
import collections as _bench_c, time as _bench_t
import codeact_magic.magics as _bench_m
_codeact_bench_times = _bench_c.defaultdict(float)
class _CodeactBenchTimed:
    EVENTS = {"run_started", "turn_started", "text", "turn_finished", "step_started", "step_finished",
              "outputs_updated", "run_finished"}
    def __init__(self, inner, name):
        self._inner, self._name = inner, name
    def __getattr__(self, attr):
        value = getattr(self._inner, attr)
        if attr not in self.EVENTS:
            return value
        def timed(*args, **kwargs):
            start = _bench_t.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                _codeact_bench_times[self._name + "." + attr] += _bench_t.perf_counter() - start
        return timed
_bench_make_display, _bench_journal = _bench_m.make_display, _bench_m.RunJournal
_bench_m.make_display = lambda *a, **k: _CodeactBenchTimed(_bench_make_display(*a, **k), "display")
_bench_m.RunJournal = lambda *a, **k: _CodeactBenchTimed(_bench_journal(*a, **k), "journal")
_bench_magics = get_ipython().magics_manager.registry["CodeActMagics"]
_bench_magics.frontend = _CodeactBenchTimed(_bench_magics.frontend, "frontend")
"""


class _TimedHandler(standin_module._Handler):
    """The stand-in's handler, timestamping each ``POST /v1/messages`` on the server's clock, from the moment its
    request line has been read (the header parsing that follows is the stand-in's own work) to its last byte.

    ``disable_nagle_algorithm``: the stand-in writes each SSE frame with its own ``send``; with Nagle's algorithm on
    (its default), a frame waits for the client's delayed ACK, which costs about 40 ms per streamed answer on Linux.
    The real API does not stall like that, so the benchmark turns it off unless ``--nagle`` is given.
    """

    disable_nagle_algorithm = True

    def parse_request(self) -> bool:
        self._arrived = time.perf_counter()
        return super().parse_request()

    def do_POST(self) -> None:
        start = getattr(self, "_arrived", None) or time.perf_counter()
        try:
            super().do_POST()
        finally:
            if urlsplit(self.path).path.rstrip("/") == "/v1/messages":
                with _TIMINGS_LOCK:
                    _TIMINGS.append((start, time.perf_counter()))


def script(steps: int) -> list:
    """The model's turns of one run: ``steps`` trivial code steps, then an answer."""
    return [turn(f"Setting x to {i}.", f"x = {i}") for i in range(steps)] + [turn(f"Done: `x` is {steps - 1}.")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def analyse(record: dict, timings: list[tuple[float, float]], wall_s: float, steps: int, latency: float,
            observers: dict[str, float]) -> dict:
    """Per-step overheads and the run's time budget, from one run record and its server timestamps (seconds)."""
    turns, done = record["turns"], record["steps"]
    problems = []
    if record["status"] != "done" or len(done) != steps or len(turns) != steps + 1 or len(timings) != steps + 1:
        problems.append(f"run {record['run_id']}: status {record['status']}, {len(done)} steps, {len(turns)} turns, "
                        f"{len(timings)} requests (expected done, {steps}, {steps + 1}, {steps + 1})")
    if any(s["status"] != "ok" for s in done):
        problems.append(f"run {record['run_id']}: a step failed: {[s['observation'] for s in done if s['status'] != 'ok']}")
    server = [end - start for start, end in timings]
    overhead, sdk = [], []
    for k in range(min(len(done), len(timings) - 1)):
        cycle = timings[k + 1][0] - timings[k][0]
        overhead.append(cycle - server[k] - done[k]["duration_s"])
        sdk.append(turns[k]["latency_s"] - server[k])
    latency_sum = sum(t["latency_s"] for t in turns)
    code = sum(s["duration_s"] for s in done)
    return {
        "problems": problems,
        "overhead": overhead,
        "sdk": sdk,
        "wall": wall_s,
        "elapsed": record["elapsed_s"],
        "model_fixed": latency * len(timings),
        "standin": sum(server) - latency * len(timings),
        "server": sum(server),
        "code": code,
        "sdk_total": latency_sum - sum(server),
        "loop_total": record["elapsed_s"] - latency_sum - code,
        "steps": len(done),
        "observers": observers,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def report(name: str, results: list[dict], latency: float) -> float:
    """Print one path's figures; return its median per-step overhead in ms."""
    overhead = [o for r in results for o in r["overhead"]]
    sdk = [s for r in results for s in r["sdk"]]
    n_steps = sum(r["steps"] for r in results)
    total = {key: sum(r[key] for r in results) for key in
             ("wall", "elapsed", "model_fixed", "standin", "server", "code", "sdk_total", "loop_total")}
    median = statistics.median(overhead) * 1000
    print(f"\n== {name}: {len(results)} runs x {results[0]['steps']} steps, stand-in latency {latency * 1000:.0f} ms ==")
    print(f"per-step overhead (cycle - server - code), {len(overhead)} steps:")
    print(f"  median {median:6.1f} ms   p90 {percentile(overhead, 0.9) * 1000:6.1f} ms   "
          f"max {max(overhead) * 1000:6.1f} ms   mean {statistics.mean(overhead) * 1000:6.1f} ms")
    third = max(1, results[0]["steps"] // 3)
    first = [o for r in results for o in r["overhead"][:third]]
    last = [o for r in results for o in r["overhead"][-third:]]
    print(f"  median of steps 1-{third}: {statistics.median(first) * 1000:.1f} ms; of the last {third} steps: "
          f"{statistics.median(last) * 1000:.1f} ms (growth with the run's length)")
    print(f"  part of it, SDK + HTTP + stream handling (Turn.latency_s - server time): median "
          f"{statistics.median(sdk) * 1000:.1f} ms per turn")
    print("time budget, summed over the runs (ms; per step = / %d steps):" % n_steps)
    rows = [
        ("cell wall time (execute sent -> idle / run_cell)", total["wall"]),
        ("  outside run_agent: magic setup, variable summary, client creation, teardown",
         total["wall"] - total["elapsed"]),
        ("  run_agent (Run.elapsed_s)", total["elapsed"]),
        ("    model: the stand-in's fixed latency (requests x latency)", total["model_fixed"]),
        ("    stand-in processing (validation, usage, SSE writing; not the agent's)", total["standin"]),
        ("    code: sum of Step.duration_s (IPython run_cell included)", total["code"]),
        ("    overhead: SDK + HTTP + stream parsing + on_text displays (latency_s - server)", total["sdk_total"]),
        ("    overhead: loop, observation, displays, comm (elapsed - latency_s - code)", total["loop_total"]),
    ]
    for label, value in rows:
        print(f"  {label:<86} {ms(value)}   {value / n_steps * 1000:7.2f}/step")
    times: dict[str, float] = {}
    for r in results:
        for key, value in r["observers"].items():
            times[key] = times.get(key, 0.0) + value
    if times:
        print("  observer events (inside the overhead above; 'text' events run inside latency_s):")
        for key, value in sorted(times.items(), key=lambda kv: -kv[1]):
            print(f"    {key:<84} {ms(value)}   {value / n_steps * 1000:7.2f}/step")
    over = total["elapsed"] - total["server"] - total["code"]
    print(f"  => overhead inside the run (elapsed - server - code): {over * 1000:.1f} ms, "
          f"{over / n_steps * 1000:.2f} ms per step (includes the final answer turn)")
    return median


def run_kernel(server: StandIn, steps: int, reps: int, latency: float,
               sides_: list[Side], frontend: bool = False) -> tuple[dict[str, list[dict]], list[str]]:
    """The rich path: one real ipykernel per side, their measured runs alternated; one analysis per run, by side.
    ``frontend``: a frontend comm is open, as with the JupyterLab extension (the compact cell, a progress widget)."""
    from kernel_harness import Kernel

    results: dict[str, list[dict]] = {side.name: [] for side in sides_}
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        kernels = {}
        for side in sides_:
            kernel = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": API_KEY,
                             "ANTHROPIC_AUTH_TOKEN": None, "PYTHONPATH": side.pythonpath()}, cwd=tmp)
            stack.callback(kernel.shutdown)
            loaded = kernel.execute("%load_ext codeact_magic\n" + side.check_code() + INSTRUMENT)
            if loaded.status != "ok":
                return results, [f"{side.name}: %load_ext codeact_magic failed: {loaded.text}"]
            if frontend:
                kernel.open_frontend()
            kernels[side.name] = kernel
        for rep in range(reps + 1):  # the first run warms up imports and the connection; not counted
            for side in sides_:
                kernel, n = kernels[side.name], WARMUP_STEPS if rep == 0 else steps
                server.enqueue(*script(n))
                kernel.execute("_codeact_bench_times.clear()")
                del _TIMINGS[:]
                start = time.perf_counter()
                executed = kernel.execute(f"%%codeact --max-steps {n + 5}\nSet x to each number below {n}.",
                                          timeout=120)
                wall = time.perf_counter() - start
                timings = list(_TIMINGS)
                if executed.status != "ok":
                    return results, [f"{side.name}: the %%codeact cell failed: {executed.text[-2000:]}"]
                path = Path(tmp) / f"run-{len(results[side.name])}-{rep}-{sides_.index(side)}.ipynb"
                exported = kernel.execute(f"%codeact export {path}")
                if exported.status != "ok":
                    return results, [f"{side.name}: %codeact export failed: {exported.text}"]
                record = json.loads(path.read_text("utf-8"))["metadata"]["codeact"]["run"]
                observers = kernel.value("dict(_codeact_bench_times)")
                if rep:
                    result = analyse(record, timings, wall, n, latency, observers)
                    problems += [f"{side.name}: {p}" for p in result["problems"]]
                    results[side.name].append(result)
    return results, problems


def run_text(server: StandIn, steps: int, reps: int, latency: float,
             sides_: list[Side]) -> tuple[dict[str, list[dict]], list[str]]:
    """The text path: an ``InteractiveShell`` in a child process, one child per side and measured run (after a
    warm-up run of its own), the sides alternated; one analysis per run, by side."""
    results: dict[str, list[dict]] = {side.name: [] for side in sides_}
    problems: list[str] = []
    counts = [WARMUP_STEPS, steps]
    for _ in range(reps):
        for side in sides_:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "runs.json"
                env = {**os.environ, "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": API_KEY,
                       "IPYTHONDIR": str(Path(tmp) / "ipython"), "PYTHONPATH": side.pythonpath()}
                env.pop("ANTHROPIC_AUTH_TOKEN", None)
                for n in counts:
                    server.enqueue(*script(n))
                del _TIMINGS[:]
                with open(Path(tmp) / "stdout.txt", "w") as log:
                    child = subprocess.run([sys.executable, __file__, "--text-child", str(out), "--counts",
                                            ",".join(map(str, counts)), "--package-dir", str(side.path)],
                                           env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, timeout=300)
                if child.returncode:
                    return results, [f"{side.name}: the text child failed ({child.returncode}): "
                                     f"{(Path(tmp) / 'stdout.txt').read_text()[-2000:]}"]
                runs = json.loads(out.read_text("utf-8"))
            timings = list(_TIMINGS)
            (record, wall, observers) = runs[-1]  # runs[0] is the child's warm-up run
            result = analyse(record, timings[counts[0] + 1:], wall, steps, latency, observers)
            problems += [f"{side.name}: {p}" for p in result["problems"]]
            results[side.name].append(result)
    return results, problems


def text_child(out: str, counts: list[int], package_dir: str) -> int:
    """Child process of the text path: run the runs in a plain ``InteractiveShell``, display to /dev/null."""
    sys.path.insert(0, package_dir)  # the side's codeact_magic, before any other on the path
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    shell.run_line_magic("load_ext", "codeact_magic")
    shell.run_line_magic("config", "CodeActMagics.display = 'text'")
    checked = shell.run_cell(Side("", Path(package_dir)).check_code() + INSTRUMENT)
    if not checked.success:
        print("setup failed:", checked.error_in_exec or checked.error_before_exec)
        return 1
    magics = shell.magics_manager.registry["CodeActMagics"]
    times = shell.user_ns["_codeact_bench_times"]
    runs = []
    saved = sys.stdout
    with open(os.devnull, "w") as null:
        for n in counts:
            sys.stdout = null
            times.clear()
            try:
                start = time.perf_counter()
                result = shell.run_cell(f"%%codeact --max-steps {n + 5}\nSet x to each number below {n}.")
                wall = time.perf_counter() - start
            finally:
                sys.stdout = saved
            if not result.success:
                print("run failed:", result.error_in_exec or result.error_before_exec)
                return 1
            runs.append((magics.runs[-1].to_json(), wall, dict(times)))
    Path(out).write_text(json.dumps(runs), "utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="code steps per run (default 30)")
    parser.add_argument("--reps", type=int, default=3, help="measured runs per path and side, after a warm-up run")
    parser.add_argument("--latency", type=float, default=0.05, help="the stand-in's latency per request, seconds")
    parser.add_argument("--no-text", action="store_true", help="skip the plain-text (InteractiveShell) path")
    parser.add_argument("--frontend", action="store_true",
                        help="open a frontend comm in the kernel, as the JupyterLab extension does (rich path: the "
                        "compact %%%%codeact cell and its progress widget)")
    parser.add_argument("--nagle", action="store_true",
                        help="leave Nagle's algorithm on in the stand-in, as tests/standin.py does (adds ~40 ms per "
                        "streamed answer)")
    add_argument(parser)
    parser.add_argument("--text-child", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--counts", help=argparse.SUPPRESS)
    parser.add_argument("--package-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.text_child:
        return text_child(args.text_child, [int(c) for c in args.counts.split(",")], args.package_dir)

    with sides(args.baseline) as sides_:
        names = [side.name for side in sides_]
        print(f"codeact-magic per-step overhead: {args.steps} steps of `x = i` + an answer, {args.reps} runs per path "
              f"and side after a warm-up run, stand-in latency {args.latency * 1000:.0f} ms, {os.cpu_count()} CPUs; "
              f"sides: {', '.join(names)}")
        print("model time = the stand-in's fixed latency; the stand-in's own processing is excluded from overhead "
              "and shown apart;\ncode time = Step.duration_s; overhead = everything else (SDK and HTTP client side "
              "included).")
        failures: list[str] = []
        figures: dict[str, dict[str, tuple[float, float]]] = {}  # path -> side -> (median, p90) in ms
        with StandIn(latency=args.latency) as server:
            _TimedHandler.disable_nagle_algorithm = not args.nagle
            server._server.RequestHandlerClass = _TimedHandler
            rich = functools.partial(run_kernel, frontend=args.frontend)
            paths = [("rich", "rich display, real ipykernel via jupyter_client"
                      + (", a frontend comm open (compact cell)" if args.frontend else ""), rich)]
            if not args.no_text:
                paths.append(("text", "text display, InteractiveShell (child process)", run_text))
            for key, name, runner in paths:
                started = time.perf_counter()
                results, problems = runner(server, args.steps, args.reps, args.latency, sides_)
                failures += problems
                for side in sides_:
                    if results[side.name]:
                        median = report(f"{name} [{side.name}]", results[side.name], args.latency)
                        p90 = percentile([o for r in results[side.name] for o in r["overhead"]], 0.9) * 1000
                        figures.setdefault(key, {})[side.name] = (median, p90)
                    else:
                        failures.append(f"{name} [{side.name}]: no result")
                print(f"  (the {key} path took {time.perf_counter() - started:.1f} s, kernel start-up included)")
        rows = []
        for key, by_side in figures.items():
            rows.append((f"{key}: median overhead per step (ms)", [by_side.get(n, (None, None))[0] for n in names]))
            rows.append((f"{key}: p90 overhead per step (ms)", [by_side.get(n, (None, None))[1] for n in names]))
        if rows:
            compare("per-step overhead, " + " vs ".join(names) + " (same invocation, runs alternated)", names, rows,
                    "{:.2f}")
        print()
        for key, by_side in figures.items():
            if names[0] not in by_side:
                continue
            median, target = by_side[names[0]][0], TARGET_MEDIAN_MS[key]
            verdict = "ok" if median <= target else "MISSED"
            print(f"target median overhead <= {target:.0f} ms per step, {key} path, {names[0]}: {median:.2f} ms  "
                  f"{verdict}")
            if median > target:
                failures.append(f"{key} path: median overhead {median:.2f} ms > {target:.0f} ms")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
