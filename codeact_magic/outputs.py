"""A step's outputs as nbformat v4 outputs, kept by the notebook's own output rules.

A :class:`Recorder` holds nbformat v4 outputs
(https://nbformat.readthedocs.io/en/latest/format_description.html) and applies the notebook's own output rules as
nbclient applies them (``nbclient.client.NotebookClient.output``, ``clear_output``, ``_update_display_id``), so a
step's saved outputs are those the same code leaves as a plain cell:

- ``clear_output()`` empties the step's outputs at once; ``clear_output(wait=True)`` empties them when the step's next
  output (stream, display, result or error) arrives. A wait-clear still pending when the step ends clears nothing
  (nbclient resets ``clear_before_next_output`` at the next cell), and does not reach into the next step.
- A ``display_data`` or ``update_display_data`` with a ``display_id`` sets ``data`` and ``metadata`` of every output
  recorded with that id in the run (:class:`DisplayIds`, one per run), in this step or an earlier one; an update is
  not an output itself (it neither adds one nor fires a pending wait-clear), and one for an id not shown is dropped.
  Outputs a clear removed no longer get updates (nbclient's ``clear_display_id_mapping``).
- Consecutive writes to one stream make one ``stream`` output (as JupyterLab shows them), read as a terminal leaves
  them after carriage returns (:func:`~codeact_magic.observation.terminal_text`).

Time and memory are linear in the output's size: stream text is kept as a list of chunks and joined once at the end.
"""

from __future__ import annotations

import threading
from typing import Any

from .observation import terminal_text
from .redaction import clean_data

__all__ = ["DisplayIds", "Output", "Recorder", "clean_bundle"]

_TEXT_MIME_PREFIX = "text/"

Output = dict[str, Any]


class DisplayIds:
    """The outputs recorded with each ``display_id`` over one run, with the output list (a step's) each belongs to.

    nbclient's ``NotebookClient._display_id_map``, across the steps of a run instead of the cells of a notebook. Used
    under the lock of the step's :class:`Recorder`.
    """

    def __init__(self) -> None:
        self._shown: dict[str, list[tuple[list[Output], Output]]] = {}
        self._ids_of: dict[int, set[str]] = {}  # id(output list) -> the display ids it holds

    def add(self, display_id: str, owner: list[Output], output: Output) -> None:
        """Note that ``output``, an item of ``owner``, shows ``display_id``."""
        self._shown.setdefault(display_id, []).append((owner, output))
        self._ids_of.setdefault(id(owner), set()).add(display_id)

    def shown(self, display_id: str) -> list[tuple[list[Output], Output]]:
        """The ``(owner, output)`` pairs showing ``display_id``, oldest first."""
        return self._shown.get(display_id, [])

    def forget(self, owner: list[Output]) -> None:
        """``owner`` was cleared: its outputs get no more updates (nbclient's ``clear_display_id_mapping``)."""
        for display_id in self._ids_of.pop(id(owner), ()):
            kept = [pair for pair in self._shown.get(display_id, ()) if pair[0] is not owner]
            if kept:
                self._shown[display_id] = kept
            else:
                self._shown.pop(display_id, None)


