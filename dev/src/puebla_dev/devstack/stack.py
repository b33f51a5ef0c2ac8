"""The local stack in one command: `python -m puebla_dev.devstack up` (what `make run` calls).

PostgreSQL, NATS JetStream and Keycloak on loopback, then each service's API and worker.
Prints the addresses, waits until everything answers, and on Ctrl-C (or `down` from another
shell) stops everything it started, by pid. Running it while it already runs is harmless:
whatever is running is reused.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx

from puebla_dev.devstack import audit_keys, keycloak, nats, postgres
from puebla_dev.devstack.processes import (
    StackError,
    log_tail,
    port_open,
    read_pid,
    repo_root,
    spawn,
    stop_pids,
    var_dir,
    wait_for,
)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def port_offset() -> int:
    """`PUEBLA_PORT_OFFSET` shifts every port but Keycloak's: a second, separate stack (with
    its own `PUEBLA_VAR_DIR`) can run beside the first, as the fault tests do."""
    return int(os.environ.get("PUEBLA_PORT_OFFSET", "0"))


def pg_port() -> int:
    return postgres.DEFAULT_PORT + port_offset()


def nats_port() -> int:
    return nats.DEFAULT_PORT + port_offset()


def external_nats() -> list[str]:
    """`PUEBLA_DEVSTACK_NATS_SERVERS` (comma list) points the stack at a NATS it does not run,
    e.g. a three-node cluster (the fault tests'): it is then neither started nor stopped here."""
    raw = os.environ.get("PUEBLA_DEVSTACK_NATS_SERVERS", "")
    return [s.strip() for s in raw.split(",") if s.strip()]


def nats_servers() -> list[str]:
    return external_nats() or [f"nats://127.0.0.1:{nats_port()}"]


def load_services() -> list[ServiceSpec]:
    config = tomllib.loads((repo_root() / "deploy" / "local" / "stack.toml").read_text())
    return [ServiceSpec(s["name"], int(s["port"]) + port_offset()) for s in config["services"]]


def _stack_config() -> dict[str, object]:
    return tomllib.loads((repo_root() / "deploy" / "local" / "stack.toml").read_text())


CONSOLE = "console"


def console_port() -> int:
    section = _stack_config().get(CONSOLE)
    port = section.get("port", 8000) if isinstance(section, dict) else 8000
    return int(port) + port_offset()


def console_url() -> str:
    """The console's one origin: `localhost` (the realm's redirect URIs), served on 127.0.0.1."""
    return f"http://localhost:{console_port()}"


def console_env() -> dict[str, str]:
    """The console's database (its sessions) and where it finds the four APIs."""
    urls = postgres.service_urls(CONSOLE, pg_port())
    return {
        "CONSOLE_DATABASE_URL": urls[0],
        "CONSOLE_MIGRATION_DATABASE_URL": urls[1],
        "CONSOLE_PUBLIC_URL": console_url(),
        **{f"CONSOLE_{s.name.upper()}_URL": s.url for s in load_services()},
        "PUEBLA_ENV": "dev",
    }


# Each process's Prometheus listener (`PUEBLA_METRICS_PORT`): its API's port + 1100 for the
# API (the console's 8000 → 9100, repatriation's 8001 → 9101), + 1200 for the worker (9201...).
API_METRICS_SHIFT = 1100
WORKER_METRICS_SHIFT = 1200


def metrics_env(port: int, shift: int) -> dict[str, str]:
    return {"PUEBLA_METRICS_PORT": str(port + shift)}


def metrics_targets() -> dict[str, list[str]]:
    """What a local Prometheus scrapes: `host:port` of every process, by job name."""
    targets = {"console": [f"127.0.0.1:{console_port() + API_METRICS_SHIFT}"]}
    for s in load_services():
        targets[f"{s.name}-api"] = [f"127.0.0.1:{s.port + API_METRICS_SHIFT}"]
        targets[f"{s.name}-worker"] = [f"127.0.0.1:{s.port + WORKER_METRICS_SHIFT}"]
    return targets


def service_env(name: str) -> dict[str, str]:
    """What a service process needs to find this stack's database and NATS."""
    return {
        # Runs as `<db>`, owning nothing; migrates as `<db>_owner` (devstack/postgres.py).
        f"{name.upper()}_DATABASE_URL": postgres.service_urls(name, pg_port())[0],
        f"{name.upper()}_MIGRATION_DATABASE_URL": postgres.service_urls(name, pg_port())[1],
        **audit_keys.service_env(name, [s.name for s in load_services()]),
        "PUEBLA_NATS_SERVERS": ",".join(nats_servers()),
        # Its own bus user: it publishes only its context's subjects (messaging/permissions).
        "PUEBLA_NATS_CREDENTIALS": str(nats.credentials(name)),
        # The devstack is dev: child_protection may seal with its public DEV-ONLY key here only.
        "PUEBLA_ENV": "dev",
    }


def _check_java() -> None:
    if shutil.which("java") is None and not Path("/usr/lib/jvm").exists():
        raise StackError("Java 17+ is needed for Keycloak: install a JDK (e.g. openjdk-17-jre)")


def start_infrastructure(
    *, with_keycloak: bool = True, wait_for_keycloak: bool = True
) -> list[str]:
    """Starts what is not running yet; returns the names of what it started.
    `wait_for_keycloak=False` returns while a Keycloak started here may still be booting (the
    test sessions wait for it themselves, and run what needs none meanwhile)."""
    started: list[str] = []
    kc_proc = None
    kc_log = var_dir() / "logs" / "keycloak.log"
    if with_keycloak:
        _check_java()
        if not keycloak.reusable():
            keycloak.ensure_distribution(var_dir())
            kc_proc = keycloak.start(
                var_dir(), repo_root() / "deploy" / "keycloak", log_path=kc_log
            )
            started.append("keycloak")
    if postgres.start(pg_port()):
        started.append("postgres")
    if not external_nats() and nats.start(
        port=nats_port(),
        monitor_port=nats.MONITOR_PORT + port_offset(),
        leaf_port=nats.LEAF_PORT + port_offset(),
    ):
        started.append("nats")
    if _start_mail_sink():
        started.append("mail")
    asyncio.run(_prepare([s.name for s in load_services()] + [CONSOLE]))
    if kc_proc is not None and wait_for_keycloak:
        keycloak.wait_ready(proc=kc_proc, log_path=kc_log)
    return started


MAIL_PORT = 1025


def _start_mail_sink() -> bool:
    """A local SMTP server that prints every message to var/logs/mail.log: the consulates'
    e-mail of the local stack lands there (dev only; a real relay in production)."""
    port = MAIL_PORT + port_offset()
    if read_pid("mail") is not None:
        return False
    if port_open(port):
        raise StackError(f"port {port} (local mail sink) is taken by another program")
    spawn(
        "mail",
        [sys.executable, "-m", "aiosmtpd", "-n", "-u", "-l", f"127.0.0.1:{port}"],
        log_path=var_dir() / "logs" / "mail.log",
    )
    wait_for(lambda: port_open(port), timeout=20, what="the local mail sink")
    return True


async def _prepare(databases: list[str]) -> None:
    from puebla.config import PlatformSettings
    from puebla.messaging.provision import provision

    await postgres.ensure_databases(databases, pg_port())
    await postgres.ensure_service_roles(databases, pg_port())
    platform = PlatformSettings()
    # The services' replica count: R1 here would scale a cluster's R3 streams back down.
    await provision(
        nats_servers(),
        credentials=nats.credentials("provisioner"),
        replicas=platform.nats_stream_replicas,
        patience=platform.startup_wait_seconds,
    )


def start_services(
    services: list[ServiceSpec] | None = None, *, env: dict[str, str] | None = None
) -> list[str]:
    """Starts whatever of each service is not running; `env` is added to every process's
    environment (a test's tracing exporter, say)."""
    started: list[str] = []
    more = env or {}
    logs = var_dir() / "logs"
    for svc in services or load_services():
        api, worker = f"{svc.name}-api", f"{svc.name}-worker"
        if read_pid(api) is None:
            if port_open(svc.port):
                raise StackError(
                    f"port {svc.port} is taken by another program ({svc.name} needs it)"
                )
            spawn(
                api,
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"{svc.name}.entrypoints.api.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(svc.port),
                    "--no-access-log",
                ],
                log_path=logs / f"{api}.log",
                env={**service_env(svc.name), **metrics_env(svc.port, API_METRICS_SHIFT), **more},
            )
            started.append(api)
        if read_pid(worker) is None:
            spawn(
                worker,
                [sys.executable, "-m", f"{svc.name}.entrypoints.worker"],
                log_path=logs / f"{worker}.log",
                env={
                    **service_env(svc.name),
                    **metrics_env(svc.port, WORKER_METRICS_SHIFT),
                    **more,
                },
            )
            started.append(worker)
    for svc in services or load_services():
        api = f"{svc.name}-api"
        try:
            # An API that exits on start (e.g. its database is not there) fails now, not in 90 s.
            wait_for(
                lambda s=svc, a=api: ready(s) or read_pid(a) is None,
                timeout=90,
                what=f"{svc.name} (/readyz)",
            )
            if read_pid(api) is None:
                raise StackError(f"{svc.name}'s API exited while starting")
        except StackError as exc:
            tail = log_tail(logs / f"{api}.log")
            raise StackError(f"{exc}; last log lines:\n{tail}") from None
    return started


