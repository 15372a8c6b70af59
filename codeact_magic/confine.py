"""The launcher of an isolated kernel: resource limits and no network, set before the kernel's own program starts.

``python -m codeact_magic.confine [LIMITS] [--no-network] -- CMD ...`` sets the limits on itself, leaves the network,
then replaces itself with ``CMD`` (``os.execvp``), so the kernel process is this process (same pid: the kernel
manager's interrupt and kill reach it) and inherits all of it. :mod:`codeact_magic.kernels` puts it in front of the
kernel's command.

What is enforced, and by whom (the Linux kernel, not the prompt):

- **Resource limits** (``setrlimit(2)``, inherited by every child the code starts):
  ``--cpu-s`` (``RLIMIT_CPU``, CPU seconds of each process: past it, ``SIGXCPU`` ends the kernel),
  ``--memory-bytes`` (``RLIMIT_AS``, the address space of each process: an allocation past it fails, which Python
  raises as ``MemoryError``), ``--file-bytes`` (``RLIMIT_FSIZE``, the largest file a process may write: past it a
  write fails with ``EFBIG``; ``SIGXFSZ`` is ignored here so Python raises ``OSError`` rather than the kernel dying),
  ``--processes`` (``RLIMIT_NPROC``, processes and threads of the user; Linux counts them per user, and exempts
  root, so it binds only a kernel run by another user). 0 leaves a limit as it is; a limit is never raised above its
  hard limit.
- **No network** (``--no-network``): ``unshare(CLONE_NEWUSER | CLONE_NEWNET)`` puts the process in a new user
  namespace (which lets an unprivileged user do it) and a new network namespace, which has only a loopback
  interface, down. Every connection, to the internet or to a port of this machine, fails (``ENETUNREACH``). The
  user and group ids are mapped to themselves, so files keep their owners. The kernel then talks to its client over
  Unix sockets (ZeroMQ's ``ipc`` transport), which are files and so cross network namespaces, where loopback TCP
  does not. See ``user_namespaces(7)``, ``network_namespaces(7)``.

What is not enforced: the file system. The kernel runs in its own working directory but may read and write wherever
the user may.

When ``--no-network`` cannot be had (not Linux; unprivileged user namespaces disabled, as some distributions and
container runtimes do), the launcher exits with status :data:`EXIT_NO_NAMESPACE` after one line on stderr, and
nothing runs: :func:`network_isolation` finds that out before a kernel is started.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["EXIT_NO_NAMESPACE", "confine_command", "main", "network_isolation"]

#: Exit status of the launcher when the network namespace could not be made (nothing was run).
EXIT_NO_NAMESPACE = 125
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000
_LIMITS = {"cpu_s": "RLIMIT_CPU", "memory_bytes": "RLIMIT_AS", "file_bytes": "RLIMIT_FSIZE",
           "processes": "RLIMIT_NPROC"}


def confine_command(command: Sequence[str], cpu_s: int = 0, memory_bytes: int = 0, file_bytes: int = 0,
                    processes: int = 0, network: bool = False) -> list[str]:
    """``command`` run through this launcher with those limits.

    Parameters
    ----------
    command : sequence of str
        The program and its arguments (a kernel's ``argv``).
    cpu_s, memory_bytes, file_bytes, processes : int
        The limits (CPU seconds, bytes of address space, bytes of the largest file, processes and threads); 0 for
        none.
    network : bool
        Whether the command keeps the network; ``False`` runs it in a network namespace of its own.

    Returns
    -------
    list of str
        ``[sys.executable, "-m", "codeact_magic.confine", ..., "--", *command]``.
    """
    argv = [sys.executable, "-m", "codeact_magic.confine"]
    for name, value in (("cpu-s", cpu_s), ("memory-bytes", memory_bytes), ("file-bytes", file_bytes),
                        ("processes", processes)):
        if value:
            argv += [f"--{name}", str(int(value))]
    if not network:
        argv.append("--no-network")
    return [*argv, "--", *command]


def _unshare_network() -> None:
    """Enter a new user and network namespace, mapping this process's ids to themselves.

    Raises
    ------
    OSError
        When the system refuses (``EPERM``, ``EINVAL``, ``ENOSPC``: user namespaces off or at their limit), or on a
        platform without ``unshare(2)``.
    """
    if not sys.platform.startswith("linux"):
        raise OSError(f"network namespaces are Linux's; this is {sys.platform}")
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"unshare(CLONE_NEWUSER | CLONE_NEWNET): {os.strerror(code)}")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as file:
            file.write(text)


def _set_limits(limits: dict[str, int]) -> None:
    import resource

    for name, value in limits.items():
        if not value:
            continue
        which = getattr(resource, _LIMITS[name])
        _soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        # CPU: SIGXCPU at the soft limit (the kernel ends, and says why), SIGKILL 5 s later if it is caught
        top = value + 5 if name == "cpu_s" else value
        top = top if hard == resource.RLIM_INFINITY else min(top, hard)
        resource.setrlimit(which, (value, top))
    if limits.get("file_bytes"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead


def main(argv: Sequence[str] | None = None) -> int:
    """Set the limits, leave the network, and ``exec`` the command; returns only on failure (the exit status)."""
    parser = argparse.ArgumentParser(prog="python -m codeact_magic.confine", description=__doc__.splitlines()[0])
    for name in _LIMITS:
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=0)
    parser.add_argument("--no-network", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    _set_limits({name: getattr(args, name) for name in _LIMITS})
    if args.no_network:
        try:
            _unshare_network()
        except OSError as refused:
            print(f"codeact: no network namespace for the isolated kernel: {refused.strerror or refused}",
                  file=sys.stderr)
            return EXIT_NO_NAMESPACE
    try:
        os.execvp(command[0], command)
    except OSError as failed:
        print(f"codeact: cannot start {command[0]}: {failed}", file=sys.stderr)
        return 127
    return 127  # not reached


@functools.lru_cache(maxsize=1)
def network_isolation() -> str | None:
    """Whether a process can be started without network here: ``None`` when it can, else the one-line reason.

    It starts the launcher once (about 50 ms) with ``--no-network`` around a Python that tries to connect to this
    machine; the answer is kept for the life of the process.
    """
    probe = ("import socket\ns = socket.socket()\ns.settimeout(1)\n"
             "raise SystemExit(0 if s.connect_ex(('127.0.0.1', 9)) in (101, 113, 111) else 3)")
    # 101 ENETUNREACH (no interface up: the namespace); 111 ECONNREFUSED would mean loopback is up and reachable
    try:
        done = subprocess.run(confine_command([sys.executable, "-c", probe]), capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired) as failed:
        return f"the launcher did not run: {failed}"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1].removeprefix("codeact: ") if lines else f"the launcher exited with status {done.returncode}"


if __name__ == "__main__":
    sys.exit(main())
