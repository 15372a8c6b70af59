"""A benchmark's figure against an earlier commit's, measured side by side in one invocation.

A benchmark that takes ``--baseline REF`` (default :data:`DEFAULT_REF`, the commit before issue 12) runs the same
measurement on two packages: this tree's ``codeact_magic`` and REF's, unpacked with ``git archive REF codeact_magic``
into a temporary directory. Each child kernel or shell gets its package directory first on ``PYTHONPATH`` (the
labextension's static files are not needed by a kernel), and checks that it imported that one. The benchmark then
prints both figures and their ratio. ``--baseline none`` measures this tree only.

Shared by ``bench_overhead.py`` and ``bench_stream.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["DEFAULT_REF", "ROOT", "Side", "add_argument", "compare", "sides"]

ROOT = Path(__file__).resolve().parents[1]
#: The commit before issue 12 ("the per-step overhead halved").
DEFAULT_REF = "37eff7d"


@dataclasses.dataclass(frozen=True)
class Side:
    """One package under test: a name for the tables and the directory that holds its ``codeact_magic``."""

    name: str
    path: Path

    def pythonpath(self) -> str:
        """``PYTHONPATH`` for a child process: this side's directory first, then what this process was given."""
        rest = os.environ.get("PYTHONPATH", "")
        return os.pathsep.join([str(self.path)] + ([rest] if rest else []))

    def check_code(self) -> str:
        """Python that raises in the child unless ``codeact_magic`` was imported from this side's directory."""
        return (f"import codeact_magic as _c, pathlib as _p\n"
                f"assert _p.Path(_c.__file__).resolve().parent.parent == _p.Path({str(self.path.resolve())!r}), "
                f"'codeact_magic imported from ' + _c.__file__ + ', not from ' + {str(self.path)!r}\n")


def add_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--baseline REF`` to a benchmark's options."""
    parser.add_argument("--baseline", default=DEFAULT_REF, metavar="REF",
                        help=f"git ref measured side by side with this tree, in the same invocation (default "
                        f"{DEFAULT_REF}, the commit before issue 12; 'none': this tree only)")


def _unpack(ref: str, dest: Path) -> str:
    """Unpack REF's ``codeact_magic`` into ``dest``; returns REF's short commit id."""
    def git(*args: str) -> bytes:
        return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True).stdout

    commit = git("rev-parse", "--short", f"{ref}^{{commit}}").decode().strip()
    with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", commit, "codeact_magic"))) as archive:
        archive.extractall(dest, filter="data")
    return commit


@contextlib.contextmanager
def sides(ref: str | None) -> Iterator[list[Side]]:
    """This tree, and REF's package unless ``ref`` is empty or ``none``; the unpacked copy is removed after. When
    git cannot give REF's package (an unknown ref, no git work tree), says so on stderr and gives this tree only."""
    current = Side("this tree", ROOT)
    if not ref or ref.lower() == "none":
        yield [current]
        return
    with tempfile.TemporaryDirectory(prefix="codeact-baseline-") as tmp:
        try:
            commit = _unpack(ref, Path(tmp))
        except (OSError, subprocess.CalledProcessError, tarfile.TarError) as error:
            detail = getattr(error, "stderr", b"") or b""
            print(f"baseline {ref!r} not available ({error}; {detail.decode(errors='replace').strip()}): measuring "
                  "this tree only", file=sys.stderr)
            yield [current]
            return
        yield [current, Side(commit if commit.startswith(ref) or ref.startswith(commit) else f"{ref} ({commit})",
                             Path(tmp))]


def compare(title: str, names: Sequence[str], rows: Sequence[tuple[str, Sequence[float | None]]],
            fmt: str = "{:.1f}") -> None:
    """Print a table of one figure per side and the ratio of the first side to the last (``this / baseline``).

    Parameters
    ----------
    title : str
    names : sequence of str
        The sides, this tree first.
    rows : sequence of (label, values)
        One value per side (``None``: not measured).
    fmt : str
        Format of a value.
    """
    print(f"\n== {title} ==")
    width = max(len(label) for label, _ in rows)
    head = "".join(f"{n:>14}" for n in names) + (f"{'ratio':>10}" if len(names) > 1 else "")
    print(f"  {'':<{width}}{head}")
    for label, values in rows:
        cells = "".join(f"{'-' if v is None else fmt.format(v):>14}" for v in values)
        ratio = ""
        if len(values) > 1 and values[0] is not None and values[-1]:
            ratio = f"{values[0] / values[-1]:>9.2f}x"
        print(f"  {label:<{width}}{cells}{ratio}")
