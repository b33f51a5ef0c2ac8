"""Small helpers for starting and stopping local servers by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil


class StackError(RuntimeError):
    """A one-line explanation for the person running the stack (no stack trace)."""


def repo_root() -> Path:
    # dev/src/puebla_dev/devstack/processes.py -> repo root is four levels up from `puebla`.
    return Path(__file__).resolve().parents[4]


def var_dir() -> Path:
    path = Path(os.environ.get("PUEBLA_VAR_DIR", repo_root() / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def wait_for(predicate: object, *, timeout: float, what: str, interval: float = 0.2) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise StackError(f"{what} did not become ready within {timeout:.0f} s")


def pidfile(name: str) -> Path:
    d = var_dir() / "pids"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{name}.pid"


def write_pid(name: str, pid: int) -> None:
    pidfile(name).write_text(str(pid))


def read_pid(name: str) -> int | None:
    path = pidfile(name)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if not psutil.pid_exists(pid):
        path.unlink(missing_ok=True)
        return None
    try:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            path.unlink(missing_ok=True)
            return None
    except psutil.NoSuchProcess:
        return None
    return pid


def stop_pid(name: str, *, timeout: float = 20.0, sig: int = signal.SIGTERM) -> bool:
    """Stops the process group recorded under `name`; True if something was running."""
    return bool(stop_pids([name], timeout=timeout, sig=sig))


def stop_pids(names: list[str], *, timeout: float = 20.0, sig: int = signal.SIGTERM) -> list[str]:
    """Stops the process groups recorded under `names` at once: every one is signalled, then
    each is waited for (SIGKILL past `timeout`). One after the other, ten services that take
    two seconds each to shut down gracefully cost twenty; together, two. Returns the names
    that were running."""
    running = [(name, pid) for name in names if (pid := read_pid(name)) is not None]
    for _, pid in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
    deadline = time.monotonic() + timeout
    for name, pid in running:
        try:
            psutil.Process(pid).wait(timeout=max(deadline - time.monotonic(), 0.1))
        except psutil.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
                psutil.Process(pid).wait(timeout=5)
        except psutil.NoSuchProcess:
            pass
        pidfile(name).unlink(missing_ok=True)
    return [name for name, _ in running]


def spawn(
    name: str,
    argv: list[str],
    *,
    log_path: Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it open
    proc = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        user=user,
        cwd=cwd,
        start_new_session=True,  # its own process group: stopped by pid, Ctrl-C is ours
    )
    log.close()
    write_pid(name, proc.pid)
    return proc


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
