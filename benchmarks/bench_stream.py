"""How soon the streamed reasoning shows: from the stand-in writing a text delta to its display update on iopub.

Run ``python benchmarks/bench_stream.py [--deltas 2000] [--interval 0.01] [--reps 1] [--baseline REF]``.

One ``%%codeact`` run in a real ipykernel started through ``jupyter_client`` (the rich display), answered by
``tests/standin.py`` over real HTTP through the real ``anthropic`` SDK with one turn of ``--deltas`` text deltas, one
every ``--interval`` seconds. Delta k is the token ``tNNNN`` and a space, so each token is unique and each delta is
one token. The stand-in runs in this process and notes when it writes each delta (``time.perf_counter``); this
process reads every iopub message of the cell and notes when it has it (the same clock). Delta k's latency is the
time from its write to the arrival of the first ``display_data`` or ``update_display_data`` whose ``text/markdown``
holds token k. So the figure holds the whole way: the loopback socket, the SDK's reading and parsing of the stream,
the run loop, the display's throttle (and its trailing update, when it has one), IPython's and ipykernel's publishing,
the kernel's IOPub thread, ZMQ delivery to this process and ``jupyter_client``'s reading of the message here.

Also printed: the text updates the cell got and their rate during the stream, and the kernel's CPU time during the
cell (``time.process_time`` in the kernel, all its threads) per second of stream: the cost of the updates. The same
measurement runs, in the same invocation, on ``--baseline REF``'s ``codeact_magic`` (default ``37eff7d``, the commit
before issue 12; see ``benchmarks/_baseline.py``), in a kernel of its own, the runs of the two sides alternated.

Exits 1 when this tree's median latency is over 50 ms, or a run did not end as expected (or lost a token).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "kernel")]
import standin as standin_module  # noqa: E402
from _baseline import add_argument, compare, sides  # noqa: E402
from standin import StandIn, turn  # noqa: E402

#: Most median latency (ms) from a delta's write to its display update, this tree.
TARGET_MEDIAN_MS = 50.0
API_KEY = "sk-ant-bench-0000"
WARMUP_DELTAS = 20
_TOKEN = re.compile(r"t(\d{4,})")


class _PacedHandler(standin_module._Handler):
    """The stand-in's handler, writing one text delta every ``interval`` seconds and noting when it wrote each
    (``writes[k]`` for token k, ``time.perf_counter`` seconds). Nagle's algorithm is off, as the real API's deltas
    do not wait for the client's delayed ACK."""

    disable_nagle_algorithm = True
    interval = 0.01
    writes: dict[int, float] = {}
    lock = threading.Lock()

    def _before_write(self, event):  # noqa: ANN001 - the stand-in's own hook
        delta = event.get("delta") or {}
        token = _TOKEN.match(delta.get("text") or "") if delta.get("type") == "text_delta" else None
        if token is None:
            return
        if self.due is None:
            self.due = time.perf_counter()
        self.due += self.interval  # an absolute schedule, so a late write does not shift the rest
        pause = self.due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        with self.lock:
            self.writes[int(token.group(1))] = time.perf_counter()

    def _sse(self, events, request_id, hang_up=False):  # noqa: ANN001 - the stand-in's own signature
        self.due = None
        super()._sse(events, request_id, hang_up)


