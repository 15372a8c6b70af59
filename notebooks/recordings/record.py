"""Re-make the recorded runs the quickstart replays when no API key is set.

The Anthropic API cannot be reached where this project is built, so the model's turns come from the scripted
stand-in in ``tests/standin.py`` (``tests/fixtures/quickstart_script.json``); everything else is real: the
quickstart runs top to bottom in a fresh kernel through nbclient, the code executes, and each run is exported with
``%codeact export``. Run from the repository root: ``python notebooks/recordings/record.py``.
"""

import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from standin import StandIn  # noqa: E402


def main() -> None:
    notebooks = ROOT / "notebooks"
    script = json.loads((ROOT / "tests/fixtures/quickstart_script.json").read_text())
    notebook = nbformat.read(notebooks / "quickstart.ipynb", as_version=4)
    names = ["sales", "stats"]
    notebook.cells.append(nbformat.v4.new_code_cell(
        f"for _run, _name in zip(get_ipython().magics_manager.registry['CodeActMagics'].runs, {names!r}):\n"
        "    get_ipython().run_line_magic('codeact', f'--run {_run.run_id} export recordings/{_name}.ipynb')"))
    with StandIn(scripts=script["scripts"]) as server:
        os.environ.update(ANTHROPIC_BASE_URL=server.url, ANTHROPIC_API_KEY="sk-ant-recording-0000")
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(notebooks)}}).execute()
    for name in names:
        print(f"wrote notebooks/recordings/{name}.ipynb")


if __name__ == "__main__":
    main()
