"""A run record as notebook cells: live cells for the frontend, an exported notebook, and a recording for replay.

Cells follow the trajectory in order: the model's text blocks as Markdown (``role`` ``reasoning``), each executed
``tool_use`` as a code cell with its outputs and execution count (``step``), each ``ask_user`` question and its
reply as Markdown (``question``), the final text as Markdown (``answer``), and a short note when the run ended early
(``note``). Every cell carries provenance in ``metadata.codeact``; an
exported notebook also carries the whole record (turns included, outputs left to the cells) in its
``metadata.codeact``, which ``--replay`` reads back. Format: nbformat v4.5
(https://nbformat.readthedocs.io/en/latest/format_description.html).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat import v4
from nbformat.corpus.words import generate_corpus_id

from .exceptions import ExportError, ReplayError
from .markdown import escape_dollars
from .protocol import SCHEMA_VERSION, cell_metadata, task_metadata
from .records import Run, RunStatus
from .redaction import clean_data

__all__ = ["step_outputs", "run_cells", "run_to_notebook", "save_notebook", "write_notebook", "load_run"]

def _cell(cell_type: str, source: str, metadata: dict[str, Any], **fields: Any) -> nbformat.NotebookNode:
    """A v4.5 cell, not validated one by one (that costs ~0.2 ms a cell); :func:`write_notebook` validates."""
    return nbformat.from_dict({"id": generate_corpus_id(), "cell_type": cell_type, "source": source,
                               "metadata": metadata, **fields})


def _markdown(source: str, metadata: dict[str, Any]) -> nbformat.NotebookNode:
    return _cell("markdown", source, metadata)


def _code_cell(run: Run, index: int, step: Any, usage: dict, source: str | None) -> nbformat.NotebookNode:
    meta = cell_metadata(run, index, "step", step=step.index, tool_use_id=step.tool_use_id, status=str(step.status),
                         duration_s=round(step.duration_s, 4), turn=step.turn, turn_usage=usage,
                         source_cell_id=source)
    for name in ("approval", "files", "environment"):  # provenance: how it was approved, what it touched
        value = getattr(step, name, None)
        if value:
            meta["codeact"][name] = value
    if step.status == "declined":  # not run: its code is shown, and re-executing the notebook does not run it
        approval = step.approval or {}
        reason = f": {approval['reason']}" if approval.get("reason") else ""
        fence = "````" if "```" in step.code else "```"
        text = f"*Step {step.index} was not run: declined by the user{escape_dollars(reason)}.*\n\n{fence}python\n" \
               f"{step.code.rstrip()}\n{fence}"
        return _markdown(text, meta)
    if step.status != "ok":
        # the run fed this error back to the model; re-executing the notebook must not stop here
        meta["tags"] = ["raises-exception"]
    return _cell("code", step.code, meta, outputs=step_outputs(step), execution_count=step.execution_count)


def step_outputs(step: Any) -> list[nbformat.NotebookNode]:
    """The outputs of ``step``'s code cell: its recorded outputs, each ``execute_result`` with the step's count."""
    outputs = [nbformat.from_dict(o) for o in step.outputs]
    for output in outputs:
        if output.get("output_type") == "execute_result":
            output["execution_count"] = step.execution_count
    return outputs


def run_cells(run: Run, *, include_task: bool = False, start: int = 0) -> list[nbformat.NotebookNode]:
    """The run's cells, in trajectory order.

    Parameters
    ----------
    run : Run
        A record, running or ended. For the turn in progress, cells stop before its first step not yet run.
    include_task : bool
        Start with the task as a Markdown cell, as an export does.
    start : int
        Build only the cells from this index on (the live channel sends each cell once, so it skips the rest).

    Returns
    -------
    list of NotebookNode
        nbformat v4 cells with ``metadata.codeact`` from :func:`~codeact_magic.protocol.cell_metadata`: ``index``
        is the cell's position among the run's cells without the task cell, the same live and in an export.
    """
    cells: list[nbformat.NotebookNode] = []
    if include_task:
        model = run.model if not run.replayed_from else f"replay of {run.replayed_from}"
        cells.append(_markdown(f"**Task** ({model}, run `{run.run_id}`)\n\n{run.task.strip()}",
                               task_metadata(run)))
    index = 0
    steps = {s.tool_use_id: s for s in run.steps}
    questions = {q.tool_use_id: q for q in run.questions}
    last = len(run.turns) - 1
    followups = {f.turn: f for f in run.followups}
    ends = {f.turn - 1 for f in run.followups} | {last}  # the last turn of each part of the conversation
    source = run.cell_id
    for t, turn in enumerate(run.turns):
        followup = followups.get(t)
        if followup is not None:  # the conversation goes on from a follow-up cell: its cells go below that cell
            if RunStatus(followup.before_status).note:
                if index >= start:
                    cells.append(_note(run, index, followup.before_status, followup.before_end_reason, source))
                index += 1
            source = followup.cell_id
            if include_task:
                cells.append(_markdown(f"**Follow-up** (run `{run.run_id}`)\n\n{escape_dollars(followup.task.strip())}",
                                       task_metadata(run)))
        final = t in ends and not turn.tool_uses
        for block in turn.content:
            kind = block.get("type")
            if kind == "text" and block.get("text", "").strip():
                if index >= start:
                    role = "answer" if final else "reasoning"
                    cells.append(_markdown(escape_dollars(block["text"].strip()),
                                           cell_metadata(run, index, role, turn=t, source_cell_id=source)))
                index += 1
            elif kind == "tool_use" and block.get("id") in questions:
                if index >= start:
                    cells.append(_question(run, index, questions[block["id"]], source))
                index += 1
            elif kind == "tool_use":
                step = steps.get(block.get("id"))
                if step is None:
                    if t == last:
                        break
                    continue
                if index >= start:
                    cells.append(_code_cell(run, index, step, turn.usage.to_json(), source))
                index += 1
    if RunStatus(run.status).note and index >= start:
        cells.append(_note(run, index, run.status, run.end_reason, source))
    return cells


def question_text(question: Any) -> str:
    """A question of ``ask_user`` and its reply, as the Markdown of its cell (the transcript and the export)."""
    asked = escape_dollars(question.question.strip())
    if question.answer is not None and question.answer.strip():
        reply = f"**Answer:** {escape_dollars(question.answer.strip())}"
    elif question.answer is not None:
        reply = "*The user gave no answer.*"
    else:
        reply = f"*Not answered: {escape_dollars(question.result.strip().rstrip('.'))}.*"
    return f"**Claude asked:** {asked}\n\n{reply}"


def _question(run: Run, index: int, question: Any, source: str | None) -> nbformat.NotebookNode:
    return _markdown(question_text(question), cell_metadata(run, index, "question", turn=question.turn,
                                                            tool_use_id=question.tool_use_id,
                                                            answered=question.answered, source_cell_id=source))


def _note(run: Run, index: int, status: str, reason: str | None, source: str | None) -> nbformat.NotebookNode:
    """The note that says how (a part of) the conversation ended, when it did not end with an answer."""
    note = RunStatus(status).note
    text = f"*{note}: {reason}*" if reason else f"*{note}.*"
    return _markdown(text, cell_metadata(run, index, "note", status=str(status), source_cell_id=source))


def run_to_notebook(run: Run, setup: Any = None) -> nbformat.NotebookNode:
    """The run as a whole notebook: cells, kernelspec, language_info and the record under ``metadata.codeact``.

    Parameters
    ----------
    run : Run
    setup : Setup, optional
        The user's earlier cells the run read from (:func:`codeact_magic.history.kernel_setup`): they follow the
        task cell as code cells (``role`` ``setup``, no outputs, ``execution_count`` null; their ``In[n]`` and the
        names they give in ``metadata.codeact``), and what could not be recovered is listed in the task cell (and in
        its ``metadata.codeact.setup_notes``).

    Returns
    -------
    NotebookNode
        A valid nbformat v4.5 notebook (``nbformat.validate`` passes).
    """
    record = run.to_json()
    for step in record["steps"]:
        step.pop("outputs", None)  # the cells hold them
    cells = run_cells(run, include_task=True)
    if setup is not None and (setup.cells or setup.notes):
        task = cells[0]
        if setup.cells:
            counts = ", ".join(f"In[{c.execution_count}]" for c in setup.cells)
            many = len(setup.cells) > 1
            task.source += (f"\n\n*Setup: the next {f'{len(setup.cells)} cells are' if many else 'cell is'} this "
                            f"kernel's own earlier {'cells' if many else 'cell'} {counts}, which the run depended on.*")
        if setup.notes:
            task.source += ("\n\n**Not recovered**: this notebook does not run on its own until these are provided."
                            + "".join(f"\n- {escape_dollars(note)}" for note in setup.notes))
            task.metadata["codeact"]["setup_notes"] = list(setup.notes)
        cells[1:1] = [_cell("code", c.source, {"codeact": {"run_id": run.run_id, "role": "setup",
                                                           "execution_count": c.execution_count,
                                                           "names": list(c.names)}},
                            outputs=[], execution_count=None) for c in setup.cells]
    notebook = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python", "version": platform.python_version(), "mimetype": "text/x-python",
                              "file_extension": ".py", "pygments_lexer": "ipython3",
                              "codemirror_mode": {"name": "ipython", "version": 3}},
            "codeact": {"schema_version": SCHEMA_VERSION, "run": record},
        },
    )
    return notebook


def write_notebook(run: Run, path: str | os.PathLike, *, overwrite: bool = False,
                   redact: Callable[[Any], Any] | None = None, setup: Any = None) -> Path:
    """Validate the run's notebook and write it to ``path`` (``.ipynb`` added if missing).

    The file is written next to its target first and then renamed over it, so a failed write leaves no partial
    notebook. No directory is ever created: the parent must exist. An existing file is never replaced unless
    ``overwrite`` is given.

    Parameters
    ----------
    run : Run
        The record to write.
    path : str or PathLike
        The notebook's path; ``~`` is expanded.
    overwrite : bool
        Replace ``path`` if it exists (``%codeact export PATH --force``).
    redact : callable, optional
        Applied to the notebook's JSON before it is written (``Redactor.data``: secrets out).
    setup : Setup, optional
        The cells the notebook starts with after the task, and what could not be recovered (see
        :func:`run_to_notebook`).

    Returns
    -------
    Path
        Where it was written.

    Raises
    ------
    ExportError
        If the file exists and ``overwrite`` is false, the parent directory does not exist (or is not a directory),
        ``path`` is a directory, or the write fails (permissions, a full disk); one line that names the path.
    nbformat.ValidationError
        If the notebook is not valid (a bug: it always should be).
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a directory: give a file name, for example {target / 'analysis.ipynb'}.")
    if target.suffix != ".ipynb":
        target = target.with_name(target.name + ".ipynb")
    parent = target.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise ExportError(f"Cannot export to {target}: the directory {parent} {what}. Create it first, or give a path in "
                          "an existing directory.")
    if target.exists() and not overwrite:
        raise ExportError(f"{target} exists: add --force to replace it, or give another path.")
    # text that cannot be encoded (a lone surrogate from undecodable output) becomes U+FFFD; secrets go
    notebook = nbformat.from_dict((redact or clean_data)(json.loads(json.dumps(run_to_notebook(run, setup)))))
    try:
        save_notebook(notebook, target)
    except OSError as error:
        raise ExportError(f"Cannot write {target}: {error.strerror or error}.") from None
    return target