def text_of(n: int) -> str:
    """The turn's text: ``n`` tokens ``t0000 `` ... (equal lengths, so the stand-in's ``chunks=n`` split gives one
    token per delta)."""
    width = max(4, len(str(n - 1)))
    return "".join(f"t{k:0{width}d} " for k in range(n))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(kernel, server: StandIn, n: int) -> dict:
    """One run of an ``n``-delta answer; the latency of each delta (s), the text updates and the kernel's CPU time."""
    _PacedHandler.writes = {}
    server.enqueue(turn(text_of(n), chunks=n))
    arrivals: list[tuple[float, dict]] = []  # (arrival, message) of each display message with Markdown

    def on_message(message: dict) -> None:
        now = time.perf_counter()
        if message["msg_type"] in ("display_data", "update_display_data"):
            markdown = (message["content"].get("data") or {}).get("text/markdown")
            if isinstance(markdown, str) and markdown.startswith("t0"):
                arrivals.append((now, message))

    cpu_before = kernel.value("__import__('time').process_time()")
    start = time.perf_counter()
    executed = kernel.execute("%%codeact --max-steps 1\nSay the tokens.", timeout=n * _PacedHandler.interval + 120,
                              on_message=on_message)
    wall = time.perf_counter() - start
    cpu = kernel.value("__import__('time').process_time()") - cpu_before
    problems = [] if executed.status == "ok" else [f"the %%codeact cell failed: {executed.text[-2000:]}"]
    writes = dict(_PacedHandler.writes)
    shown_at: dict[int, float] = {}
    highest = -1
    for now, message in arrivals:
        tokens = _TOKEN.findall(message["content"]["data"]["text/markdown"][-16:])
        last = int(tokens[-1]) if tokens else -1
        for k in range(highest + 1, last + 1):
            shown_at[k] = now
        highest = max(highest, last)
    missing = [k for k in range(n) if k not in shown_at or k not in writes]
    if missing:
        problems.append(f"{len(missing)} of {n} tokens never shown (or never written), the first {missing[:5]}")
    latency = [shown_at[k] - writes[k] for k in range(n) if k in shown_at and k in writes]
    stream_s = (max(writes.values()) - min(writes.values())) if len(writes) > 1 else 0.0
    during = [now for now, _ in arrivals if writes and now <= max(writes.values())]
    return {"latency": latency, "updates": len(arrivals), "rate": len(during) / stream_s if stream_s else 0.0,
            "stream_s": stream_s, "wall_s": wall, "cpu_s": cpu, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=2000, help="text deltas in the measured turn (default 2000)")
    parser.add_argument("--interval", type=float, default=0.01,
                        help="seconds between two deltas written by the stand-in (default 0.01)")
    parser.add_argument("--reps", type=int, default=1, help="measured runs per side, after a warm-up run")
    add_argument(parser)
    args = parser.parse_args(argv)
    from kernel_harness import Kernel

    _PacedHandler.interval = args.interval
    failures: list[str] = []
    results: dict[str, list[dict]] = {}
    with sides(args.baseline) as sides_, StandIn() as server, tempfile.TemporaryDirectory() as tmp, \
            contextlib.ExitStack() as stack:
        server._server.RequestHandlerClass = _PacedHandler
        names = [side.name for side in sides_]
        print(f"codeact-magic streamed text: a turn of {args.deltas} text deltas, one every "
              f"{args.interval * 1000:g} ms, {args.reps} run(s) per side after a {WARMUP_DELTAS}-delta warm-up, rich "
              f"display in a real ipykernel, {os.cpu_count()} CPUs; sides: {', '.join(names)}")
        print("latency = from the stand-in's write of a delta to this process's arrival of the first display message "
              "holding it\n(ZMQ delivery to this process and jupyter_client's reading included)")
        kernels = {}
        for side in sides_:
            kernel = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": API_KEY,
                             "ANTHROPIC_AUTH_TOKEN": None, "PYTHONPATH": side.pythonpath()}, cwd=tmp)
            stack.callback(kernel.shutdown)
            loaded = kernel.execute("%load_ext codeact_magic\n" + side.check_code())
            if loaded.status != "ok":
                print(f"FAIL: {side.name}: %load_ext codeact_magic failed: {loaded.text}")
                return 1
            kernels[side.name] = kernel
            results[side.name] = []
        for rep in range(args.reps + 1):  # the first run warms up imports and the connection; not counted
            for side in sides_:
                result = measure(kernels[side.name], server, WARMUP_DELTAS if rep == 0 else args.deltas)
                failures += [f"{side.name}: {p}" for p in result["problems"]]
                if rep:
                    results[side.name].append(result)
    figures: dict[str, dict[str, float]] = {}
    for name in names:
        runs = results[name]
        latency = [x * 1000 for r in runs for x in r["latency"]]
        if not latency:
            failures.append(f"{name}: no latency measured")
            continue
        stream_s = sum(r["stream_s"] for r in runs)
        figures[name] = {
            "median": statistics.median(latency), "p90": percentile(latency, 0.9), "max": max(latency),
            "updates": statistics.mean(r["updates"] for r in runs), "rate": statistics.mean(r["rate"] for r in runs),
            "cpu": 100 * sum(r["cpu_s"] for r in runs) / stream_s if stream_s else 0.0,
            "tail": statistics.mean((r["wall_s"] - r["stream_s"]) * 1000 for r in runs),
        }
    if figures:
        rows = [("latency median (ms)", "median"), ("latency p90 (ms)", "p90"), ("latency max (ms)", "max"),
                ("text display messages per run", "updates"), ("of them per second of stream", "rate"),
                ("kernel CPU during the cell, % of the stream's time", "cpu"),
                ("cell wall time beyond the stream (ms)", "tail")]
        compare(f"streamed text, {args.deltas} deltas every {args.interval * 1000:g} ms: " + " vs ".join(names),
                names, [(label, [figures.get(n, {}).get(key) for n in names]) for label, key in rows])
    print()
    if names[0] in figures:
        median = figures[names[0]]["median"]
        verdict = "ok" if median <= TARGET_MEDIAN_MS else "MISSED"
        print(f"target median latency <= {TARGET_MEDIAN_MS:.0f} ms, {names[0]}: {median:.1f} ms  {verdict}")
        if median > TARGET_MEDIAN_MS:
            failures.append(f"median latency {median:.1f} ms > {TARGET_MEDIAN_MS:.0f} ms")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
