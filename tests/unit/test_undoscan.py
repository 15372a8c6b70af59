"""undoscan.predict: the names a step may bind or change in place and the files it may write or delete, from its AST."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codeact_magic.undoscan import predict

CWD = "/work/project"


def files(code: str, namespace: dict | None = None) -> list[tuple[str, str]]:
    return [(os.path.relpath(p, CWD), action) for p, action in predict(code, namespace or {}, CWD).files]


@pytest.mark.parametrize("code, names", [
    ("x = 1", {"x"}),
    ("a, (b, *c) = 1, (2, 3)", {"a", "b", "c"}),
    ("n += 1", {"n"}),
    ("del old", {"old"}),
    ("if True:\n    del a, b", {"a", "b"}),
    ("import numpy as np\nfrom os import path", {"np", "path"}),
    ("def f():\n    pass\nclass C:\n    pass", {"f", "C"}),
    ("for i, row in enumerate([]):\n    pass", {"i", "row"}),
    ("with open('x') as fh:\n    pass", {"fh"}),
    ("if (m := 3) > 2:\n    pass", {"m"}),
    ("def g():\n    global counter\n    counter = 1", {"g", "counter"}),
])
def test_the_names_a_step_may_bind_rebind_or_delete(code, names):
    assert predict(code, {}, CWD).binds == names


@pytest.mark.parametrize("code, names", [
    ('df["x"] = 1', {"df"}),
    ("obj.attr = 2", {"obj"}),
    ('d["k"] += 1', {"d"}),
    ("del cache[0]", {"cache"}),
    ("del obj.attr", {"obj"}),
    ("lst.append(4)", {"lst"}),
    ("lst.extend([1])\nlst2.insert(0, 1)\ns.pop()\nr.remove(1)\nq.clear()", {"lst", "lst2", "s", "r", "q"}),
    ("conf.update(a=1)\nkeys.sort()\nm.setdefault('a', [])", {"conf", "keys", "m"}),
    ("df.drop(columns=['c'], inplace=True)", {"df"}),
    ("df.reset_index(inplace=True)\ndf.loc[0, 'a'] = 3", {"df"}),
    ("lst += [4]", {"lst"}),  # a list's += extends it in place
    ("alias = original\nalias.append(1)", {"alias", "original"}),
    ("def fill():\n    rows.append(1)\nfill()", {"rows"}),  # a function the step defines and calls
    ("import random\nrandom.shuffle(deck)", {"deck"}),
    ("rng.shuffle(arr)\nnp.copyto(dst, src)\nheapq.heappush(heap, 3)", {"arr", "dst", "heap"}),
    # `add` is a set's mutator too: np is predicted, and the snapshot does not copy a module
    ("np.add(a, b, out=c)\nbisect.insort(sorted_list, 4)", {"c", "sorted_list", "np"}),
])
def test_the_names_whose_objects_a_step_may_change_in_place(code, names):
    assert predict(code, {}, CWD).mutates == names


def test_a_read_only_step_changes_nothing():
    found = predict('total = df["a"].sum()\nprint(df.describe())', {}, CWD)
    assert found.binds == {"total"} and found.mutates == set() and found.files == [] and found.partly == []


def test_the_files_a_step_may_write_or_delete_literal_or_held_in_a_name():
    namespace = {"target": Path("out/sales.csv"), "name": "notes.txt", "buffer": __import__("io").StringIO()}
    code = ("import os, shutil\nfrom pathlib import Path\nimport numpy as np\n"
            "df.to_csv(target)\n"
            "df.to_parquet('data.parquet')\n"
            "open(name, 'w').write('x')\n"
            "open('log.txt', mode='a')\n"
            "open('read.txt')\n"  # reading: nothing to keep
            "df.to_csv(buffer)\n"  # in memory
            "Path('p.txt').write_text('x')\n"
            "Path('q.bin').write_bytes(b'')\n"
            "os.remove('gone.csv')\n"
            "Path('old.txt').unlink()\n"
            "shutil.rmtree('build')\n"
            "os.rename('a.txt', 'b.txt')\n"
            "shutil.copy('src.txt', 'dst.txt')\n"
            "np.save('arr', [1])\n"
            "plt.savefig('fig.png')\n")
    assert files(code, namespace) == [
        ("out/sales.csv", "write"), ("data.parquet", "write"), ("notes.txt", "write"), ("log.txt", "write"),
        ("p.txt", "write"), ("q.bin", "write"), ("gone.csv", "delete"), ("old.txt", "delete"), ("build", "delete"),
        ("a.txt", "delete"), ("b.txt", "write"), ("dst.txt", "write"), ("arr.npy", "write"), ("fig.png", "write")]


def test_a_path_written_and_deleted_is_kept_once_and_a_path_assigned_in_the_step_is_resolved():
    code = "import os\np = 'tmp.txt'\nopen(p, 'w').write('x')\nos.remove(p)"
    assert files(code) == [("tmp.txt", "delete")]


def test_writefile_and_the_bodies_of_time_and_capture_are_read():
    assert files("%%writefile script.py\nprint(1)\n") == [("script.py", "write")]
    assert files("%time df.to_csv('timed.csv')") == [("timed.csv", "write")]


def test_a_path_known_only_at_run_time_is_named():
    found = predict("df.to_csv(f'{region}.csv')\nimport os\nos.remove(make_name())", {}, CWD)
    assert found.files == []
    assert found.unknown == ["writes a path known only at run time: df.to_csv(f'{region}.csv')",
                             "deletes a path known only at run time: os.remove(make_name())"]


@pytest.mark.parametrize("code, reason", [
    ("exec('x = 1')", "`exec` hides what it runs"),
    ("globals()['x'] = 1", "writes into the namespace (`globals()[...]`), binding unseen names"),
    ("%run other.py", "`%run other.py` runs code the check cannot read"),
    ("!rm -rf data", "shell escape `!rm -rf data`"),
    ("import subprocess\nsubprocess.run(['ls'])", "runs a command: subprocess.run(['ls'])"),
])
def test_code_that_cannot_be_read_fully_says_why(code, reason):
    assert reason in predict(code, {}, CWD).partly


def test_code_that_does_not_parse_keeps_nothing():
    found = predict("def broken(:\n", {}, CWD)
    assert (found.binds, found.mutates, found.files, found.partly) == (set(), set(), [], [])
