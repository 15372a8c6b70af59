"""Heavy output in a ``%%codeact`` step against the same code as a plain cell, in a real kernel.

Run ``python benchmarks/bench_output.py [--reps 2] [--lines 200000] [--updates 10000] [--frames 10000] [--only CASE]``.

Three cases, each run as a plain cell and as the only step of a ``%%codeact`` run served by ``tests/standin.py``
(no latency), in one ipykernel started through ``jupyter_client`` (``tests/kernel/kernel_harness.py``), whose every
iopub message this process reads as a frontend would:

- ``print``: ``--lines`` printed lines of about 30 characters (200,000 lines are about 6 MB);
- ``display``: one ``display(..., display_id=True)`` handle updated ``--updates`` times;
- ``progress``: a tqdm bar redrawn ``--frames`` times (``mininterval=0``), or, when tqdm is not installed, the same
  number of ``\\r`` frames written and flushed to stderr by hand.

Figures, each the median of ``--reps`` runs after one warm-up of each:

- plain: wall time of the plain cell, execute_request sent to idle;
- step: the step's ``Step.duration_s`` from the run record (``shell.run_cell`` inside the executor: the code, the
  live output and its capture);
- cell extra: wall time of the ``%%codeact`` cell minus that of the same run with a ``pass`` step, i.e. what the
  case adds to the run, the step plus everything done with its outputs (observation, record, displays, frontend
  messages).

Exits 1 when a step takes more than 1.5 times its plain cell, or a run did not end as expected.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "kernel")]
from kernel_harness import Kernel  # noqa: E402
from standin import StandIn, turn  # noqa: E402

TARGET_RATIO = 1.5
API_KEY = "sk-ant-bench-0000"


def cases(lines: int, updates: int, frames: int) -> list[tuple[str, str]]:
    """(name, code) of each case."""
    if importlib.util.find_spec("tqdm") is not None:
        progress = ("progress", "from tqdm import tqdm\n"
                    f"for _ in tqdm(range({frames}), mininterval=0, miniters=1):\n    pass")
    else:
        progress = ("progress (no tqdm: \\r by hand)", "import sys\n"
                    f"for i in range({frames}):\n"
                    f"    sys.stderr.write(f'\\r{{i:6d}}/{frames} |' + '#' * (i * 20 // {frames}))\n"
                    "    sys.stderr.flush()\nsys.stderr.write('\\n')")
    return [
        ("print", f"for i in range({lines}):\n    print(f'line {{i:7d}} ' + 'x' * 17)"),
        ("display", "from IPython.display import display\nhandle = display('start', display_id=True)\n"
                    f"for i in range({updates}):\n    handle.update(f'value {{i}}')"),
        progress,
    ]


def plain(kernel: Kernel, code: str) -> float:
    start = time.perf_counter()
    result = kernel.execute(code, timeout=600)
    wall = time.perf_counter() - start
    if result.status != "ok":
        raise RuntimeError(f"the plain cell failed: {result.text[-1000:]}")
    return wall


def step(kernel: Kernel, server: StandIn, code: str, path: Path) -> tuple[float, float]:
    """(cell wall time, Step.duration_s) of a one-step run of ``code``."""
    server.reset()
    server.enqueue(turn("Run it.", code), turn("Done."))
    start = time.perf_counter()
    result = kernel.execute("%%codeact\nRun the code", timeout=900)
    wall = time.perf_counter() - start
    if result.status != "ok":
        raise RuntimeError(f"the %%codeact cell failed: {result.text[-1000:]}")
    exported = kernel.execute(f"%codeact export {path} --force")
    if exported.status != "ok":
        raise RuntimeError(f"%codeact export failed: {exported.text}")
    run = json.loads(path.read_text("utf-8"))["metadata"]["codeact"]["run"]
    if run["status"] != "done" or len(run["steps"]) != 1 or run["steps"][0]["status"] != "ok":
        raise RuntimeError(f"the run ended {run['status']} with steps {[s['status'] for s in run['steps']]}")
    return wall, run["steps"][0]["duration_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2, help="measured runs of each case and path (default 2)")
    parser.add_argument("--lines", type=int, default=200_000, help="printed lines (default 200,000)")
    parser.add_argument("--updates", type=int, default=10_000, help="display updates (default 10,000)")
    parser.add_argument("--frames", type=int, default=10_000, help="progress bar frames (default 10,000)")
    parser.add_argument("--only", choices=("print", "display", "progress"), help="run one case only")
    args = parser.parse_args(argv)
    failures: list[str] = []
    rows = []
    with StandIn() as server, tempfile.TemporaryDirectory() as tmp:
        kernel = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": API_KEY,
                         "ANTHROPIC_AUTH_TOKEN": None}, cwd=tmp)
        try:
            if kernel.execute("%load_ext codeact_magic").status != "ok":
                print("FAIL: %load_ext codeact_magic failed")
                return 1
            path = Path(tmp) / "run.ipynb"
            baseline = [step(kernel, server, "pass", path)[0] for _ in range(args.reps + 1)][1:]
            base = statistics.median(baseline)
            for name, code in cases(args.lines, args.updates, args.frames):
                if args.only and not name.startswith(args.only):
                    continue
                plain(kernel, code)
                step(kernel, server, code, path)  # warm-up of both paths
                plains, steps, walls = [], [], []
                for _ in range(args.reps):
                    plains.append(plain(kernel, code))
                    wall, duration = step(kernel, server, code, path)
                    walls.append(wall)
                    steps.append(duration)
                rows.append((name, statistics.median(plains), statistics.median(steps),
                             statistics.median(walls) - base))
        except RuntimeError as error:
            failures.append(str(error))
        finally:
            kernel.shutdown()
    print(f"heavy output, step vs plain cell: median of {args.reps} runs, real ipykernel via jupyter_client; "
          f"a %%codeact run with a `pass` step takes {base:.2f} s (subtracted for 'cell extra')")
    print(f"{'case':<34} {'plain s':>8} {'step s':>8} {'ratio':>6}   {'cell extra s':>12} {'ratio':>6}")
    for name, plain_s, step_s, extra_s in rows:
        ratio = step_s / plain_s
        print(f"{name:<34} {plain_s:8.2f} {step_s:8.2f} {ratio:6.2f}   {extra_s:12.2f} {extra_s / plain_s:6.2f}")
        if ratio > TARGET_RATIO:
            failures.append(f"{name}: the step took {ratio:.2f} times the plain cell (target {TARGET_RATIO})")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
