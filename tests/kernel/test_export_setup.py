"""An export stands alone: it starts with the user's own earlier cells that the run read from, and re-executes top to
bottom in a fresh kernel; what cannot be recovered is named in its first cell. A real ipykernel through jupyter_client,
the stand-in Messages API, nbclient for the re-execution."""

import re

import nbformat
from nbclient import NotebookClient

from kernel_harness import Kernel
from standin import turn


def ran(kernel, code, store_history=True):
    """Execute ``code``; its ``In[n]`` (``None`` without history)."""
    if store_history:
        result = kernel.execute(code)
        assert result.status == "ok", result.text
        return result.reply["content"]["execution_count"]
    msg_id = kernel.kc.execute(code, store_history=False)
    reply = kernel.kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return None


def role(cell):
    return cell.metadata.get("codeact", {}).get("role")


def export(kernel, path, options=""):
    result = kernel.execute(f"%codeact export {path} {options}")
    assert result.status == "ok", result.text
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    return notebook, result.stdout.strip().splitlines()


def test_the_export_starts_with_the_cells_the_run_read_from_and_runs_alone(kernel, server, tmp_path):
    cells = ["import pandas as pd",
             "sales = pd.DataFrame({'region': ['N', 'S', 'N'], 'amount': [3.0, 1.0, 2.0]})",
             "unrelated = 'not needed'\nprint(unrelated)",
             "sales['double'] = sales.amount * 2",
             "sales.head()"]
    counts = [ran(kernel, code) for code in cells]
    server.enqueue(turn("Totals by region.", "totals = sales.groupby('region').double.sum()\nprint(totals.to_dict())"),
                   turn("North leads with 10."))
    assert kernel.execute("%%codeact\nTotal `sales` by region").status == "ok"
    notebook, printed = export(kernel, tmp_path / "alone.ipynb")
    assert len(printed) == 1 and printed[0].startswith("Exported run")  # nothing missing: no second line
    # the task first, then exactly the needed cells (import, load, the in-place change), in order, then the run
    assert [role(c) for c in notebook.cells] == ["task", "setup", "setup", "setup", "reasoning", "step", "answer"]
    task, *setup = notebook.cells[:4]
    assert task.cell_type == "markdown" and task.source.startswith("**Task**")
    assert "Total `sales` by region" in task.source
    assert f"In[{counts[0]}], In[{counts[1]}], In[{counts[3]}]" in task.source and "Not recovered" not in task.source
    assert [c.source for c in setup] == [cells[0], cells[1], cells[3]]
    assert [c.metadata["codeact"]["execution_count"] for c in setup] == [counts[0], counts[1], counts[3]]
    assert [c.metadata["codeact"]["names"] for c in setup] == [["pd"], ["sales"], ["sales"]]
    assert all(c.cell_type == "code" and c.outputs == [] and c.execution_count is None for c in setup)
    # Run All in a fresh kernel: top to bottom, the step prints what it printed in the run
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    step = next(c for c in notebook.cells if role(c) == "step")
    assert "".join(o.get("text", "") for o in step.outputs) == "{'N': 10.0, 'S': 2.0}\n"


def test_what_cannot_be_recovered_is_named_in_the_first_cell(kernel, server, tmp_path):
    cwd = kernel.value("__import__('os').getcwd()")
    ran(kernel, "import pandas as pd\nimport os")
    ran(kernel, "with open('prices.csv', 'w') as f:\n    f.write('item,price\\na,2.5\\n')")
    load = ran(kernel, "prices = pd.read_csv('prices.csv')")
    ran(kernel, "os.remove('prices.csv')")
    ran(kernel, "rates = {'a': 1.1}", store_history=False)  # in the kernel, in no history cell
    server.enqueue(turn("Price with rates.", "priced = prices.price * rates['a']\nprint(round(priced.sum(), 2))"),
                   turn("2.75."))
    assert kernel.execute("%%codeact\nPrice the items").status == "ok"
    notebook, printed = export(kernel, tmp_path / "missing.ipynb")
    assert printed[1:] == ["It does not run on its own yet: its first cell names what could not be recovered."]
    task = notebook.cells[0]
    assert role(task) == "task" and task.cell_type == "markdown"
    notes = ["`rates` (read by step 1) is defined in no cell of this kernel's history before the run: define it "
             "before running this notebook.",
             f"`prices.csv` (read by In[{load}]) does not exist in {cwd}."]
    assert task.metadata["codeact"]["setup_notes"] == notes
    assert all(f"- {note}" in task.source for note in notes)
    # the cells that are recoverable are there all the same: the import and the load (not the write, nor the remove)
    setup = [c for c in notebook.cells if role(c) == "setup"]
    assert [c.source for c in setup] == ["import pandas as pd\nimport os", "prices = pd.read_csv('prices.csv')"]
    assert setup[1].metadata["codeact"]["execution_count"] == load  # right after a run, In[] lags the prompt numbers


def test_a_run_of_another_kernel_session_says_its_setup_could_not_be_recovered(kernel, server, tmp_path):
    ran(kernel, "base = 20")
    server.enqueue(turn("Double it.", "print(base * 2)"), turn("40."))
    assert kernel.execute("%%codeact\nDouble base").status == "ok"
    (line,) = export(kernel, tmp_path / "here.ipynb")[1]
    run_id = re.search(r"Exported run (r-[0-9a-f]+)", line).group(1)
    other = Kernel({"ANTHROPIC_API_KEY": None}, cwd=kernel.value("__import__('os').getcwd()"))
    try:
        assert other.execute("%load_ext codeact_magic").status == "ok"
        notebook, printed = export(other, tmp_path / "there.ipynb", f"--run {run_id}")
    finally:
        other.shutdown()
    assert "from the run journal" in printed[0] and len(printed) == 2
    assert [role(c) for c in notebook.cells][:2] == ["task", "reasoning"]
    assert notebook.cells[0].metadata["codeact"]["setup_notes"] == [
        "The cells that defined `base` could not be recovered: the run came from another kernel session, whose "
        "history this kernel does not have."]
