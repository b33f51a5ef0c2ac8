"""`python -m e2e.faults.restart <target>`: starts one killed part of the fault stack again.

Run with the fault stack's environment (`FaultStack.env`). Targets: `postgres`, `nats`,
`nats-c<n>` (whichever cluster nodes are missing), or `<service>-api` / `<service>-worker`
(whatever of that service is missing; waits until its API is ready).
"""

from __future__ import annotations

import sys

from puebla_dev.devstack import nats, postgres, stack
from puebla_dev.devstack.processes import port_open, var_dir, wait_for


def restart(target: str, cluster_base_port: int) -> None:
    if target == "postgres":
        postgres.start(stack.pg_port())
    elif target == "nats":
        nats.start(port=stack.nats_port(), monitor_port=nats.MONITOR_PORT + stack.port_offset())
    elif target.startswith("nats-c"):
        nats.start_cluster(nats.cluster_nodes(cluster_base_port), var_dir() / "nats-cluster")
    else:
        # As a supervisor would: the service's dependencies first (an API exits on start
        # without its database), then whatever of the service is missing.
        wait_for(lambda: port_open(stack.pg_port()), timeout=120, what="PostgreSQL")
        service = target.rsplit("-", 1)[0]
        stack.start_services([s for s in stack.load_services() if s.name == service])


def main(argv: list[str]) -> int:
    target, base = argv[0], int(argv[1]) if len(argv) > 1 else 26222  # harness.CLUSTER_BASE_PORT
    restart(target, base)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
