"""Frontend time to insert the cells of a 50-step ``%%codeact`` run into a notebook open in JupyterLab, now and at a
baseline commit, side by side in one session.

Run ``python benchmarks/bench_ui_insert.py [--steps 50] [--reps 3] [--notebook-cells 40] [--baseline REF]``.

A real ``jupyter lab`` (127.0.0.1, a token, a temporary root dir) in Debian's Chromium driven by Playwright, a real
kernel, the real magic and the local stand-in of the Messages API (``tests/standin.py``, no latency) answering
``--steps`` turns of reasoning + code (``sq_i = i * i; print(sq_i)``) and a final answer: ``2 * steps + 1`` cells
reach the frontend, one ``cell`` comm message each, while the user's notebook already holds ``--notebook-cells``
cells of its own below the ``%%codeact`` cell.

What is measured: the extension wraps its handling of every ``cell`` message in a ``performance.measure`` named
``codeact:insert`` (``labextension/src/model.ts``): from the message handed over by the kernel connection's iopub
signal to the notebook model changed, which includes checking the message, the key and ordering scan of the
notebook, the removal of an earlier run's cells, the shared-model transaction and everything JupyterLab does
synchronously on that change in every view (creating the cell widget and its output area, windowing bookkeeping,
trust, the cell marker). Not included: the kernel, the websocket and message deserialization (the same for any
message), and the rendering JupyterLab defers to idle time for cells out of view. The script reads those entries
from the page after the run, and prints their sum (the figure), mean, p90 and max per cell; it also prints the
page's main-thread task time during the whole run (Chrome's ``Performance.getMetrics`` ``TaskDuration``), which
covers everything the page did, including the ``%%codeact`` cell's own live output, for scale.

The baseline (``--baseline REF``, default ``37eff7d``, the commit before issue 12: before the generated protocol and
the quiet active cell; ``--baseline none`` measures the installed extension only): its ``labextension/`` is extracted with
``git archive`` into a temporary directory and built there in the mode of the installed build (``npm run build`` for
a development build, ``build:prod`` otherwise), with this checkout's ``node_modules`` linked in when the two lock files
are identical, and ``npm ci --prefer-offline`` otherwise. The built extension is kept under
``benchmarks/results/ui-insert-baseline/`` (keyed by commit and mode) for the next invocation. A second ``jupyter
lab`` serves it (``JUPYTER_PATH`` puts it before the installed one; the script checks that the page loaded it); the
kernel side is this checkout's for both, so only the frontend differs. The two pages run in turn (ABBA order), each
a warm-up first (code loading, first widget creation), then ``--reps`` runs of a fresh notebook each; the figures
are the medians, printed with their ratio.

Exits 1 if the installed extension's total is above 200 ms, or if one of its runs did not insert ``2 * steps + 1``
cells in order.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "ui")]
from lab import CHROMIUM, CHROMIUM_ARGS, LabServer, NotebookPage, make_notebook, missing_requirements  # noqa: E402
from standin import StandIn  # noqa: E402

TARGET_MS = 200.0
BASELINE = "37eff7d"
EXTENSION = "codeact-magic"
INSTALLED = ROOT / "codeact_magic" / "labextension"
BASELINE_CACHE = ROOT / "benchmarks" / "results" / "ui-insert-baseline"
API_KEY = "sk-ant-bench-0000"
SETUP = "%load_ext codeact_magic"


def script(steps: int) -> dict:
    turns = [{"text": f"Step {i}: the next square.", "code": f"sq_{i} = {i} * {i}\nprint(sq_{i})"}
             for i in range(1, steps + 1)]
    return {"match": "squares benchmark", "turns": turns + [{"text": f"Done: {steps} squares."}]}


def one_run(page, lab: LabServer, name: str, steps: int, user_cells: int) -> dict:
    cells = [("setup", "code", SETUP), ("task", "code", f"%%codeact --max-steps {steps + 1}\nThe squares benchmark.")]
    cells += [(f"user-{i}", "code" if i % 2 else "markdown", f"# the user's cell {i}") for i in range(user_cells)]
    make_notebook(lab.root / name, cells)
    nb = NotebookPage(page, lab, name).open()
    nb.run_cell(0)
    nb.wait_idle()
    page.evaluate("() => performance.clearMeasures('codeact:insert')")
    client = page.context.new_cdp_session(page)
    client.send("Performance.enable")
    before = {m["name"]: m["value"] for m in client.send("Performance.getMetrics")["metrics"]}
    started = time.monotonic()
    nb.run_cell(1)
    try:
        page.wait_for_function("() => document.querySelector(\".jp-codeact-Cell[data-codeact-role='answer']\")",
                               timeout=int(os.environ.get("BENCH_TIMEOUT_MS", "300000")))
    except Exception:
        page.screenshot(path=str(ROOT / "tests" / "ui" / "artifacts" / "bench-failed.png"))
        raise
    nb.wait_idle(300_000)
    wall = time.monotonic() - started
    after = {m["name"]: m["value"] for m in client.send("Performance.getMetrics")["metrics"]}
    client.detach()
    entries = page.evaluate(
        "() => performance.getEntriesByName('codeact:insert').map(e => ({ms: e.duration, plan: e.detail.plan}))")
    shown = nb.cells()
    order = [c["label"] for c in shown if c["codeact"]]
    expected = [x for i in range(1, steps + 1) for x in ("reasoning", f"step {i}")] + ["answer"]
    durations = sorted(e["ms"] for e in entries if e["plan"] == "insert")
    return {
        "ok": order == expected and len(durations) == 2 * steps + 1,
        "cells": len(durations),
        "total_ms": sum(durations),
        "mean_ms": statistics.fmean(durations) if durations else float("nan"),
        "p90_ms": durations[int(0.9 * (len(durations) - 1))] if durations else float("nan"),
        "max_ms": durations[-1] if durations else float("nan"),
        "task_ms": 1000 * (after["TaskDuration"] - before["TaskDuration"]),
        "wall_s": wall,
        "order": order[:4],
    }


@dataclass
class Side:
    """One extension under measurement: its label, the ``jupyter lab`` environment that serves it, what it loads."""

    label: str
    env: dict
    expected_load: str | None = None
    results: list = field(default_factory=list)
    lab: LabServer | None = None
    page: object = None


def build_mode() -> str:
    """``development`` or ``production``: how the installed extension was built (its ``build_log.json``)."""
    try:
        log = json.loads((INSTALLED / "build_log.json").read_text())
        return log[0].get("mode", "production")
    except (OSError, ValueError, IndexError, KeyError):
        return "production"


def _run(cmd: list[str], cwd: Path) -> None:
    """Run ``cmd`` in ``cwd``; ``npm`` is the Node toolchain the build uses (``labextension/npm_ci.py``)."""
    from node import build_module

    with build_module().node_toolchain() as (npm, env):
        if cmd[0] == "npm":
            cmd = [*npm, *cmd[1:]]
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def build_baseline(ref: str, mode: str) -> tuple[str, Path]:
    """Build the extension of commit ``ref`` (cached); returns the commit's short hash and a ``JUPYTER_PATH`` entry
    whose ``labextensions/codeact-magic`` is that build.

    Raises
    ------
    RuntimeError
        If ``ref`` is not a commit, or ``npm ci`` or the build fails.
    """
    found = subprocess.run(["git", "rev-parse", "--verify", "--short=12", f"{ref}^{{commit}}"], cwd=ROOT,
                           capture_output=True, text=True)
    if found.returncode != 0:
        raise RuntimeError(f"--baseline {ref}: not a commit of this repository")
    sha = found.stdout.strip()
    share = BASELINE_CACHE / f"{sha}-{mode}" / "share" / "jupyter"
    target = share / "labextensions" / EXTENSION
    if (target / "package.json").exists():
        return sha, share
    paths = [p for p in ("labextension", "codeact_magic/schema")
             if subprocess.run(["git", "cat-file", "-e", f"{sha}:{p}"], cwd=ROOT, capture_output=True).returncode == 0]
    archive = subprocess.run(["git", "archive", "--format=tar", sha, *paths], cwd=ROOT, capture_output=True,
                             check=True).stdout
    print(f"building the baseline extension of {sha} ({mode}) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="codeact-baseline-") as tmp:
        tree = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        source = tree / "labextension"
        ours = ROOT / "labextension"
        if (ours / "node_modules").is_dir() and (source / "package-lock.json").read_bytes() == (
                ours / "package-lock.json").read_bytes():
            (source / "node_modules").symlink_to(ours / "node_modules", target_is_directory=True)
        else:
            _run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], source)
        _run(["npm", "run", "build" if mode == "development" else "build:prod"], source)
        built = tree / "codeact_magic" / "labextension"
        if not (built / "package.json").exists():
            raise RuntimeError(f"the build of {sha} wrote no {built / 'package.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(built, target)
    return sha, share


def built_load(extension_dir: Path) -> str | None:
    """The remote entry a built extension's ``package.json`` names (``static/remoteEntry.<hash>.js``)."""
    try:
        return json.loads((extension_dir / "package.json").read_text())["jupyterlab"]["_build"]["load"]
    except (OSError, ValueError, KeyError):
        return None