class Recorder:
    """The outputs of one step in nbformat v4 form, written by the main thread and the fd reader.

    Parameters
    ----------
    displays : DisplayIds, optional
        The run's display ids, shared by the recorders of its steps, so that an update reaches the outputs of earlier
        steps; by default one of this step's own.

    A stream output's text is held as chunks (the last 4,096 writes) and blocks (earlier writes, joined 4,096 at a
    time) until :meth:`finished` joins them once. :attr:`outputs` stays the same list object for the recorder's life
    (:meth:`finished` fills it in place), which is how :class:`DisplayIds` and :attr:`updated` name a step's outputs.
    """

    def __init__(self, displays: DisplayIds | None = None) -> None:
        self.outputs: list[Output] = []
        self.displays = displays if displays is not None else DisplayIds()
        self._lock = threading.Lock()
        self._clear_waiting = False
        self._tail_name: str | None = None  # the last output is a stream of this name, appended to directly
        self._tail: list[str] = []
        self._tail_blocks: list[str] = []
        self._changed: dict[int, list[Output]] = {}  # id -> an earlier step's output list an update changed
        self._foreign: dict[int, Output] = {}  # id -> an output of an earlier step an update changed

    @property
    def updated(self) -> list[list[Output]]:
        """The output lists of earlier steps that an update of this step changed in place (each once)."""
        with self._lock:
            return list(self._changed.values())

    def _clear_if_waiting(self) -> None:
        """An output is about to be recorded: a pending wait-clear happens first (nbclient's ``output``)."""
        self._tail_name = None
        if self._clear_waiting:
            self._clear_waiting = False
            self.outputs.clear()
            self.displays.forget(self.outputs)

    def stream(self, name: str, text: str) -> None:
        """Record ``text`` written to the stream ``name`` (``stdout`` or ``stderr``)."""
        with self._lock:
            if name == self._tail_name:
                tail = self._tail
                tail.append(text)
                if len(tail) >= 4096:
                    self._tail_blocks.append("".join(tail))
                    tail.clear()
                return
            self._clear_if_waiting()
            self._tail_name, self._tail, self._tail_blocks = name, [text], []
            self.outputs.append({"output_type": "stream", "name": name, "_chunks": self._tail,
                                 "_blocks": self._tail_blocks})

    def display(self, data: dict, metadata: dict | None, transient: dict | None, update: bool) -> None:
        """Record a ``display_data`` (or, with ``update``, an ``update_display_data``) message's content.

        With a ``display_id`` in ``transient``, every output recorded with that id in the run takes ``data`` and
        ``metadata`` first (nbclient's ``_update_display_id``); an update ends there.
        """
        display_id = (transient or {}).get("display_id")
        with self._lock:
            if display_id:
                for owner, shown in self.displays.shown(display_id):
                    shown["data"], shown["metadata"] = dict(data), dict(metadata or {})
                    if owner is not self.outputs:
                        self._changed[id(owner)] = owner
                        self._foreign[id(shown)] = shown
            if update:
                return
            self._clear_if_waiting()
            output = {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}
            if display_id:
                self.displays.add(display_id, self.outputs, output)
            self.outputs.append(output)

    def execute_result(self, data: dict, metadata: dict | None, count: int | None) -> None:
        """Record the step's ``execute_result`` (``Out[count]``)."""
        with self._lock:
            self._clear_if_waiting()
            self.outputs.append({"output_type": "execute_result", "data": dict(data), "metadata": dict(metadata or {}),
                                 "execution_count": count})

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        """Record an ``error`` output."""
        with self._lock:
            self._clear_if_waiting()
            self.outputs.append({"output_type": "error", "ename": ename, "evalue": evalue,
                                 "traceback": list(traceback)})

    def drop_errors(self, enames: set[str]) -> None:
        """Remove the error outputs of those exception names (the executor's own interrupts)."""
        with self._lock:
            self.outputs[:] = [o for o in self.outputs if not (o["output_type"] == "error" and o["ename"] in enames)]
            self._tail_name = None  # the streams around a dropped error are merged by finished()

    def clear(self, wait: bool = False) -> None:
        """``clear_output``: now, or with ``wait`` when the next output comes (nbclient's ``clear_output``)."""
        with self._lock:
            self._clear_waiting = True
            self._tail_name = None
            if not wait:
                self._clear_if_waiting()

    def finished(self, redactor: Any = None, secrets_changed: bool = True) -> list[Output]:
        """The outputs, final: streams joined and read as a terminal shows them, surrogates replaced, secrets out.

        A wait-clear still pending is dropped (nothing came after it). The outputs of earlier steps this step's
        updates changed get the same treatment as the step's own displays.

        Parameters
        ----------
        redactor : object, optional
            The step's :class:`~codeact_magic.redaction.Redactor`. What :class:`OutputCapture` recorded with it was
            masked as it was recorded (streams by the live filter, displays and tracebacks before they were shown),
            so it is only scanned again when ``secrets_changed`` says the step made new secrets known: streams for
            exact secrets (``redactor.exact``), the rest whole (``redactor.outputs``).
        secrets_changed : bool
            Whether the redactor learnt new secrets after the outputs were recorded.

        Returns
        -------
        list of dict
            :attr:`outputs` itself, filled in place: nbformat v4 outputs; consecutive outputs of one stream merged,
            streams left empty by carriage returns dropped.
        """
        with self._lock:
            self._clear_waiting = False
            merged: list[Output] = []
            for output in self.outputs:
                if "_chunks" in output:
                    text = "".join(output.pop("_blocks") + output.pop("_chunks"))
                    last = merged[-1] if merged else None
                    if last is not None and "_text" in last and last["name"] == output["name"]:
                        last["_text"] += text  # only around an error drop_errors removed
                        continue
                    output["_text"] = text
                merged.append(output)
            outputs = []
            for output in merged:
                if "_text" in output:
                    text = clean_data(terminal_text(output.pop("_text")))
                    if not text:
                        continue
                    output["text"] = text
                elif output["output_type"] == "error":
                    for key in ("ename", "evalue", "traceback"):
                        output[key] = clean_data(output[key])
                else:
                    _clean_bundle(output)
                outputs.append(output)
            self.outputs[:] = outputs
            foreign = list(self._foreign.values())
            for output in foreign:
                _clean_bundle(output)
        if redactor is not None:
            if secrets_changed:
                redactor.outputs([o for o in outputs if o["output_type"] != "stream"] + foreign)
                for output in outputs:
                    if output["output_type"] == "stream":
                        output["text"] = redactor.exact(output["text"])
            redactor.mark_clean(outputs)
            redactor.mark_clean(foreign)
        return self.outputs


def clean_bundle(data: dict[str, Any]) -> dict[str, Any]:
    """A MIME bundle with its ``text/*`` values cleaned (:func:`~codeact_magic.redaction.clean_data`: lone surrogates
    replaced, which ipykernel and nbformat refuse); other values (images, JSON) are kept as they are."""
    return {mime: clean_data(value) if mime.startswith(_TEXT_MIME_PREFIX) else value for mime, value in data.items()}


def _clean_bundle(output: Output) -> None:
    output["data"] = clean_bundle(output["data"])
