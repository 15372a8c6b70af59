import json
import os

import pytest

from codeact_magic.files import DEFAULT_SKIP, FileChange, FilesTouched, Snapshot, diff, human_size, scan


def write(path, size=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def paths(touched, change=None):
    return [c.path for c in touched.changes if change is None or c.change == change]


def test_created_modified_deleted_with_sizes(tmp_path):
    write(tmp_path / "keep.txt", 5)
    write(tmp_path / "grow.csv", 10)
    write(tmp_path / "old.csv", 3)
    before = scan(tmp_path)
    write(tmp_path / "results.csv", 12_345)
    write(tmp_path / "grow.csv", 3_100_000)
    (tmp_path / "old.csv").unlink()
    touched = diff(before, scan(tmp_path))
    assert [c.to_json() for c in touched.changes] == [
        {"path": "results.csv", "change": "created", "size": 12_345},
        {"path": "grow.csv", "change": "modified", "size": 3_100_000},
        {"path": "old.csv", "change": "deleted", "size": None},
    ]
    assert touched.complete and touched.reason is None
    assert touched.line() == "files: + results.csv 12 KB, ~ grow.csv 3.1 MB, - old.csv"


def test_snapshot_records_sizes_mtimes_and_absolute_root(tmp_path, monkeypatch):
    f = write(tmp_path / "a.bin", 42)
    monkeypatch.chdir(tmp_path)
    snap = scan(".")
    assert snap.root == str(tmp_path)
    assert snap.entries == {"a.bin": (42, os.lstat(f).st_mtime_ns)}
    assert snap.complete and snap.reason is None and snap.elapsed_s >= 0
    assert snap.last == "a.bin"


def test_nested_dirs_in_depth_first_sorted_order(tmp_path):
    for rel in ["b.txt", "a/z.txt", "a/b/c.txt", "a-c", "a/b.txt", "A.txt"]:
        write(tmp_path / rel)
    (tmp_path / "empty").mkdir()
    snap = scan(tmp_path)
    # pre-order over sorted names: a directory's contents where its name sorts, component by component
    assert list(snap.entries) == ["A.txt", "a/b/c.txt", "a/b.txt", "a/z.txt", "a-c", "b.txt"]
    before = scan(tmp_path)
    write(tmp_path / "a/b/new.txt", 7)
    (tmp_path / "a/z.txt").unlink()
    assert [(c.path, c.change, c.size) for c in diff(before, scan(tmp_path)).changes] == [
        ("a/b/new.txt", "created", 7), ("a/z.txt", "deleted", None)]


def test_skip_dirs_are_ignored_at_any_depth(tmp_path):
    for name in [".git/HEAD", ".codeact/journal.jsonl", "pkg/__pycache__/m.pyc", ".ipynb_checkpoints/n.ipynb",
                 "web/node_modules/x.js", ".venv/bin/python", "venv/lib.py", ".mypy_cache/c", ".pytest_cache/d",
                 ".tox/e", "pkg/m.py"]:
        write(tmp_path / name)
    assert list(scan(tmp_path).entries) == ["pkg/m.py"]
    assert {".git", ".codeact", "__pycache__", "node_modules", ".venv", "venv", ".tox"} <= DEFAULT_SKIP
    assert sorted(scan(tmp_path, skip=["pkg"]).entries)[0] == ".codeact/journal.jsonl"


def test_skipped_dir_changes_are_not_reported(tmp_path):
    write(tmp_path / "data.csv")
    before = scan(tmp_path)
    write(tmp_path / ".codeact" / "sandbox" / "step.py", 100)
    write(tmp_path / "__pycache__" / "x.pyc", 100)
    assert diff(before, scan(tmp_path)) == FilesTouched([], True, None)
    assert diff(before, scan(tmp_path)).line() == ""


def test_symlinks_are_entries_and_never_followed(tmp_path):
    write(tmp_path / "real" / "f.txt", 10)
    os.symlink(tmp_path / "real", tmp_path / "loop")  # a symlinked directory: not descended into
    os.symlink(tmp_path, tmp_path / "real" / "up")  # a loop, were links followed
    os.symlink(tmp_path / "real" / "f.txt", tmp_path / "link.txt")
    os.symlink(tmp_path / "missing", tmp_path / "broken")
    snap = scan(tmp_path)
    assert sorted(snap.entries) == ["broken", "link.txt", "loop", "real/f.txt", "real/up"]
    assert snap.entries["link.txt"][0] == os.lstat(tmp_path / "link.txt").st_size  # the link's own size
    assert snap.complete


def test_max_files_cuts_short_with_reason(tmp_path):
    for i in range(10):
        write(tmp_path / f"f{i}.txt")
    snap = scan(tmp_path, max_files=4)
    assert list(snap.entries) == ["f0.txt", "f1.txt", "f2.txt", "f3.txt"]
    assert not snap.complete and snap.reason == "stopped at 4 files" and snap.last == "f3.txt"
    assert scan(tmp_path, max_files=10).complete  # exactly at the limit is not cut
    assert scan(tmp_path, max_files=20_000).complete
    assert scan(tmp_path, max_files=0).reason == "stopped at 0 files"


def test_thousands_separator_in_reason(tmp_path):
    for i in range(1_001):
        write(tmp_path / f"f{i:04d}")
    assert scan(tmp_path, max_files=1_000).reason == "stopped at 1,000 files"
    assert FilesTouched([], False, "stopped at 20,000 files").line() == \
        "files: no changes seen (scan cut short: stopped at 20,000 files)"


def test_honest_created_rule_when_before_was_cut_short(tmp_path):
    for name in ["b.txt", "d.txt", "f.txt", "h.txt"]:
        write(tmp_path / name)
    before = scan(tmp_path, max_files=2)  # saw b.txt, d.txt
    assert before.last == "d.txt"
    write(tmp_path / "a.txt")  # before the cut: the before-scan would have seen it, so it is new
    write(tmp_path / "c.txt")
    write(tmp_path / "e.txt")  # after the cut: may have been there all along
    write(tmp_path / "d.txt", 50)  # in both scans: a modification, reported
    after = scan(tmp_path)
    touched = diff(before, after)
    assert [(c.path, c.change) for c in touched.changes] == [("a.txt", "created"), ("c.txt", "created"),
                                                            ("d.txt", "modified")]
    assert "f.txt" not in paths(touched) and "h.txt" not in paths(touched)
    assert not touched.complete and touched.reason == "stopped at 2 files"
    assert touched.line().endswith("(scan cut short: stopped at 2 files)")
    assert before.covers("c.txt") and not before.covers("e.txt") and after.covers("zzz")


def test_honest_created_rule_compares_components_not_strings(tmp_path):
    write(tmp_path / "a" / "x.txt")
    write(tmp_path / "a" / "y.txt")
    write(tmp_path / "b.txt")
    before = scan(tmp_path, max_files=1)  # saw a/x.txt only
    write(tmp_path / "a-b.txt")  # "a-b.txt" < "a/x.txt" as strings, but walked after the whole of a/
    write(tmp_path / "a" / "w.txt")
    touched = diff(before, scan(tmp_path))
    assert paths(touched) == ["a/w.txt"]
    assert not touched.complete


def test_deleted_only_where_after_scan_looked(tmp_path):
    for name in ["a.txt", "b.txt", "c.txt", "d.txt"]:
        write(tmp_path / name)
    before = scan(tmp_path)
    (tmp_path / "a.txt").unlink()
    after = scan(tmp_path, max_files=1)  # saw b.txt only: c.txt and d.txt are not gone
    touched = diff(before, after)
    assert [(c.path, c.change) for c in touched.changes] == [("a.txt", "deleted")]
    assert not touched.complete


def test_both_cut_short_reasons_joined(tmp_path):
    for name in ["a", "b", "c"]:
        write(tmp_path / name)
    cut = scan(tmp_path, max_files=1)
    timed = scan(tmp_path, budget_s=0)
    assert diff(cut, cut).reason == "stopped at 1 files"
    assert diff(cut, timed).reason == "stopped at 1 files; stopped after 0 s"


def test_budget_zero_cuts_short(tmp_path):
    write(tmp_path / "a.txt")
    write(tmp_path / "sub" / "b.txt")
    snap = scan(tmp_path, budget_s=0)
    assert snap.entries == {} and snap.last is None
    assert not snap.complete and snap.reason == "stopped after 0 s"
    assert not snap.covers("a.txt")
    before = scan(tmp_path)
    write(tmp_path / "c.txt")
    touched = diff(snap, scan(tmp_path))  # nothing covered before: nothing can be called new
    assert touched.changes == [] and not touched.complete
    assert touched.line() == "files: no changes seen (scan cut short: stopped after 0 s)"
    assert paths(diff(before, scan(tmp_path))) == ["c.txt"]
    assert scan(tmp_path / "sub", budget_s=0.5).complete


def test_empty_missing_and_file_roots_are_complete_and_empty(tmp_path):
    assert scan(tmp_path).entries == {} and scan(tmp_path).complete
    assert scan(tmp_path / "missing").entries == {}
    f = write(tmp_path / "f.txt")
    assert scan(f).entries == {} and scan(f).complete
    assert scan(tmp_path, budget_s=0).complete is False  # the file is an entry the budget stopped at


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads directories whatever their mode")
def test_unreadable_directory_is_skipped_silently(tmp_path):
    write(tmp_path / "a.txt")
    locked = tmp_path / "locked"
    write(locked / "secret.txt")
    write(tmp_path / "z.txt")
    locked.chmod(0)
    try:
        snap = scan(tmp_path)
    finally:
        locked.chmod(0o755)
    assert list(snap.entries) == ["a.txt", "z.txt"]
    assert snap.complete


def test_vanishing_entries_are_skipped(tmp_path, monkeypatch):
    write(tmp_path / "a.txt")
    write(tmp_path / "b.txt")
    real_scandir = os.scandir

    class Vanishing:
        def __init__(self, entry):
            self._entry, self.name, self.path = entry, entry.name, entry.path

        def is_dir(self, follow_symlinks=True):
            return self._entry.is_dir(follow_symlinks=follow_symlinks)

        def stat(self, follow_symlinks=True):
            if self.name == "a.txt":
                raise FileNotFoundError(self.path)
            return self._entry.stat(follow_symlinks=follow_symlinks)

    class Listing:
        def __init__(self, path):
            self._it = real_scandir(path)

        def __enter__(self):
            return (Vanishing(e) for e in self._it)

        def __exit__(self, *exc):
            self._it.close()

    monkeypatch.setattr(os, "scandir", Listing)
    snap = scan(tmp_path)
    assert list(snap.entries) == ["b.txt"] and snap.complete


def test_same_size_new_mtime_is_modified(tmp_path):
    f = write(tmp_path / "data.parquet", 100)
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = scan(tmp_path)
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_001))  # one nanosecond later
    touched = diff(before, scan(tmp_path))
    assert touched.changes == [FileChange("data.parquet", "modified", 100)]
    assert touched.line() == "files: ~ data.parquet 100 B"


