"""The setup of an export: the history cells a run's steps depended on, found over the cells' ASTs."""

from types import SimpleNamespace

import nbformat

from codeact_magic.history import Setup, SetupCell, find_setup, kernel_setup
from codeact_magic.records import Run, Step, Turn
from codeact_magic.trajectory import run_to_notebook


def history(*sources):
    """``(In[n], source)`` pairs numbered from 1."""
    return list(enumerate(sources, 1))


def kept(setup):
    return [c.execution_count for c in setup.cells]


def test_a_chain_import_load_derive_is_kept_in_order_and_an_unused_cell_is_not(tmp_path):
    (tmp_path / "sales.csv").write_text("region,total\nN,1\n")
    cells = history("import pandas as pd",
                    "sales = pd.read_csv('sales.csv')",
                    "unrelated = [1, 2, 3]\nprint(unrelated)",
                    "by_region = sales.groupby('region').total.sum()",
                    "sales.head()")
    setup = find_setup(["by_region.plot()"], cells, cwd=tmp_path)
    assert kept(setup) == [1, 2, 4]
    assert [c.names for c in setup.cells] == [("pd",), ("sales",), ("by_region",)]
    assert setup.cells[1] == SetupCell(2, "sales = pd.read_csv('sales.csv')", ("sales",))
    assert setup.notes == []


def test_a_redefinition_uses_the_latest_cell_before_the_run():
    cells = history("rate = 0.1", "total = 100", "rate = 0.2", "print(rate)")
    assert kept(find_setup(["total * rate"], cells)) == [2, 3]
    # a rebinding that reads the old value needs the cell before it too
    assert kept(find_setup(["rate"], history("rate = 0.1", "rate = rate * 2", "x = 1"))) == [1, 2]


def test_a_mutation_of_a_needed_name_keeps_its_cell():
    cells = history("import pandas as pd",
                    "df = pd.DataFrame({'a': [1, None]})",
                    "df['b'] = df.a * 2",
                    "df.dropna(inplace=True)",
                    "items = []",
                    "items.append(len(df))",
                    "df.a.sum()",
                    "other = {}\nother.update(x=1)")
    setup = find_setup(["print(df.b.sum(), items)"], cells)
    assert kept(setup) == [1, 2, 3, 4, 5, 6]
    assert setup.cells[2].names == ("df",) and setup.cells[5].names == ("items",)


def test_a_name_defined_nowhere_is_a_note():
    setup = find_setup(["rates.mean() + base"], history("base = 2", "unrelated = 1"))
    assert kept(setup) == [1]
    assert setup.notes == ["`rates` (read by step 1) is defined in no cell of this kernel's history before the run: "
                           "define it before running this notebook."]
    # a name the kernel never had (the step raised NameError) is not a dependency
    assert find_setup(["valuez"], [], namespace={"values": 1}).notes == []


def test_a_file_a_kept_cell_reads_that_is_absent_is_a_note(tmp_path):
    (tmp_path / "here.csv").write_text("a\n1\n")
    cells = history("import numpy as np\nfrom pathlib import Path",
                    "arr = np.load('gone.npy')",
                    "text = Path('notes.txt').read_text()\nwith open('here.csv') as f:\n    head = f.readline()",
                    "with open('out.txt', 'w') as out:\n    out.write('x')",
                    "ignored = open('also-gone.txt').read()")
    setup = find_setup(["arr, text, head"], cells, cwd=tmp_path)
    assert kept(setup) == [1, 2, 3]
    assert setup.notes == [f"`gone.npy` (read by In[2]) does not exist in {tmp_path}.",
                           f"`notes.txt` (read by In[3]) does not exist in {tmp_path}."]


def test_magics_and_codeact_cells_are_never_setup_and_config_magics_before_a_kept_cell_are():
    cells = history("%load_ext codeact_magic",
                    "%matplotlib inline",
                    "!pip install tabulate",
                    "%%codeact\nMake x",
                    "x = 1",  # a step of the earlier run: a cell like any other
                    "%codeact export earlier.ipynb",
                    "%%bash\necho y=2",
                    "%cd /tmp",
                    "y = x + 1",
                    "%config InlineBackend.figure_format = 'svg'")
    setup = find_setup(["y"], cells)
    assert kept(setup) == [2, 5, 9]
    assert setup.cells[0].names == ()
    assert kept(find_setup(["print(1)"], cells)) == []  # nothing read: nothing kept, not even the magics


def test_ipython_syntax_in_steps_and_cells_is_analysed_as_the_python_it_runs():
    cells = history("files = !ls",
                    "%time total = sum(range(10))",
                    "%%capture shown\nimport math\nroot = math.sqrt(total)",
                    "%%time\nlimit = 3",
                    "sales?",
                    "%%timeit\nunused = total * 2")
    setup = find_setup(["!echo {limit}\n%time print(files, root, shown.stdout)\nunused"], cells)
    assert kept(setup) == [1, 2, 3, 4]
    assert setup.cells[2].names == ("root", "shown")
    assert setup.notes[-1].startswith("`unused` (read by step 1) is defined in no cell")  # %%timeit binds nothing


