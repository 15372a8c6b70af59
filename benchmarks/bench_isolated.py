"""The cost of ``--isolated``: the same trivial run in the user's kernel and in a sandbox kernel, per step and once.

Run ``python benchmarks/bench_isolated.py [--steps 20] [--reps 3] [--gateway]``.

One real ipykernel (``tests/kernel/kernel_harness.py``) runs ``%%codeact`` runs of ``--steps`` trivial steps
(``x = i``) and an answer, served by ``tests/standin.py`` with no model latency, over real HTTP through the real
``anthropic`` SDK; the runs of each mode alternate, so they see the same machine. Modes: ``live`` (the user's
kernel), ``isolated`` (a confined local ipykernel: rlimits, a user and network namespace, ipc transport) and, with
``--gateway``, ``gateway`` (a kernel of a ``jupyter kernelgateway`` on 127.0.0.1). Figures, medians over the runs:

- ``step``: a step's ``duration_s`` in the run record (the executor's own measure: for a sandbox, sending the
  execute request, the kernel running it, and its messages back), in ms;
- ``per step``: the cell's wall time over the run's steps, after the fixed cost, in ms; its excess over ``live`` is the
  per-step overhead of the mode;
- ``fixed``: the cell's wall time that does not grow with the steps (starting the sandbox kernel, loading ``--with``
  data, the summary, shutting it down), in s: the wall time of a 1-step run minus one ``per step``.

Exits 1 when the isolated mode's per-step overhead over ``live`` is above :data:`TARGET_OVERHEAD_MS` (the gateway's
is printed, not judged: it is the gateway's network).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "kernel")]
from kernel_harness import Kernel  # noqa: E402
from standin import StandIn, turn  # noqa: E402

#: Most per-step overhead (ms) of --isolated over the live kernel.
TARGET_OVERHEAD_MS = 10.0


def one_run(kernel: Kernel, server: StandIn, line: str, steps: int) -> tuple[float, list[float]]:
    """The cell's wall time (s) and each step's ``duration_s`` (s) of one run of ``steps`` trivial steps."""
    server.reset()
    server.enqueue(*(turn(f"Step {i}.", f"x = {i}") for i in range(steps)), turn("Done."))
    start = time.perf_counter()
    result = kernel.execute(f"%%codeact --max-steps {steps} {line}\nCount.", timeout=600)
    wall = time.perf_counter() - start
    if result.status != "ok":
        raise SystemExit(f"the run failed: {result.text[-2000:]}")
    durations = kernel.value("[s.duration_s for s in get_ipython().magics_manager.registry['CodeActMagics']"
                             ".runs[-1].steps]")
    if len(durations) != steps:
        raise SystemExit(f"expected {steps} steps, got {len(durations)}")
    return wall, durations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--gateway", action="store_true", help="Also measure a kernel on a local kernel gateway.")
    args = parser.parse_args()
    modes = {"live": "", "isolated": "--isolated"}
    gateway = None
    if args.gateway:
        from gateway_server import GatewayServer

        gateway = GatewayServer()
        gateway.start()
        modes["gateway"] = f"--gateway {gateway.url}"
    try:
        with StandIn() as server:
            kernel = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-bench-0000"},
                            cwd=tempfile.mkdtemp(prefix="bench-isolated-"))
            try:
                kernel.execute("%load_ext codeact_magic")
                for line in modes.values():  # warm up: imports, the namespace probe
                    one_run(kernel, server, line, 1)
                walls: dict[str, dict[int, list[float]]] = {m: {1: [], args.steps: []} for m in modes}
                steps: dict[str, list[float]] = {m: [] for m in modes}
                for _ in range(args.reps):
                    for mode, line in modes.items():
                        for n in (1, args.steps):
                            wall, durations = one_run(kernel, server, line, n)
                            walls[mode][n].append(wall)
                            if n == args.steps:
                                steps[mode].extend(durations)
            finally:
                kernel.shutdown()
    finally:
        if gateway is not None:
            gateway.stop()
    print(f"{args.steps}-step runs of `x = i`, {args.reps} reps per mode, medians")
    print(f"{'mode':<9} {'step ms':>8} {'per step ms':>12} {'fixed s':>8} {'overhead ms/step':>17}")
    base = None
    missed = False
    for mode in modes:
        one, many = statistics.median(walls[mode][1]), statistics.median(walls[mode][args.steps])
        per_step = (many - one) / (args.steps - 1)
        fixed = one - per_step
        base = per_step if base is None else base
        over = "" if mode == "live" else f"{(per_step - base) * 1000:+.1f}"
        print(f"{mode:<9} {statistics.median(steps[mode]) * 1000:8.2f} {per_step * 1000:12.1f} {fixed:8.2f} "
              f"{over:>17}")
        if mode == "isolated" and (per_step - base) * 1000 > TARGET_OVERHEAD_MS:
            missed = True
    if missed:
        print(f"MISSED: --isolated adds more than {TARGET_OVERHEAD_MS:g} ms a step")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
