"""Time ``files.scan`` and ``files.diff`` on trees of 1,000, 10,000 and 50,000 files, and print a table.

Run ``python benchmarks/bench_files.py [--sizes 1000,10000,50000] [--runs 7] [--max-files 20000] [--budget 0.5]``.
Each tree is built in a temporary directory: files of 0 to 4 KB, 100 to a directory, in directories two levels deep
(``d007/d03/f042.txt``), with a ``.git`` and a ``__pycache__`` of 500 files each that the default skip set leaves out.
Per tree it prints

- the median and max wall time of a full scan (no limits), in ms, over ``--runs`` runs, and the entries found;
- the median time of a scan with the default limits (``--max-files``, ``--budget``), and whether they cut it short
  (with the reason and the entries recorded);
- the median time of ``diff`` of two full scans after a step that touched 1% of the files (a third created, a third
  rewritten, a third deleted), and the changes found; and the same for the default-limited scans;
- the per-step cost in the agent loop (one default-limited scan plus one diff: the previous step's after-scan is
  this step's before-scan).

The trees are in the page cache (just written), so these are warm-cache figures; a cold cache (the first scan after
a reboot, or a network filesystem) is slower, which is what the time budget is for. Exits 1 when the default limits
cut the 10,000-file tree short, or its per-step cost exceeds :data:`STEP_TARGET_MS`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codeact_magic.files import diff, scan  # noqa: E402

STEP_TARGET_MS = 50.0  # per-step cost (scan + diff) of the 10,000-file tree, default limits
TARGET_SIZE = 10_000
PER_DIR = 100
SKIPPED = 500  # files in each of .git and __pycache__


def build(root: Path, n: int) -> list[Path]:
    """``n`` files under ``root`` (plus the skipped ones); returns the counted files in creation order."""
    files = []
    for i in range(n):
        d = root / f"d{i // (PER_DIR * 10):03d}" / f"d{i // PER_DIR % 10:02d}"
        if i % PER_DIR == 0:
            d.mkdir(parents=True, exist_ok=True)
        f = d / f"f{i % PER_DIR:03d}.txt"
        f.write_bytes(b"x" * (i * 37 % 4096))
        files.append(f)
    for skipped in (".git/objects", "__pycache__"):
        (root / skipped).mkdir(parents=True)
        for i in range(SKIPPED):
            (root / skipped / f"s{i:03d}").write_bytes(b"y")
    return files


def step(root: Path, files: list[Path]) -> None:
    """What a step might do: touch 1% of the files (a third created, a third rewritten, a third deleted)."""
    k = max(len(files) // 300, 1)
    for i in range(k):
        (root / f"out{i:04d}.csv").write_bytes(b"r" * 1000)
        files[(i * 7919) % len(files)].write_bytes(b"changed" * 100)
        victim = files[(i * 104_729 + 1) % len(files)]
        if victim.exists():
            victim.unlink()


def timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="tree sizes in files, comma-separated")
    parser.add_argument("--runs", type=int, default=7, help="measured runs per figure (default 7)")
    parser.add_argument("--max-files", type=int, default=20_000, help="the default file limit (default 20,000)")
    parser.add_argument("--budget", type=float, default=0.5, help="the default time budget in s (default 0.5)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    failures: list[str] = []
    print(f"{args.runs} runs per figure; default limits: {args.max_files:,} files, {args.budget:g} s; warm cache")
    print(f"{'files':>7} {'full ms':>8} {'max':>6} {'entries':>8} | {'limited ms':>10} {'cut short':<26} "
          f"{'entries':>8} | {'diff ms':>7} {'changes':>7} | {'ltd diff':>8} {'changes':>7} | {'step ms':>7}")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench_files_") as tmp:
            root = Path(tmp)
            files = build(root, n)
            scan(root, max_files=10**9, budget_s=1e9)  # warm-up
            full_t, full = timed(lambda: scan(root, max_files=10**9, budget_s=1e9), args.runs)
            ltd_t, ltd = timed(lambda: scan(root, max_files=args.max_files, budget_s=args.budget), args.runs)
            step(root, files)
            full_after = scan(root, max_files=10**9, budget_s=1e9)
            ltd_after = scan(root, max_files=args.max_files, budget_s=args.budget)
            diff_t, touched = timed(lambda: diff(full, full_after), args.runs)
            ldiff_t, ltouched = timed(lambda: diff(ltd, ltd_after), args.runs)
        cut = "no" if ltd.complete else f"yes: {ltd.reason}"
        step_ms = statistics.median(ltd_t) + statistics.median(ldiff_t)
        print(f"{n:>7,} {statistics.median(full_t):>8.1f} {max(full_t):>6.1f} {len(full.entries):>8,} | "
              f"{statistics.median(ltd_t):>10.1f} {cut:<26} {len(ltd.entries):>8,} | "
              f"{statistics.median(diff_t):>7.2f} {len(touched.changes):>7,} | "
              f"{statistics.median(ldiff_t):>8.2f} {len(ltouched.changes):>7,} | {step_ms:>7.1f}")
        if not touched.complete or len(full.entries) != n:
            failures.append(f"{n:,} files: the full scan found {len(full.entries):,} entries")
        if n == TARGET_SIZE:
            if not ltd.complete:
                failures.append(f"{n:,} files: the default limits cut the scan short ({ltd.reason})")
            if step_ms > STEP_TARGET_MS:
                failures.append(f"{n:,} files: per-step cost {step_ms:.1f} ms > {STEP_TARGET_MS:.0f} ms")
        if n == sizes[-1]:
            print(f"\nlast tree's line: {ltouched.line(max_items=3)}")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
