"""Checks network-policies.yaml against the pods of deploy/k8s (security review 8), offline.

    python3 deploy/k8s/network_policy_check.py            # reads deploy/k8s's own files
    python3 deploy/k8s/network_policy_check.py rendered.yaml

Every pod (the Deployments' and other controllers' pod templates, plus the NATS Helm chart's
pods, whose labels are the chart's) must be selected by a default-deny policy for ingress and
egress and by at least one policy that allows it something; then each flow of FLOWS is
evaluated with Kubernetes' NetworkPolicy semantics (a connection passes when the source's
egress and the destination's ingress both allow it) and must be allowed or denied as listed.
validate.sh runs it on the rendered kustomization; e2e/tests/test_deploy_k8s.py imports it.
Needs PyYAML.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
NAMESPACE = "puebla"
CONTROLLERS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


@dataclass(frozen=True)
class Pod:
    name: str
    labels: Mapping[str, str]
    namespace: str = NAMESPACE
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)  # named container ports


@dataclass(frozen=True)
class Outside:
    """An address outside the cluster (PostgreSQL, a border post, the internet)."""

    ip: str


Endpoint = Pod | Outside


def _ns(name: str, **labels: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": name, **labels}


# Pods the kustomization does not render: the NATS chart's (release `nats`).
CHART_PODS = [
    Pod(
        "nats",
        {"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats"},
        ports={"nats": 4222, "cluster": 6222, "leafnodes": 7422, "monitor": 8222},
    ),
    Pod("nats-box", {"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats-box"}),
]
# Endpoints around the namespace, for the flows.
INGRESS_CONTROLLER = Pod(
    "ingress-nginx",
    {"app.kubernetes.io/name": "ingress-nginx"},
    namespace="ingress-nginx",
    namespace_labels=_ns("ingress-nginx"),
)
KUBE_DNS = Pod(
    "kube-dns",
    {"k8s-app": "kube-dns"},
    namespace="kube-system",
    namespace_labels=_ns("kube-system"),
)
ADMIN_HERE = Pod("admin-bastion", {"puebla.rcm/keycloak-admin": "true"})
ADMIN_ELSEWHERE = Pod(
    "admin-bastion",
    {"puebla.rcm/keycloak-admin": "true"},
    namespace="ops",
    namespace_labels=_ns("ops", **{"puebla.rcm/keycloak-admin": "true"}),
)
PROMETHEUS = Pod(
    "prometheus",
    {"app.kubernetes.io/name": "prometheus"},
    namespace="monitoring",
    namespace_labels=_ns("monitoring"),
)
SOME_POD = Pod("some-other-pod", {"app": "whatever"})
SOME_POD_ELSEWHERE = Pod(
    "some-other-pod", {"app": "whatever"}, namespace="other", namespace_labels=_ns("other")
)
POSTGRES = Outside("10.20.0.5")
SMTP_RELAY = Outside("10.20.1.5")
BORDER_POST = Outside("203.0.113.9")
INTERNET = Outside("198.51.100.7")


def documents_of(kustomization_dir: Path) -> list[dict[str, Any]]:
    """The objects a kustomization lists (resources only; generators make no pods)."""
    kustomization = yaml.safe_load((kustomization_dir / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = kustomization_dir / resource
        if path.is_dir():
            docs += documents_of(path)
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def pods_of(docs: Iterable[Mapping[str, Any]]) -> list[Pod]:
    pods = []
    for doc in docs:
        if doc.get("kind") in CONTROLLERS:
            template = doc["spec"]["template"]
        elif doc.get("kind") == "CronJob":
            template = doc["spec"]["jobTemplate"]["spec"]["template"]
        elif doc.get("kind") == "Pod":
            template = doc
        else:
            continue
        spec = template["spec"]
        ports = {
            port["name"]: port["containerPort"]
            for container in [*spec.get("initContainers", []), *spec["containers"]]
            for port in container.get("ports", [])
            if "name" in port
        }
        labels = template.get("metadata", {}).get("labels", {})
        pods.append(Pod(doc["metadata"]["name"], labels, ports=ports))
    return pods


def policies_of(docs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [d for d in docs if d.get("kind") == "NetworkPolicy"]


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _types(policy: Mapping[str, Any]) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


def selecting(policies: Iterable[Mapping[str, Any]], pod: Pod, kind: str) -> list[str]:
    return [
        p["metadata"]["name"]
        for p in policies
        if pod.namespace == NAMESPACE
        and kind in _types(p)
        and matches(p["spec"]["podSelector"], pod.labels)
    ]


def _peer(peer: Mapping[str, Any], other: Endpoint) -> bool:
    if "ipBlock" in peer:
        if not isinstance(other, Outside):
            return False
        ip = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        inside = ip in ipaddress.ip_network(block["cidr"])
        return inside and not any(ip in ipaddress.ip_network(e) for e in block.get("except", []))
    if not isinstance(other, Pod):
        return False
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != NAMESPACE:
        return False
    return "podSelector" not in peer or matches(peer["podSelector"], other.labels)


def _port(rule: Mapping[str, Any], port: int, target: Endpoint, protocol: str) -> bool:
    entries = rule.get("ports")
    if not entries:
        return True
    for entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            wanted = target.ports.get(wanted) if isinstance(target, Pod) else None
        if wanted == port:
            return True
    return False


def _side(
    policies: list[Mapping[str, Any]], pod: Pod, kind: str, other: Endpoint, port: int, proto: str
) -> bool:
    names = selecting(policies, pod, kind)
    if not names:
        return True  # not isolated (or outside this namespace: not ours to decide)
    key, peers = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    target = pod if kind == "Ingress" else other
    for policy in policies:
        if policy["metadata"]["name"] not in names:
            continue
        for rule in policy["spec"].get(key) or []:
            peer_ok = not rule.get(peers) or any(_peer(p, other) for p in rule[peers])
            if peer_ok and _port(rule, port, target, proto):
                return True
    return False


def allowed(
    policies: list[Mapping[str, Any]], src: Endpoint, dst: Endpoint, port: int, proto: str = "TCP"
) -> bool:
    out = not isinstance(src, Pod) or _side(policies, src, "Egress", dst, port, proto)
    into = not isinstance(dst, Pod) or _side(policies, dst, "Ingress", src, port, proto)
    return out and into


def flows(pods: list[Pod]) -> Iterator[tuple[str, Endpoint, Endpoint, int, bool]]:
    """(what, source, destination, port, allowed?) for the pods of the namespace."""
    by = {p.name: p for p in pods}
    apis = [p for p in pods if p.labels.get("app.kubernetes.io/component") == "api"]
    workers = [p for p in pods if p.labels.get("app.kubernetes.io/component") == "worker"]
    keycloak, nats, box = by["keycloak"], by["nats"], by["nats-box"]
    console = by["console"]
    for api in apis:
        http = api.ports["http"]
        yield f"ingress controller -> {api.name}", INGRESS_CONTROLLER, api, http, True
        yield f"a pod of the namespace -> {api.name}", SOME_POD, api, http, False
        yield f"a pod of another namespace -> {api.name}", SOME_POD_ELSEWHERE, api, http, False
        yield f"keycloak -> {api.name}", keycloak, api, http, False
        for other in apis:
            if other is not api:
                yield f"{api.name} -> {other.name}", api, other, other.ports["http"], False
        yield f"console -> {api.name}", console, api, http, True
        yield f"{api.name} -> console", api, console, console.ports["http"], False
    for worker in workers:
        yield f"ingress controller -> {worker.name}", INGRESS_CONTROLLER, worker, 8080, False
        yield f"console -> {worker.name}", console, worker, 8080, False
    # The metrics ports: Prometheus only (its namespace, its pods), never the ingress.
    for pod in [*apis, *workers, console]:
        metrics = pod.ports["metrics"]
        yield f"prometheus -> {pod.name} metrics", PROMETHEUS, pod, metrics, True
        yield f"ingress controller -> {pod.name} metrics", INGRESS_CONTROLLER, pod, metrics, False
        yield f"a pod of the namespace -> {pod.name} metrics", SOME_POD, pod, metrics, False
        if pod is not console:
            yield f"console -> {pod.name} metrics", console, pod, metrics, False
        yield f"prometheus -> {pod.name}, another port", PROMETHEUS, pod, 8080, False
    # The officers' console: reached only through the ingress controller; it reaches the
    # APIs (above), its database and Keycloak, never the bus.
    web = console.ports["http"]
    yield "ingress controller -> console", INGRESS_CONTROLLER, console, web, True
    yield "a pod of the namespace -> console", SOME_POD, console, web, False
    yield "a pod of another namespace -> console", SOME_POD_ELSEWHERE, console, web, False
    yield "keycloak -> console", keycloak, console, web, False
    yield "NATS -> console", nats, console, web, False
    yield "console -> PostgreSQL", console, POSTGRES, 5432, True
    yield "console -> Keycloak https (token, JWKS, logout)", console, keycloak, 8443, True
    yield "console -> Keycloak management", console, keycloak, 9000, False
    yield "console -> Keycloak JGroups", console, keycloak, 7800, False
    yield "console -> NATS clients", console, nats, 4222, False
    yield "console -> NATS leaf port", console, nats, 7422, False
    yield "console -> DNS", console, KUBE_DNS, 53, True
    yield "console -> SMTP relay", console, SMTP_RELAY, 25, False
    yield "console -> the internet", console, INTERNET, 443, False
    yield "console -> the ingress controller", console, INGRESS_CONTROLLER, 443, False
    yield (
        "Keycloak -> the ingress controller (back-channel logout)",
        keycloak,
        (INGRESS_CONTROLLER),
        443,
        True,
    )
    yield (
        "Keycloak -> the ingress controller, another port",
        keycloak,
        INGRESS_CONTROLLER,
        80,
        False,
    )
    for pod in [*apis, *workers]:
        yield f"{pod.name} -> PostgreSQL", pod, POSTGRES, 5432, True
        yield f"{pod.name} -> NATS clients", pod, nats, 4222, True
        yield f"{pod.name} -> NATS routes", pod, nats, 6222, False
        yield f"{pod.name} -> NATS leaf port", pod, nats, 7422, False
        yield f"{pod.name} -> Keycloak https (JWKS)", pod, keycloak, 8443, True
        yield f"{pod.name} -> Keycloak management", pod, keycloak, 9000, False
        yield f"{pod.name} -> Keycloak JGroups", pod, keycloak, 7800, False
        yield f"{pod.name} -> DNS", pod, KUBE_DNS, 53, True
        yield f"{pod.name} -> the internet", pod, INTERNET, 443, False
        is_consular = pod.labels.get("app.kubernetes.io/name") == "consular"
        yield f"{pod.name} -> SMTP relay", pod, SMTP_RELAY, 25, is_consular
    yield "ingress controller -> Keycloak https", INGRESS_CONTROLLER, keycloak, 8443, True
    yield "ingress controller -> Keycloak management", INGRESS_CONTROLLER, keycloak, 9000, False
    yield "ingress controller -> Keycloak JGroups", INGRESS_CONTROLLER, keycloak, 7800, False
    for admin in (ADMIN_HERE, ADMIN_ELSEWHERE):
        where = admin.namespace
        yield f"admin-labelled pod ({where}) -> Keycloak https", admin, keycloak, 8443, True
        yield f"admin-labelled pod ({where}) -> Keycloak management", admin, keycloak, 9000, True
    yield "a pod of the namespace -> Keycloak https", SOME_POD, keycloak, 8443, False
    yield "a pod of the namespace -> Keycloak management", SOME_POD, keycloak, 9000, False
    yield "a pod of another namespace -> Keycloak https", SOME_POD_ELSEWHERE, keycloak, 8443, False
    for port in (7800, 57800):
        yield f"Keycloak -> Keycloak {port}", keycloak, keycloak, port, True
        yield f"a pod of the namespace -> Keycloak {port}", SOME_POD, keycloak, port, False
        yield f"NATS -> Keycloak {port}", nats, keycloak, port, False
    yield "Keycloak -> its PostgreSQL", keycloak, POSTGRES, 5432, True
    yield "Keycloak -> the internet", keycloak, INTERNET, 443, False
    yield "Keycloak -> NATS", keycloak, nats, 4222, False
    provisioner = by["nats-streams"]
    yield "stream provisioner -> NATS clients", provisioner, nats, 4222, True
    yield "stream provisioner -> PostgreSQL", provisioner, POSTGRES, 5432, False
    yield "stream provisioner -> Keycloak https", provisioner, keycloak, 8443, False
    yield "stream provisioner -> the internet", provisioner, INTERNET, 443, False
    yield "nats-box -> NATS clients", box, nats, 4222, True
    yield "a pod of the namespace -> NATS clients", SOME_POD, nats, 4222, False
    yield "a pod of another namespace -> NATS clients", SOME_POD_ELSEWHERE, nats, 4222, False
    yield "a border post -> NATS leaf port", BORDER_POST, nats, 7422, True
    yield "a border post -> NATS clients", BORDER_POST, nats, 4222, False
    yield "a border post -> NATS routes", BORDER_POST, nats, 6222, False
    yield "the internet -> NATS leaf port", INTERNET, nats, 7422, False
    yield "NATS -> NATS routes", nats, nats, 6222, True
    yield "a pod of the namespace -> NATS routes", SOME_POD, nats, 6222, False
    yield "NATS -> the internet", nats, INTERNET, 443, False


def problems(docs: list[dict[str, Any]]) -> list[str]:
    policies = policies_of(docs)
    pods = pods_of(docs) + CHART_PODS
    found = []
    for pod in pods:
        for kind in ("Ingress", "Egress"):
            names = selecting(policies, pod, kind)
            deny_all = [
                p["metadata"]["name"]
                for p in policies
                if p["metadata"]["name"] in names
                and not p["spec"]["podSelector"]
                and not p["spec"].get(kind.lower())
            ]
            if not deny_all:
                found.append(f"{pod.name}: no default-deny {kind} policy selects it")
        specific = [
            n
            for kind in ("Ingress", "Egress")
            for n in selecting(policies, pod, kind)
            if any(p["metadata"]["name"] == n and p["spec"]["podSelector"] for p in policies)
        ]
        if not specific:
            found.append(f"{pod.name}: no policy allows it anything (selected by none of its own)")
    for what, src, dst, port, expected in flows(pods):
        if allowed(policies, src, dst, port) != expected:
            found.append(f"{what} :{port} is {'denied' if expected else 'ALLOWED'}")
    return found


def main(argv: list[str]) -> int:
    if argv:
        docs = [d for d in yaml.safe_load_all(Path(argv[0]).read_text()) if d]
    else:
        docs = documents_of(HERE)
    found = problems(docs)
    for line in found:
        sys.stderr.write(f"network policies: {line}\n")
    pods = len(pods_of(docs)) + len(CHART_PODS)
    sys.stdout.write(
        f"   {len(policies_of(docs))} policies, {pods} pods, "
        f"{len(list(flows(pods_of(docs) + CHART_PODS)))} flows checked\n"
    )
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