def test_unchanged_tree_gives_empty_line(tmp_path):
    write(tmp_path / "a.txt")
    snap = scan(tmp_path)
    touched = diff(snap, scan(tmp_path))
    assert touched.changes == [] and touched.complete and touched.line() == ""


def test_line_orders_changes_and_counts_the_rest(tmp_path):
    for i in range(5):
        write(tmp_path / f"old{i}.csv")
    write(tmp_path / "m.txt", 1)
    before = scan(tmp_path)
    for i in range(20):
        write(tmp_path / f"new{i:02d}.csv", 2_000)
    write(tmp_path / "m.txt", 2)
    for i in range(5):
        (tmp_path / f"old{i}.csv").unlink()
    touched = diff(before, scan(tmp_path))
    assert [c.change for c in touched.changes] == ["created"] * 20 + ["modified"] + ["deleted"] * 5
    line = touched.line(max_items=3)
    assert line == "files: + new00.csv 2.0 KB, + new01.csv 2.0 KB, + new02.csv 2.0 KB, + 23 more"
    assert touched.line().count(", ") == 10 and touched.line().endswith(", + 16 more")
    assert touched.line(max_items=100).endswith("~ m.txt 2 B, - old0.csv, - old1.csv, - old2.csv, - old3.csv, "
                                                "- old4.csv")


