"""Drive a real ``jupyter lab`` in Debian's Chromium with Playwright: start the server, open notebooks, run cells and
read what the page shows. Used by ``tests/ui/`` and ``benchmarks/bench_ui_insert.py``.

The server runs on 127.0.0.1 with a token, a temporary root dir and its own settings, workspaces and runtime dirs,
so nothing of the user's JupyterLab state leaks in or out. Kernels inherit its environment (``ANTHROPIC_BASE_URL``
pointing at the stand-in, a test key).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LabServer", "NotebookPage", "make_notebook", "missing_requirements"]

CHROMIUM = os.environ.get("CODEACT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]

#: Settings written before the server starts: no news or update toasts over the page.
_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}


def missing_requirements() -> str | None:
    """Why the UI tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    try:
        out = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"cannot run jupyter labextension list: {error}"
    listing = out.stdout + out.stderr
    if "codeact-magic" not in listing or "enabled" not in listing.split("codeact-magic", 1)[1].split("\n", 1)[0]:
        return "the codeact-magic JupyterLab extension is not installed and enabled (pip install -e .)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_notebook(path: Path, cells: list[tuple[str, str, str]]) -> Path:
    """Write a notebook of ``(id, cell_type, source)`` cells with a Python 3 kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    for cell_id, kind, source in cells:
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        cell["id"] = cell_id
        nb.cells.append(cell)
    nbformat.write(nb, str(path))
    return path


class LabServer:
    """``jupyter lab`` on 127.0.0.1 with a token and a temporary root dir.

    Parameters
    ----------
    base : Path
        An empty directory: the root dir is ``base / "root"``; settings, workspaces and runtime go beside it.
    env : dict
        Added to the server's (and so the kernels') environment; a None value removes the variable.
    """

    def __init__(self, base: Path, env: dict[str, str | None] | None = None) -> None:
        self.base = base
        self.root = base / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings = base / "settings"
        for name, value in _SETTINGS.items():
            target = self.settings / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = base / "jupyter-lab.log"
        full = dict(os.environ)
        full.update({
            "JUPYTERLAB_SETTINGS_DIR": str(self.settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "IPYTHONDIR": str(base / "ipython"),
            "MPLBACKEND": "agg",
        })
        for key, value in (env or {}).items():
            if value is None:
                full.pop(key, None)
            else:
                full[key] = value
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
             "--LabApp.news_url=", "--ServerApp.allow_root=True"],
            env=full, cwd=str(self.root), stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET", body: Any = None) -> Any:
        """Call the server's REST API; returns the decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path.lstrip('/')}", data=data,
                                         method=method, headers={"Authorization": f"token {self.token}",
                                                                 "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log()}")
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise TimeoutError(f"jupyter lab did not start in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def close(self) -> None:
        for session in self._safe("sessions") or []:
            try:
                self.api(f"kernels/{session['kernel']['id']}", method="DELETE")
            except Exception:  # noqa: BLE001
                pass
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()

    def _safe(self, path: str) -> Any:
        try:
            return self.api(path)
        except Exception:  # noqa: BLE001
            return None

    def __enter__(self) -> LabServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The notebook panel in front (JupyterLab hides the others with lm-mod-hidden).
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# What the page shows of the current notebook: one dict per cell, in order.
_READ_CELLS = """
(root) => {
  const panel = document.querySelector(root);
  if (!panel) return [];
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  return cells.map(cell => {
    const prompt = cell.querySelector('.jp-InputPrompt');
    const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText);
    const editor = cell.querySelector('.cm-content');
    const rendered = cell.querySelector('.jp-MarkdownOutput');
    return {
      type: cell.classList.contains('jp-CodeCell') ? 'code' : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
      codeact: cell.classList.contains('jp-codeact-Cell'),
      role: cell.dataset.codeactRole || null,
      run: cell.dataset.codeactRun || null,
      label: cell.dataset.codeactLabel || null,
      prompt: prompt ? prompt.innerText.trim() : '',
      source: editor ? editor.innerText : '',
      text: rendered ? rendered.innerText : '',
      outputs,
      active: cell.classList.contains('jp-mod-active'),
    };
  });
}
"""


class NotebookPage:
    """A notebook open in a Playwright page (JupyterLab, or Notebook 7 with ``app="notebooks"``)."""

    def __init__(self, page: Any, server: LabServer, path: str, app: str | None = None) -> None:
        self.page = page
        self.server = server
        self.path = path
        # one JupyterLab workspace per notebook, so that tabs of earlier tests are not restored
        self.app = app or f"lab/workspaces/{Path(path).stem}/tree"

    def open(self, timeout: float = 60_000) -> NotebookPage:
        self.page.goto(self.server.url(f"{self.app}/{self.path}"))
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60_000) -> None:
        """The notebook is shown, the server has started its kernel and the page is connected to it, idle."""
        self.page.wait_for_selector(f"{CURRENT} .jp-Notebook .jp-Cell", timeout=timeout)
        deadline = time.monotonic() + timeout / 1000
        while time.monotonic() < deadline:
            sessions = self.server._safe("sessions") or []
            if any(s.get("path") == self.path and s.get("kernel", {}).get("execution_state") == "idle"
                   for s in sessions):
                break
            time.sleep(0.2)
        self.wait_idle(timeout)

    def wait_idle(self, timeout: float = 60_000) -> None:
        """The page shows the notebook's kernel idle and connected (the server's state when the toolbar is too narrow
        to show the indicator)."""
        deadline = time.monotonic() + timeout / 1000
        while True:
            shown = self.page.evaluate(
                """(root) => {
                  const panel = document.querySelector(root);
                  const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
                  const name = panel && panel.querySelector('.jp-KernelName, .jp-Toolbar-kernelName');
                  if (!indicator) return null;
                  return indicator.dataset.status === 'idle' && (!name || !/No Kernel/i.test(name.textContent || ''));
                }""", CURRENT)
            if shown is None:
                sessions = self.server._safe("sessions") or []
                shown = any(s.get("path") == self.path and s.get("kernel", {}).get("execution_state") == "idle"
                            for s in sessions)
            if shown:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel of {self.path} did not become idle")
            time.sleep(0.1)

    def cells(self) -> list[dict[str, Any]]:
        return self.page.evaluate(_READ_CELLS, CURRENT)

    def cell(self, index: int) -> Any:
        return self.page.locator(f"{CURRENT} .jp-Notebook .jp-Cell").nth(index)

    def run_cell(self, index: int, keys: str = "Shift+Enter", timeout: float = 10) -> None:
        """Click into cell `index`'s editor and run it with `keys`; returns once its prompt changed (it runs)."""
        cell = self.cell(index)
        prompt = cell.locator(".jp-InputPrompt").first
        focused = "el => el.classList.contains('jp-mod-active') && !!el.querySelector('.cm-editor.cm-focused')"
        for _attempt in range(3):
            try:
                cell.scroll_into_view_if_needed(timeout=10_000)
                cell.locator(".cm-content").click()
                deadline = time.monotonic() + timeout
                while not cell.evaluate(focused):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the cell's editor did not get the focus")
                    time.sleep(0.05)
                before = prompt.inner_text().strip()
            except Exception:  # noqa: BLE001 - re-rendered under us: try again
                time.sleep(0.5)
                continue
            self.page.keyboard.press(keys)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if prompt.inner_text().strip() != before:
                    return
                time.sleep(0.05)
        raise TimeoutError(f"cell {index} did not start running")

    def open_panel(self) -> Any:
        """Show the codeact runs panel (right sidebar) and return its locator."""
        panel = self.page.locator("#codeact-runs")
        if not panel.is_visible():
            self.page.locator(".lm-TabBar-tab[data-id='codeact-runs']").click()
        panel.wait_for(state="visible", timeout=10_000)
        return panel

    def run_item(self, status: str | None = None) -> Any:
        """The panel's entries of finished runs (newest first), optionally of one status."""
        selector = "#codeact-runs .jp-codeact-RunItem"
        return self.page.locator(selector + (f"[data-status='{status}']" if status else ""))

    def inserted(self) -> list[dict[str, Any]]:
        """The cells a run inserted, in notebook order."""
        return [c for c in self.cells() if c["codeact"]]

    def save(self, timeout: float = 20) -> None:
        """Save with Ctrl+S and wait until the file on disk changed."""
        path = self.server.root / self.path
        before = path.stat().st_mtime_ns if path.exists() else 0
        self.page.locator(f"{CURRENT} .jp-Notebook").first.focus()
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists() and path.stat().st_mtime_ns != before:
                time.sleep(0.3)
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.path} was not saved")

    def set_source(self, index: int, source: str) -> None:
        """Replace the source of cell `index` by typing it."""
        self.cell(index).locator(".cm-content").click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(source)

    def read_file(self) -> nbformat.NotebookNode:
        return nbformat.read(str(self.server.root / self.path), as_version=4)

    def screenshot(self, name: str, selector: str | None = None) -> Path:
        """Save a screenshot of the page (or of the element `selector`) as ``tests/ui/artifacts/<name>``."""
        target = ARTIFACTS / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if selector:
            self.page.locator(selector).first.screenshot(path=str(target))
        else:
            self.page.screenshot(path=str(target))
        return target


ARTIFACTS = Path(__file__).parent / "artifacts"


def copy_log(server: LabServer, name: str) -> None:
    """Keep the server's log beside the screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(server.log_path, ARTIFACTS / name)
