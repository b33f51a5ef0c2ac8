"""deploy/k8s/monitoring, offline: the alert rules pass promtool's own checks and unit tests,
every dashboard query parses, and every metric a rule or a panel names is one the code
exposes (a renamed metric would otherwise leave a panel empty and an alert silent forever)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from puebla_dev.devstack.prometheus import alert_rules, ensure_tools
from puebla_dev.monitoring import generate

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "k8s" / "monitoring"
# Where metrics are defined: the Counter/Histogram of puebla.observability.metrics and every
# `Reading("puebla_...")` of the platform's and the services' monitoring modules.
SOURCES = [ROOT / "shared" / "src", ROOT / "services"]
NAME = re.compile(r"\bpuebla_[a-z0-9_]+")
# What the Prometheus client appends to a family's name in the exposition.
SUFFIXES = {"Counter": ("_total",), "Histogram": ("_bucket", "_sum", "_count")}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    _, tool = ensure_tools()
    return subprocess.run([str(tool), *args], capture_output=True, text=True, check=False)


def exposed_names() -> set[str]:
    names: set[str] = set()
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            if "/tests/" in str(path):
                continue
            text = path.read_text()
            for kind, suffixes in SUFFIXES.items():
                for found in re.findall(rf'{kind}\(\s*"(puebla_[a-z0-9_]+)"', text):
                    names |= {found + suffix for suffix in suffixes}
            names |= set(re.findall(r'Reading\(\s*"(puebla_[a-z0-9_]+)"', text))
            names |= set(re.findall(r'GaugeMetricFamily\(\s*"(puebla_[a-z0-9_]+)"', text))
    return names


def dashboard_queries() -> dict[str, str]:
    queries = {}
    for path in sorted((MONITORING / "dashboards").glob("*.json")):
        board: dict[str, Any] = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                queries[f"{path.stem}: {panel['title']} ({target['refId']})"] = target["expr"]
    return queries


def rule_expressions() -> dict[str, str]:
    groups = yaml.safe_load(alert_rules().read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def test_the_rules_pass_promtool_check() -> None:
    checked = promtool("check", "rules", str(alert_rules()))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_pass_their_unit_tests() -> None:
    tested = promtool("test", "rules", str(MONITORING / "alerts.test.yaml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test() -> None:
    tests = yaml.safe_load((MONITORING / "alerts.test.yaml").read_text())["tests"]
    covered = {case["alertname"] for t in tests for case in t["alert_rule_test"]}
    assert covered == set(rule_expressions())


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    # promtool parses PromQL only inside rule files: each query as a recording rule.
    rules = [
        {"record": f"puebla:dashboard:query{n}", "expr": expr}
        for n, expr in enumerate(dashboard_queries().values())
    ]
    path = tmp_path / "queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_broken_query_is_refused_by_that_check(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    rule = {"record": "puebla:broken", "expr": "sum by (service (puebla_outbox_waiting)"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [rule]}]}))
    assert promtool("check", "rules", str(path)).returncode != 0


@pytest.mark.parametrize("source", ["dashboards", "alerts"])
def test_every_metric_named_is_one_the_code_exposes(source: str) -> None:
    exposed = exposed_names()
    assert "puebla_http_requests_total" in exposed  # the scan itself finds definitions
    assert "puebla_consular_notices_open" in exposed
    queries = dashboard_queries() if source == "dashboards" else rule_expressions()
    unknown = {
        where: sorted(set(NAME.findall(expr)) - exposed)
        for where, expr in queries.items()
        if set(NAME.findall(expr)) - exposed
    }
    assert unknown == {}


def test_one_dashboard_per_service_and_one_for_the_event_flow() -> None:
    boards = {p.stem for p in (MONITORING / "dashboards").glob("*.json")}
    assert boards == {"repatriation", "child_protection", "reserve_fund", "consular", "event-flow"}
    uids = [json.loads(p.read_text())["uid"] for p in (MONITORING / "dashboards").glob("*.json")]
    assert len(set(uids)) == len(uids)


def test_the_committed_files_are_what_the_generator_writes() -> None:
    assert generate.main(["--check"]) == 0


def test_the_operator_rule_carries_exactly_the_alert_rules() -> None:
    rule = yaml.safe_load((MONITORING / "prometheus-rule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"]["groups"] == yaml.safe_load(alert_rules().read_text())["groups"]