def test_line_cut_short_note():
    touched = FilesTouched([FileChange("r.csv", "created", 12_000)], complete=False,
                           reason="stopped at 20,000 files")
    assert touched.line() == "files: + r.csv 12 KB (scan cut short: stopped at 20,000 files)"
    assert FilesTouched([FileChange("r.csv", "deleted")], complete=False).line() == \
        "files: - r.csv (scan cut short)"


def test_line_quotes_ambiguous_names():
    touched = FilesTouched([FileChange("my file, v2.csv", "created", 1), FileChange('a"b', "created", 1),
                            FileChange("new\nline", "created", 1), FileChange("données.csv", "created", 1),
                            FileChange("bad\udcff.bin", "deleted")])
    assert touched.line() == ('files: + "my file, v2.csv" 1 B, + "a\\"b" 1 B, + "new\\nline" 1 B, '
                              '+ données.csv 1 B, - "bad\\xff.bin"')
    assert "\n" not in touched.line()


def test_json_round_trip(tmp_path):
    touched = FilesTouched([FileChange("results.csv", "created", 12_345), FileChange("d/x.bin", "modified", 0),
                            FileChange("old.csv", "deleted")], complete=False, reason="stopped after 0.5 s")
    data = json.loads(json.dumps(touched.to_json()))
    assert data == {"changes": [{"path": "results.csv", "change": "created", "size": 12_345},
                                {"path": "d/x.bin", "change": "modified", "size": 0},
                                {"path": "old.csv", "change": "deleted", "size": None}],
                    "complete": False, "reason": "stopped after 0.5 s"}
    assert FilesTouched.from_json(data) == touched
    assert FilesTouched.from_json(None) == FilesTouched()
    assert FilesTouched.from_json(FilesTouched().to_json()) == FilesTouched([], True, None)