def loaded(page) -> str | None:
    """The remote entry of codeact-magic the page's JupyterLab loaded (from its page config)."""
    return page.evaluate("""(name) => {
      const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
      const ext = (config.federated_extensions || []).find(e => e.name === name);
      return ext ? ext.load : null;
    }""", EXTENSION)


def report(label: str, side: str, result: dict) -> None:
    print(f"{label:8s} {side:12s} {result['cells']} cells inserted: total {result['total_ms']:7.1f} ms, "
          f"mean {result['mean_ms']:.2f} ms, p90 {result['p90_ms']:.2f} ms, max {result['max_ms']:.1f} ms"
          f" | page main thread during the run {result['task_ms']:.0f} ms, wall {result['wall_s']:.1f} s"
          f"{'' if result['ok'] else '  (WRONG CELLS: ' + str(result['order']) + ')'}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="code steps in the run (default 50)")
    parser.add_argument("--reps", type=int, default=3, help="measured runs after the warm-up (default 3)")
    parser.add_argument("--notebook-cells", type=int, default=40, help="the user's own cells below the run")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"the commit to compare with (default {BASELINE}); 'none' for no comparison")
    args = parser.parse_args(argv)
    why = missing_requirements()
    if why:
        print(f"cannot run: {why}")
        return 1
    from playwright.sync_api import sync_playwright

    env = {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_AUTH_TOKEN": None}
    mode = build_mode()
    now = Side("now", dict(env), built_load(INSTALLED))
    sides = [now]
    if args.baseline.lower() != "none":
        sha, share = build_baseline(args.baseline, mode)
        jupyter_path = os.pathsep.join([str(share), *filter(None, [os.environ.get("JUPYTER_PATH")])])
        sides.append(Side(sha, {**env, "JUPYTER_PATH": jupyter_path},
                          built_load(share / "labextensions" / EXTENSION)))
    with StandIn(scripts=[script(args.steps)]) as api, tempfile.TemporaryDirectory() as tmp:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for side in sides:
                    side.env["ANTHROPIC_BASE_URL"] = api.url
                    side.lab = LabServer(Path(tmp) / side.label, side.env)
                    side.page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                for rep in range(args.reps + 1):
                    for side in sides if rep % 2 == 0 else sides[::-1]:
                        side.page.bring_to_front()
                        result = one_run(side.page, side.lab, f"bench-{rep}.ipynb", args.steps, args.notebook_cells)
                        if rep == 0:
                            load = loaded(side.page)
                            print(f"{side.label}: {mode} build, the page loaded {load}", flush=True)
                            if side is not now and load != side.expected_load:
                                raise RuntimeError(f"the baseline page loaded {load}, not the baseline build "
                                                   f"{side.expected_load}")
                        report("warm-up" if rep == 0 else f"run {rep}", side.label, result)
                        if rep:
                            side.results.append(result)
            finally:
                browser.close()
                for side in sides:
                    if side.lab:
                        side.lab.close()
    totals = {side.label: statistics.median(r["total_ms"] for r in side.results) for side in sides}
    ok = all(r["ok"] for r in now.results)
    total = totals["now"]
    print(f"\nInserting the {2 * args.steps + 1} cells of a {args.steps}-step run took {total:.0f} ms of frontend "
          f"time in total (median of {args.reps} runs; target <= {TARGET_MS:.0f} ms): "
          f"{'OK' if total <= TARGET_MS and ok else 'MISSED'}")
    for side in sides[1:]:
        base = totals[side.label]
        print(f"The baseline {args.baseline} ({side.label}) took {base:.0f} ms in the same session: now / baseline = "
              f"{total / base:.2f} ({base / total:.1f}x faster)"
              f"{'' if all(r['ok'] for r in side.results) else ' (the baseline inserted wrong cells)'}")
    return 0 if total <= TARGET_MS and ok else 1


if __name__ == "__main__":
    sys.exit(main())
