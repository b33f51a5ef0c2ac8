"""The processes a benchmark starts for itself, and stops, by pid, when it is done.

Nothing here touches the running stack's processes: the bench's own copies of a service (API
and worker, the same command lines the devstack uses), the bare baseline and a private NATS
server all get free ports, their own logs under var/bench/logs, and are ended by their pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from puebla_dev.devstack import audit_keys
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import repo_root

BENCH_DIR = repo_root() / "var" / "bench"
LOG_DIR = BENCH_DIR / "logs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(5)


def spawn(name: str, argv: list[str], *, env: dict[str, str], port: int | None = None) -> Proc:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
            cwd=repo_root(),
            start_new_session=True,
        )
    return Proc(name, popen, log_path, port)


def wait_http(proc: Proc, path: str = "/readyz", timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited; last log lines:\n{proc.tail()}")
        try:
            if httpx.get(f"{proc.url}{path}", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} not ready in {timeout}s; last log lines:\n{proc.tail()}")


def uvicorn_argv(app: str, port: int, *, workers: int = 1) -> list[str]:
    """The devstack's command line for a service API: one uvicorn process, no access log;
    with `workers` > 1, uvicorn's supervisor and that many worker processes on one socket."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        *(["--workers", str(workers)] if workers > 1 else []),
    ]


AUDITED = ["repatriation", "child_protection", "reserve_fund", "consular"]
# As at `make up`: child_protection seals with its public DEV-ONLY key in dev only.
DEV = {"PUEBLA_ENV": "dev"}


def service_env(service: str, database: str, nats_url: str) -> dict[str, str]:
    return {
        f"{service.upper()}_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        "PUEBLA_NATS_SERVERS": nats_url,
        # The bench's copies sign in as the services do (the bus checks every permission).
        "PUEBLA_NATS_CREDENTIALS": str(dev_nats.credentials(service)),
        # Its audit checkpoint key, as the devstack gives it (a worker refuses to start without).
        **audit_keys.service_env(service, AUDITED),
        **DEV,
    }


def start_service_api(
    service: str, database: str, nats_url: str, *, tag: str, workers: int = 1
) -> Proc:
    port = free_port()
    proc = spawn(
        f"{tag}-{service}-api",
        uvicorn_argv(f"{service}.entrypoints.api.app:create_app", port, workers=workers),
        env=service_env(service, database, nats_url),
        port=port,
    )
    wait_http(proc)
    return proc


def start_service_worker(service: str, database: str, nats_url: str, *, tag: str) -> Proc:
    return spawn(
        f"{tag}-{service}-worker",
        [sys.executable, "-m", f"{service}.entrypoints.worker"],
        env=service_env(service, database, nats_url),
    )


def start_private_nats() -> Proc:
    """A NATS server of the bench's own, with the local stack's configuration (JetStream,
    `sync_interval: always`): the bench's copies of the services publish there, so none of
    their events reaches the running stack's consumers."""
    port, monitor = free_port(), free_port()
    store = BENCH_DIR / "nats"
    store.mkdir(parents=True, exist_ok=True)
    proc = spawn(
        "bench-nats",
        [
            str(dev_nats.server_binary()),
            "-c",
            str(dev_nats.server_config(repo_root() / "deploy" / "nats" / "local.conf", "bench")),
        ],
        env={
            "NATS_STORE_DIR": str(store),
            "NATS_PORT": str(port),
            "NATS_MONITOR_PORT": str(monitor),
            "NATS_SERVER_NAME": "bench-nats",
            "NATS_JETSTREAM_KEY": dev_nats.jetstream_key(),
        },
        port=port,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.3):
            return proc
        time.sleep(0.1)
    raise RuntimeError(f"private NATS did not start:\n{proc.tail()}")


def nats_url(proc: Proc) -> str:
    return f"nats://127.0.0.1:{proc.port}"
