"""A real ipykernel driven through jupyter_client, with its iopub messages collected per execute."""

from __future__ import annotations

import dataclasses
import os
import queue
import time
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager


def tool_results(request: Any) -> list[dict[str, Any]]:
    """The ``tool_result`` blocks of a stand-in request's last message (what the model read of the steps)."""
    return [b for b in request.body["messages"][-1]["content"] if b.get("type") == "tool_result"]


def runs_table(stdout: str) -> list[dict[str, str]]:
    """The rows of ``%codeact runs``' table (header, rows newest first, a totals line), as dicts keyed by the
    header's words; the totals line is left out."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    header = lines[0].split()
    assert header == ["run", "started", "status", "steps", "tokens", "cost", "task"], lines[0]
    assert lines[-1].startswith("total: "), lines[-1]
    rows = []
    for line in lines[1:-1]:
        run_id, day, clock, status, steps, tokens, cost, task = line.split(maxsplit=7)
        rows.append({"run": run_id, "started": f"{day} {clock}", "status": status, "steps": steps, "tokens": tokens,
                     "cost": cost, "task": task})
    return rows


def export_run(kernel: "Kernel", path: Any) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    """``%codeact export PATH`` the kernel's last run; the notebook (validated) and its ``metadata.codeact.run``."""
    result = kernel.execute(f"%codeact export {path}")
    assert result.status == "ok", result.text
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    return notebook, notebook.metadata["codeact"]["run"]


@dataclasses.dataclass
class Executed:
    reply: dict[str, Any]
    messages: list[dict[str, Any]]
    prompts: list[str] = dataclasses.field(default_factory=list)  # the input_request prompts it answered

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def outputs(self, kind: str | None = None) -> list[dict[str, Any]]:
        kinds = ("stream", "display_data", "execute_result", "error", "update_display_data")
        return [m for m in self.messages if m["msg_type"] in kinds and (kind is None or m["msg_type"] == kind)]

    @property
    def error(self) -> dict[str, Any]:
        """The execute_reply's error fields (``ename``, ``evalue``, ``traceback``); empty when it did not fail."""
        content = self.reply["content"]
        return {k: content[k] for k in ("ename", "evalue", "traceback") if k in content}

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.outputs("stream") if m["content"]["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.outputs("stream") if m["content"]["name"] == "stderr")

    @property
    def text(self) -> str:
        """Every text the cell showed: streams, text/plain of displays and results, error lines."""
        parts = []
        for m in self.outputs():
            c = m["content"]
            if m["msg_type"] == "stream":
                parts.append(c["text"])
            elif m["msg_type"] == "error":
                parts.append("\n".join(c["traceback"]))
            else:
                parts.append(str(c.get("data", {}).get("text/plain", "")))
        return "\n".join(parts)

    def codeact(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The codeact protocol messages (comm_open/comm_msg data) published during the execute."""
        found = []
        for m in self.messages:
            if m["msg_type"] in ("comm_msg", "comm_open"):
                data = m["content"].get("data") or {}
                if data.get("protocol") == "codeact" and (kind is None or data.get("type") == kind):
                    found.append(data)
        return found


class Kernel:
    """Start an ipykernel with ``env`` added to this process's environment (``None`` values remove a variable)."""

    def __init__(self, env: dict[str, str | None] | None = None, cwd: str | None = None) -> None:
        full = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                full.pop(key, None)
            else:
                full[key] = value
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=full, cwd=cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def execute(self, code: str, timeout: float = 120, metadata: dict | None = None, on_message=None,
                stdin: Any = None) -> Executed:
        """Run ``code`` as a cell; ``stdin`` (a list of replies, or ``reply(prompt) -> str``) answers the kernel's
        ``input_request`` messages as a frontend does (the request then has ``allow_stdin``); the prompts asked are
        in ``Executed.prompts``."""
        replies = (lambda prompt, queue=list(stdin): queue.pop(0)) if isinstance(stdin, list) else stdin
        prompts: list[str] = []
        msg = self.kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                       "user_expressions": {}, "allow_stdin": stdin is not None,
                                                       "stop_on_error": False})
        if metadata:
            msg["metadata"].update(metadata)
        self.kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        messages = []
        deadline = time.monotonic() + timeout
        idle = False
        while not idle:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no idle after {timeout} s; got {[m['msg_type'] for m in messages]}")
            if replies is not None:
                try:
                    request = self.kc.get_stdin_msg(timeout=0.01)
                except queue.Empty:
                    pass
                else:
                    prompts.append(request["content"]["prompt"])
                    self.kc.input(replies(request["content"]["prompt"]))
            try:
                m = self.kc.get_iopub_msg(timeout=min(remaining, 0.05 if replies is not None else 1))
            except queue.Empty:
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            m["msg_type"] = m["header"]["msg_type"]
            messages.append(m)
            if on_message:
                on_message(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                idle = True
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        return Executed(reply, messages, prompts)

    def open_frontend(self, widgets: bool = True) -> str:
        """Open a comm to the kernel's ``codeact`` target, as the JupyterLab extension does (with a ``sync``), so
        the kernel knows a frontend inserts the runs' cells; ``widgets=False`` as ``codeact run`` does. Returns the
        comm id."""
        import uuid

        comm_id = uuid.uuid4().hex
        data = {"protocol": "codeact", "version": 1, "type": "sync"}
        if not widgets:
            data["widgets"] = False
        msg = self.kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "codeact", "data": data})
        self.kc.shell_channel.send(msg)
        self.execute("pass")  # the kernel handles shell messages in order: the comm is open once this is done
        return comm_id

    def close_frontend(self, comm_id: str) -> None:
        """Close a comm opened by :meth:`open_frontend`."""
        self.kc.shell_channel.send(self.kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}}))
        self.execute("pass")

    def value(self, expression: str) -> Any:
        import json

        result = self.execute(f"import json as _j; print(_j.dumps({expression}))")
        assert result.status == "ok", result.text
        return json.loads(result.stdout.strip().splitlines()[-1])

    def interrupt(self) -> None:
        self.km.interrupt_kernel()

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
