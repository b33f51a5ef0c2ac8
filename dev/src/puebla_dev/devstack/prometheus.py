"""Prometheus beside the local stack, when asked: `make observe` (the stack stays lean
otherwise). It scrapes every API, worker and the console on their metrics ports (the stack's
`metrics_targets`), every 5 s, and evaluates deploy/k8s/monitoring/alerts.yaml; its own page
is http://127.0.0.1:9090 (Graph, Alerts). Data lives under var/prometheus.

The binaries are Debian's `prometheus` package (Prometheus and promtool), installed when
missing — the alert-rule tests need promtool too. Its daemon never starts on installing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
import yaml

from puebla_dev.devstack import packages
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

NAME = "prometheus"
DEFAULT_PORT = 9090
SCRAPE_SECONDS = 5


def alert_rules() -> Path:
    return repo_root() / "deploy" / "k8s" / "monitoring" / "alerts.yaml"


def binary(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def ensure_tools() -> tuple[Path, Path]:
    """(prometheus, promtool): installed from Debian's packages when missing and possible."""
    server, tool = binary("prometheus"), binary("promtool")
    if server is None or tool is None:
        if not packages.can_install():
            raise packages.PackageMissing(
                "Prometheus and promtool are needed: install Debian's package "
                "(as root: apt-get install --no-install-recommends prometheus)"
            )
        packages.apt_install("prometheus")
        server, tool = binary("prometheus"), binary("promtool")
    if server is None or tool is None:
        raise packages.PackageMissing("apt-get installed prometheus, yet its binaries are missing")
    return server, tool


def config(targets: dict[str, list[str]]) -> dict[str, object]:
    """The scrape configuration: one job per process, named as the stack names them."""
    return {
        "global": {
            "scrape_interval": f"{SCRAPE_SECONDS}s",
            "evaluation_interval": f"{SCRAPE_SECONDS}s",
        },
        "rule_files": [str(alert_rules())],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": hosts}]}
            for job, hosts in sorted(targets.items())
        ],
    }


def start(targets: dict[str, list[str]], *, port: int = DEFAULT_PORT) -> bool:
    """Starts Prometheus on 127.0.0.1:`port` unless it runs; True when it started it."""
    if read_pid(NAME) is not None:
        return False
    if port_open(port):
        raise StackError(f"port {port} is taken by another program (Prometheus needs it)")
    server, _ = ensure_tools()
    home = var_dir() / "prometheus"
    home.mkdir(parents=True, exist_ok=True)
    config_file = home / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config(targets), sort_keys=False))
    log = var_dir() / "logs" / "prometheus.log"
    spawn(
        NAME,
        [
            str(server),
            f"--config.file={config_file}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=7d",
        ],
        log_path=log,
    )
    try:
        wait_for(
            lambda: ready(port) or read_pid(NAME) is None, timeout=60, what="Prometheus (/-/ready)"
        )
        if read_pid(NAME) is None:
            raise StackError("Prometheus exited while starting")
    except StackError as exc:
        raise StackError(f"{exc}; last log lines:\n{log_tail(log)}") from None
    return True


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def stop() -> list[str]:
    return stop_pids([NAME])


def main(argv: list[str] | None = None) -> int:
    """`make observe`: Prometheus for the running stack; `tools` (what `make test` runs
    first): only make sure the binaries are there."""
    from puebla_dev.devstack import stack

    if (argv if argv is not None else sys.argv[1:]) == ["tools"]:
        try:
            server, tool = ensure_tools()
        except packages.PackageMissing as exc:
            sys.stderr.write(f"puebla: {exc}\n")
            return 1
        sys.stdout.write(f"prometheus: {server}, promtool: {tool}\n")
        return 0

    port = DEFAULT_PORT + stack.port_offset()
    try:
        started = start(stack.metrics_targets(), port=port)
    except (StackError, packages.PackageMissing) as exc:
        sys.stderr.write(f"puebla: {exc}\n")
        return 1
    state = "started" if started else "already running"
    sys.stdout.write(
        f"Prometheus {state}: http://127.0.0.1:{port} (Graph, Alerts; stops with `make stop`)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