def test_json_of_undecodable_name_is_utf8():
    data = FileChange("bad\udcff.bin", "created", 3).to_json()
    assert data["path"] == "bad\\xff.bin"
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # what nbformat writes: must not raise


@pytest.mark.parametrize("n, text", [
    (0, "0 B"), (512, "512 B"), (999, "999 B"), (1000, "1.0 KB"), (1500, "1.5 KB"), (9_949, "9.9 KB"),
    (9_950, "10 KB"), (12_345, "12 KB"), (999_499, "999 KB"), (999_999, "1.0 MB"), (3_100_000, "3.1 MB"),
    (2_500_000_000, "2.5 GB"), (10**15, "1.0 PB"), (10**21, "1000 EB"),
])
def test_human_size(n, text):
    assert human_size(n) == text


def test_human_size_rejects_negative():
    with pytest.raises(ValueError):
        human_size(-1)


def test_diff_rejects_different_roots(tmp_path):
    with pytest.raises(ValueError, match="different roots"):
        diff(Snapshot(str(tmp_path / "a"), {}), Snapshot(str(tmp_path / "b"), {}))


def test_after_snapshot_serves_as_next_before(tmp_path):
    write(tmp_path / "a.txt")
    s0 = scan(tmp_path)
    write(tmp_path / "b.txt", 2)
    s1 = scan(tmp_path)
    write(tmp_path / "b.txt", 3)
    s2 = scan(tmp_path)
    assert [(c.path, c.change) for c in diff(s0, s1).changes] == [("b.txt", "created")]
    assert [(c.path, c.change, c.size) for c in diff(s1, s2).changes] == [("b.txt", "modified", 3)]


@pytest.mark.skipif(os.name != "posix", reason="names that are not valid UTF-8 need a POSIX filesystem")
def test_undecodable_name_on_disk(tmp_path):
    before = scan(tmp_path)
    try:
        with open(os.path.join(os.fsencode(tmp_path), b"bad\xff.bin"), "wb") as f:
            f.write(b"abc")
    except OSError:
        pytest.skip("this filesystem refuses names that are not valid UTF-8")
    touched = diff(before, scan(tmp_path))
    assert touched.line() == 'files: + "bad\\xff.bin" 3 B'
    assert touched.to_json()["changes"][0]["path"] == "bad\\xff.bin"