def save_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Validate ``notebook`` (``nbformat.validate``) and write it to ``path`` through a temporary file renamed over
    it, so no half-written file is ever left.

    Raises
    ------
    nbformat.ValidationError
        If the notebook is not valid nbformat v4.
    OSError
        If it cannot be written; the temporary file is removed.
    """
    nbformat.validate(notebook)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbformat.write(notebook, str(tmp))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def load_run(path: str | os.PathLike) -> Run:
    """Read back the run recorded in an exported notebook (for ``--replay``), with the code its cells show.

    Replay runs what the user sees: each recorded step's code is taken from its visible code cell (the cell whose
    ``metadata.codeact`` has ``role: step`` and that step number), and its recorded outputs from that cell too, so a
    replay can tell when a step now prints something else. The ``tool_use`` inputs in the recorded turns must say
    the same code; when they do not (a cell edited, deleted, or metadata changed by hand) the notebook is refused.

    Parameters
    ----------
    path : str or PathLike
        A notebook written by :func:`write_notebook`.

    Returns
    -------
    Run
        The record, turns included; each step with its cell's code and outputs.

    Raises
    ------
    ReplayError
        If the file is missing, is not a notebook, has no ``metadata.codeact.run``, or a step's cell is missing or
        shows other code than the recorded ``tool_use`` (one line naming the step).
    """
    source = Path(path).expanduser()
    try:
        notebook = nbformat.read(str(source), as_version=4)
    except FileNotFoundError:
        raise ReplayError(f"No such notebook: {source}. Give the path of a notebook written by %codeact export.") from None
    except (OSError, ValueError, json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        raise ReplayError(f"Cannot read {source} as a notebook ({error}).") from None
    record = notebook.get("metadata", {}).get("codeact", {}).get("run")
    if not record or not record.get("turns"):
        raise ReplayError(f"{source} holds no recorded codeact run (no metadata.codeact.run with turns).")
    run = Run.from_json(record)
    cells = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("codeact", {})
        if cell.cell_type == "code" and meta.get("role") == "step" and meta.get("run_id") == run.run_id:
            cells.setdefault(meta.get("step"), cell)
    uses = {b.get("id"): b for t in run.turns for b in t.content if b.get("type") == "tool_use"}
    for step in run.steps:
        cell = cells.get(step.index)
        if cell is None:
            raise ReplayError(f"{source}: step {step.index} of the recorded run has no code cell any more, so it "
                              "cannot be replayed as shown. Re-export the run, or restore the cell.")
        use = uses.get(step.tool_use_id)
        recorded = (use or {}).get("input", {}).get("code") if isinstance((use or {}).get("input"), dict) else None
        if cell.source != recorded or cell.source != step.code:
            raise ReplayError(f"{source}: the cell of step {step.index} shows other code than the recorded run "
                              "(edited after the export?). Replay runs only what the cells show: undo the edit, or "
                              "re-export the run.")
        step.outputs = [dict(o) for o in cell.get("outputs", [])]
    return run
