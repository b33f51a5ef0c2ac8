"""Security review 12: every socket the local stack's processes listen on is on loopback.

The stack's processes are those of its pid files (`var/pids`, or `PUEBLA_VAR_DIR`'s) and, when
this stack reuses a Keycloak it did not start, the process that listens on Keycloak's port. A
Keycloak started without `--cache=local` at `start` failed here: JGroups listened on
`[::ffff:192.0.2.2]:7800` and `*:57800`."""

from __future__ import annotations

import ipaddress
import socket

import psutil
import pytest

from puebla_dev.devstack import keycloak as dev_keycloak
from puebla_dev.devstack.processes import var_dir


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def stack_processes() -> dict[int, str]:
    found: dict[int, str] = {}
    for path in sorted((var_dir() / "pids").glob("*.pid")):
        try:
            pid = int(path.read_text().strip())
            process = psutil.Process(pid)
        except (ValueError, OSError, psutil.NoSuchProcess):
            continue  # a stale pid file: nothing listens for it
        found[pid] = path.stem
        for child in process.children(recursive=True):
            found.setdefault(child.pid, f"{path.stem} (child {child.name()})")
    if "keycloak" not in found.values():
        for conn in psutil.net_connections(kind="tcp"):
            if (
                conn.status == psutil.CONN_LISTEN
                and conn.laddr.port == dev_keycloak.DEFAULT_PORT
                and conn.pid is not None
            ):
                found[conn.pid] = "keycloak"
    return found


def listening(pid: int) -> list[tuple[str, int, str]]:
    """The process's listening TCP sockets and its bound, unconnected UDP sockets."""
    out = []
    try:
        connections = psutil.Process(pid).net_connections(kind="inet")
    except psutil.NoSuchProcess:
        return []
    for conn in connections:
        tcp = conn.type == socket.SOCK_STREAM
        if (tcp and conn.status == psutil.CONN_LISTEN) or (not tcp and not conn.raddr):
            out.append((conn.laddr.ip, conn.laddr.port, "tcp" if tcp else "udp"))
    return out


@pytest.mark.usefixtures("infra", "keycloak_url")
def test_every_listening_socket_of_the_stack_is_on_loopback() -> None:
    processes = stack_processes()
    assert "keycloak" in processes.values()
    assert {"postgres", "nats"} <= set(processes.values())

    sockets = {pid: listening(pid) for pid in processes}
    exposed = [
        f"{processes[pid]} (pid {pid}) {kind} {ip}:{port}"
        for pid, found in sockets.items()
        for ip, port, kind in found
        if not _loopback(ip)
    ]

    assert any(sockets.values())  # the check saw sockets at all
    assert exposed == []


def test_the_loopback_check_tells_loopback_from_the_rest() -> None:
    assert _loopback("127.0.0.1")
    assert _loopback("::1")
    assert _loopback("::ffff:127.0.0.1")
    assert not _loopback("0.0.0.0")
    assert not _loopback("::")
    assert not _loopback("::ffff:192.0.2.2")
    assert not _loopback("192.0.2.2")