def test_steps_bind_for_later_steps_and_builtins_and_functions_count_right():
    cells = history("import json", "scale = 2", "def norm(v):\n    return v / scale", "rows = [1, 2]",
                    "from math import *", "pi = 3")
    steps = ["data = [norm(r) for r in rows]", "print(len(data), json.dumps(data), sqrt(2))",
             "data = None\nbroken = ("]
    setup = find_setup(steps, cells)
    assert kept(setup) == [1, 2, 3, 4, 5]  # `scale` is read by `norm` when it is called; `sqrt` is math's
    assert setup.notes == ["Step 3 does not parse as Python (SyntaxError), so the names it reads were not looked for."]


def test_a_cell_whose_bindings_cannot_be_read_is_kept_with_a_note_when_nothing_else_defines_the_name():
    cells = history("%run load.py", "exec('extra = 1')", "known = 1")
    setup = find_setup(["known + extra"], cells, cwd="/nonexistent-dir")
    assert kept(setup) == [1, 2, 3]  # either may define `extra`
    assert setup.notes == [
        "`extra` (read by step 1) is bound by no cell this export can read; In[1] (`%run load.py`), "
        "In[2] (`exec('extra = 1')`) may define it and are kept, unchecked.",
        "`load.py` (read by In[1]) does not exist in /nonexistent-dir."]
    # a name an explicit cell binds does not pull in the unreadable cells
    assert kept(find_setup(["known"], cells)) == [3]
    # in a kernel, a name the kernel does not have came from none of them
    assert kept(find_setup(["known + typo"], cells, namespace={"known"})) == [3]


def fake_shell(inputs, counts, **user_ns):
    """A shell whose history holds ``inputs`` (index 0 is IPython's empty entry) with ``_i<n>`` for ``counts``."""
    ns = {f"_i{n}": source for n, source in zip(counts, inputs)}
    ns.update(user_ns)
    return SimpleNamespace(history_manager=SimpleNamespace(input_hist_raw=["", *inputs]), user_ns=ns,
                           user_ns_hidden={})


def make_run(task, codes, count):
    uses = [{"type": "tool_use", "id": f"t{i}", "name": "python", "input": {"code": code}}
            for i, code in enumerate(codes, 1)]
    return Run(run_id="r-1", task=task, model="m", execution_count=count, turns=[Turn(uses)],
               steps=[Step(i, 0, f"t{i}", code) for i, code in enumerate(codes, 1)])


def test_kernel_history_is_found_by_the_run_cell_even_when_its_index_lags_the_counts():
    # after a run, IPython's list falls one behind the prompt numbers: In[4] here is at index 3
    inputs = ["a = 1", "%%codeact\nFirst", "b = a", "c = 2", "%%codeact\nSecond", "print(a, c)", "d = 3",
              "%codeact --max-steps 2 Third", "print(c + d)"]
    shell = fake_shell(inputs, [1, 2, 3, 5, 6, 7, 9, 10, 11], a=1, b=1, c=2, d=3)
    setup = kernel_setup(shell, make_run("Second", ["print(a, c)"], 6))
    assert kept(setup) == [1, 5]
    assert kept(kernel_setup(shell, make_run("Third", ["print(c + d)"], 10))) == [5, 9]  # the line form too
    # another kernel session's run: nothing to recover from, said once with its names
    other = kernel_setup(shell, make_run("Elsewhere", ["print(sales)"], 2))
    assert other == Setup([], ["The cells that defined `sales` could not be recovered: the run came from another "
                               "kernel session, whose history this kernel does not have."])


def test_the_setup_cells_go_after_the_task_cell_marked_setup_with_the_notes_in_the_task_cell():
    run = make_run("Sum the sales", ["sales.sum()"], 3)
    setup = Setup([SetupCell(2, "sales = [1, 2]", ("sales",))], ["`rates` (read by step 1) is defined nowhere."])
    notebook = run_to_notebook(run, setup=setup)
    nbformat.validate(notebook)
    task, first = notebook.cells[:2]
    assert task.cell_type == "markdown" and task.metadata["codeact"]["role"] == "task"
    assert "Sum the sales" in task.source and "`rates` (read by step 1) is defined nowhere." in task.source
    assert first.cell_type == "code" and first.source == "sales = [1, 2]"
    assert first.execution_count is None and first.outputs == []
    assert first.metadata["codeact"] == {"run_id": "r-1", "role": "setup", "execution_count": 2, "names": ["sales"]}
    assert [c.metadata["codeact"]["role"] for c in notebook.cells] == ["task", "setup", "step"]
    plain = run_to_notebook(run)  # no setup: as before
    assert [c.metadata["codeact"]["role"] for c in plain.cells] == ["task", "step"]
    assert plain.cells[0].source == task.source.split("\n\n*Setup: the next cell is")[0]


def test_secrets_in_a_setup_cell_are_masked_like_everything_the_export_writes(tmp_path):
    from codeact_magic.redaction import Redactor
    from codeact_magic.trajectory import write_notebook

    run = make_run("Connect", ["connect(db_password)"], 2)
    setup = Setup([SetupCell(1, "db_password = 'opensesame-42'", ("db_password",))])
    redact = Redactor(user_ns={"db_password": "opensesame-42"}, hidden={}).data
    path = write_notebook(run, tmp_path / "s.ipynb", redact=redact, setup=setup)
    notebook = nbformat.read(str(path), as_version=4)
    assert notebook.cells[1].source == "db_password = '<redacted>'" and "opensesame" not in path.read_text()
