"""A real Jupyter Kernel Gateway (``jupyter kernelgateway``, ``jupyter-websocket`` mode) on 127.0.0.1, for tests.

:class:`GatewayServer` starts it on a free port with a temporary runtime directory and working directory (the
directory its kernels run in), waits until ``GET /api`` answers, and on exit deletes its kernels and stops it::

    with GatewayServer() as gateway:
        ...  # gateway.url is "http://127.0.0.1:PORT"
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["GatewayServer", "free_port"]

#: Seconds the gateway has to answer ``GET /api`` after it is started.
START_TIMEOUT_S = 60.0
#: Seconds it has to exit after ``SIGTERM`` before it is killed.
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (as of now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GatewayServer:
    """A ``jupyter kernelgateway`` subprocess; a context manager.

    Parameters
    ----------
    auth_token : str, optional
        The token clients must send (``--KernelGatewayApp.auth_token``); none by default.
    env_whitelist : list of str, optional
        Variables a client may set in a new kernel's environment besides ``KERNEL_*``
        (``--JupyterWebsocketPersonality.env_whitelist``).
    extra_args : list of str, optional
        More command-line options for the gateway.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT``, set by :meth:`start`.
    root_dir : pathlib.Path
        The gateway's working directory, which its kernels start in.
    """

    def __init__(self, auth_token: str | None = None, env_whitelist: list[str] | None = None,
                 extra_args: list[str] | None = None) -> None:
        self.auth_token = auth_token
        self.env_whitelist = list(env_whitelist or [])
        self.extra_args = list(extra_args or [])
        self.url = ""
        self.root_dir = Path()
        self._dir: str | None = None
        self._process: subprocess.Popen | None = None
        self._log_path: Path | None = None

    def log(self) -> str:
        """What the gateway wrote to stdout and stderr so far."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def request(self, method: str, path: str, timeout_s: float = 10.0) -> tuple[int, object]:
        """One REST call to the gateway (with its token); returns ``(status, decoded JSON body or None)``."""
        req = urllib.request.Request(self.url + path, method=method, data=b"{}" if method == "POST" else None)
        if self.auth_token:
            req.add_header("Authorization", f"token {self.auth_token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as response:
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            return error.code, None

    def kernel_ids(self) -> list[str]:
        """The ids of the gateway's running kernels (``GET /api/kernels``)."""
        status, kernels = self.request("GET", "/api/kernels")
        assert status == 200, status
        return [k["id"] for k in kernels]  # type: ignore[union-attr]

    def start(self) -> str:
        """Start the gateway and wait until it answers; returns :attr:`url`.

        Raises
        ------
        RuntimeError
            When it exits, or does not answer ``GET /api`` within :data:`START_TIMEOUT_S` seconds; the message ends
            with its output.
        """
        self._dir = tempfile.mkdtemp(prefix="codeact-kg-")
        self.root_dir = Path(self._dir, "root")
        self.root_dir.mkdir()
        self._log_path = Path(self._dir, "gateway.log")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "kernel_gateway",
                "--KernelGatewayApp.api=kernel_gateway.jupyter_websocket",
                "--KernelGatewayApp.ip=127.0.0.1", f"--KernelGatewayApp.port={port}",
                "--KernelGatewayApp.port_retries=0",  # fail, rather than listen on another port than self.url's
                "--KernelGatewayApp.default_kernel_name=python3",
                "--JupyterWebsocketPersonality.list_kernels=True"]
        if self.auth_token:
            argv.append(f"--KernelGatewayApp.auth_token={self.auth_token}")
        if self.env_whitelist:
            argv.append(f"--JupyterWebsocketPersonality.env_whitelist={','.join(self.env_whitelist)}")
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(Path(self._dir, "runtime"))}
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(argv + self.extra_args, cwd=self.root_dir, env=env,
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                output = self.log()
                self.stop()
                raise RuntimeError(f"jupyter kernelgateway exited ({self._process.returncode}):\n{output}")
            try:
                if self.request("GET", "/api", timeout_s=2.0)[0] == 200:
                    return self.url
            except OSError:
                pass
            if time.monotonic() > deadline:
                output = self.log()
                self.stop()
                raise RuntimeError(f"jupyter kernelgateway did not answer in {START_TIMEOUT_S:.0f} s:\n{output}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Shut its kernels down, stop it (``SIGTERM``, then ``SIGKILL``) and remove its directory; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                for kernel_id in self.kernel_ids():
                    self.request("DELETE", f"/api/kernels/{kernel_id}")
            except (OSError, AssertionError):
                pass
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> "GatewayServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