def ready(svc: ServiceSpec) -> bool:
    """The service answers `/readyz` with 200."""
    try:
        return httpx.get(f"{svc.url}/readyz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def console_command(port: int) -> list[str]:
    """The console's server on 127.0.0.1:`port` (its settings come from the environment)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "console.entrypoints.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]


def start_console() -> list[str]:
    """The officers' console, once the APIs it calls answer (start_services first)."""
    if read_pid(CONSOLE) is not None:
        return []
    port = console_port()
    if port_open(port):
        raise StackError(f"port {port} is taken by another program (the console needs it)")
    log = var_dir() / "logs" / "console.log"
    spawn(
        CONSOLE,
        console_command(port),
        log_path=log,
        env={**console_env(), **metrics_env(port, API_METRICS_SHIFT)},
    )
    spec = ServiceSpec(CONSOLE, port)
    try:
        wait_for(lambda: ready(spec) or read_pid(CONSOLE) is None, timeout=90, what="the console")
        if read_pid(CONSOLE) is None:
            raise StackError("the console exited while starting")
    except StackError as exc:
        raise StackError(f"{exc}; last log lines:\n{log_tail(log)}") from None
    return [CONSOLE]


def stop(names: list[str] | None = None) -> list[str]:
    """Stops the named processes (default: everything the stack knows): the console and the
    services together first, then what they use (the broker and the database last)."""
    services = [CONSOLE]
    services += [n for s in load_services() for n in (f"{s.name}-api", f"{s.name}-worker")]

    def wanted(group: list[str]) -> list[str]:
        return [n for n in group if names is None or n in names]

    stopped = stop_pids(wanted(services))
    stopped += stop_pids(wanted(["prometheus", "mail", "keycloak", "nats"]))
    if wanted(["postgres"]) and postgres.stop():
        stopped.append("postgres")
    return stopped


def addresses() -> str:
    lines = [f"  {'console':<17} {console_url()}   (sign in as border.gt.tecun / demo)"]
    lines += [f"  {s.name:<17} {s.url}   (docs: {s.url}/docs)" for s in load_services()]
    lines += [
        "  keycloak          http://127.0.0.1:8080   (realm rcm; demo users, password 'demo')",
        f"  nats              {nats_servers()[0]}   (nkeys: {nats.auth_dir()})",
        f"  postgres          postgresql://postgres@127.0.0.1:{pg_port()}",
        f"  mail (dev sink)   smtp://127.0.0.1:{MAIL_PORT + port_offset()}  -> logs/mail.log",
        f"  logs              {var_dir() / 'logs'}",
    ]
    return "\n".join(lines)


def up(*, detach: bool) -> int:
    t0 = time.monotonic()
    started: list[str] = []
    try:
        started += start_infrastructure()
        started += start_services()
        started += start_console()
    except StackError as exc:
        print(f"puebla: {exc}", file=sys.stderr)
        stop(started)
        return 1
    except KeyboardInterrupt:
        stop(started)
        return 130
    except Exception:
        # Unexpected: the traceback says more than a line would; but leave nothing half-started.
        stop(started)
        raise
    print(f"Puebla is up ({time.monotonic() - t0:.0f} s):\n{addresses()}")
    if detach:
        print("Stop it with `make stop`.")
        return 0
    print("Ctrl-C stops what this command started.")
    stop_event = {"stop": False}

    def _on_signal(*_: object) -> None:
        stop_event["stop"] = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    while not stop_event["stop"]:
        time.sleep(0.5)
    print("stopping:", ", ".join(stop(started)) or "nothing")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m puebla_dev.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    up_cmd = sub.add_parser("up", help="start the whole stack")
    up_cmd.add_argument("--detach", action="store_true", help="start and return")
    sub.add_parser("down", help="stop everything the stack started")
    sub.add_parser("status", help="what is running")
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(detach=args.detach)
    if args.command == "down":
        print("stopped:", ", ".join(stop()) or "nothing was running")
        return 0
    names = [n for s in load_services() for n in (f"{s.name}-api", f"{s.name}-worker")]
    for name in ["postgres", "nats", "keycloak", "mail", *names, CONSOLE, "prometheus"]:
        pid = read_pid(name)
        print(f"  {name:<26} {'running, pid ' + str(pid) if pid else 'stopped'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
