"""What deploy/k8s/monitoring holds that is derived, written by
`python -m puebla_dev.monitoring.generate` (`--check`: fails if a file differs from what it
would write; `make lint` runs it):

- dashboards/*.json, Grafana dashboards written from one description so the five read alike;
- prometheus-rule.yaml, the Prometheus Operator's wrapping of alerts.yaml (the rules are
  written once, in alerts.yaml, which compose and the local Prometheus load as they are).

One dashboard per service — requests, errors and latency by route; its outbox, its durables'
lag, outcomes and dead letters; its audit log; its own figures — and one for the event flow
across all of them. Every query is over `puebla_*` metrics (`puebla.observability.metrics`,
`puebla.monitoring`); the metrics tests check each one names a metric the stack exposes and
that promtool parses it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MONITORING = Path(__file__).resolve().parents[4] / "deploy" / "k8s" / "monitoring"
OUT = MONITORING / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    description: str = ""


def _http(service: str) -> list[Panel]:
    s = f'service="{service}"'
    return [
        Panel(
            "Requests per second, by route",
            ((f"sum by (route) (rate(puebla_http_requests_total{{{s}}}[5m]))", "{{route}}"),),
            "reqps",
        ),
        Panel(
            "Errors (5xx) per second, by route",
            (
                (
                    f'sum by (route) (rate(puebla_http_requests_total{{{s},status=~"5.."}}[5m]))',
                    "{{route}}",
                ),
            ),
            "reqps",
            "Any line above zero is a failure the service's log names with its correlation id.",
        ),
        Panel(
            "Refusals (4xx) per second, by status",
            (
                (
                    f'sum by (status) (rate(puebla_http_requests_total{{{s},status=~"4.."}}[5m]))',
                    "{{status}}",
                ),
            ),
            "reqps",
        ),
        Panel(
            "Latency p95, by route",
            (
                (
                    "histogram_quantile(0.95, sum by (le, route) "
                    f"(rate(puebla_http_request_duration_seconds_bucket{{{s}}}[5m])))",
                    "{{route}}",
                ),
            ),
            "s",
        ),
    ]


def _delivery(service: str) -> list[Panel]:
    s = f'service="{service}"'
    return [
        Panel(
            "Outbox: rows waiting and the oldest's age",
            (
                (f"max(puebla_outbox_waiting{{{s}}})", "waiting"),
                (f"max(puebla_outbox_oldest_age_seconds{{{s}}})", "oldest (s)"),
            ),
            description="Events committed but not yet on the bus. Alert: PueblaOutboxBacklog.",
        ),
        Panel(
            "Events published per second",
            ((f"sum(rate(puebla_outbox_published_events_total{{{s}}}[5m]))", "published"),),
            "ops",
        ),
        Panel(
            "Consumer lag, by durable",
            ((f"max by (durable) (puebla_consumer_pending{{{s}}})", "{{durable}}"),),
            description="Messages not yet delivered to each durable. Alert: "
            "PueblaConsumerLagGrowing.",
        ),
        Panel(
            "Messages handled per second, by durable and outcome",
            (
                (
                    f"sum by (durable, outcome) (rate(puebla_consumer_messages_total{{{s}}}[5m]))",
                    "{{durable}} {{outcome}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Redelivered and unacknowledged, by durable",
            (
                (
                    f"max by (durable) (puebla_consumer_redelivered{{{s}}})",
                    "{{durable}} redelivered",
                ),
                (f"max by (durable) (puebla_consumer_ack_pending{{{s}}})", "{{durable}} unacked"),
            ),
        ),
        Panel(
            "Dead letters parked, by durable",
            ((f"max by (durable) (puebla_deadletters_parked{{{s}}})", "{{durable}}"),),
            description="Any is one too many: alert PueblaDeadLetter.",
        ),
        Panel(
            "Audit log: entries under no signed head, and the oldest's age",
            (
                (f"max(puebla_audit_unsealed_entries{{{s}}})", "unsealed entries"),
                (f"max(puebla_audit_oldest_unsealed_age_seconds{{{s}}})", "oldest unsealed (s)"),
                (f"max(puebla_audit_signed_head_age_seconds{{{s}}})", "last signed head (s)"),
            ),
            description="Alert: PueblaAuditHeadUnsigned.",
        ),
    ]


OWN: dict[str, list[Panel]] = {
    "repatriation": [
        Panel(
            "Manifests awaiting hand-over, by reception point",
            (
                (
                    "max by (reception_point, status) "
                    "(puebla_repatriation_manifests_awaiting_handover)",
                    "{{reception_point}} {{status}}",
                ),
            ),
        ),
        Panel(
            "People awaiting hand-over, by reception point",
            (
                (
                    "sum by (reception_point) (max by (reception_point, status) "
                    "(puebla_repatriation_people_awaiting_handover))",
                    "{{reception_point}}",
                ),
            ),
        ),
        Panel(
            "Oldest manifest on its way, by reception point",
            (
                (
                    "max by (reception_point) (puebla_repatriation_oldest_dispatch_age_seconds)",
                    "{{reception_point}}",
                ),
            ),
            "s",
        ),
    ],
    "child_protection": [],
    "reserve_fund": [
        Panel(
            "Budget available, by year (USD)",
            (("max by (year) (puebla_fund_budget_available_usd)", "{{year}} available"),),
            "currencyUSD",
        ),
        Panel(
            "Budget allocated and committed, by year (USD)",
            (
                ("max by (year) (puebla_fund_budget_allocated_usd)", "{{year}} allocated"),
                ("max by (year) (puebla_fund_budget_committed_usd)", "{{year}} committed"),
            ),
            "currencyUSD",
        ),
    ],
    "consular": [
        Panel(
            "Open notices, by nationality and status",
            (
                (
                    "max by (nationality, status) (puebla_consular_notices_open)",
                    "{{nationality}} {{status}}",
                ),
            ),
            description="Unroutable: no post of the nationality in the host country "
            "(alert PueblaUnroutableNotice).",
        ),
        Panel(
            "Overdue notices, by nationality",
            (("max by (nationality) (puebla_consular_notices_overdue)", "{{nationality}}"),),
            description="Alert: PueblaNoticesOverdue.",
        ),
        Panel(
            "Verifications pending, by how long they have waited",
            (
                (
                    "sum by (waiting) (max by (nationality, waiting) "
                    "(puebla_consular_verifications_pending))",
                    "{{waiting}}",
                ),
            ),
        ),
        Panel(
            "Oldest pending verification, by nationality",
            (
                (
                    "max by (nationality) "
                    "(puebla_consular_verification_oldest_pending_age_seconds)",
                    "{{nationality}}",
                ),
            ),
            "s",
        ),
    ],
}

FLOW = [
    Panel(
        "Events published per second, by service",
        (("sum by (service) (rate(puebla_outbox_published_events_total[5m]))", "{{service}}"),),
        "ops",
    ),
    Panel(
        "Events applied per second, by consuming service",
        (
            (
                'sum by (service) (rate(puebla_consumer_messages_total{outcome="applied"}[5m]))',
                "{{service}}",
            ),
        ),
        "ops",
    ),
    Panel(
        "Outbox oldest unpublished row, by service",
        (("max by (service) (puebla_outbox_oldest_age_seconds)", "{{service}}"),),
        "s",
    ),
    Panel(
        "Consumer lag, every durable",
        (("max by (durable) (puebla_consumer_pending)", "{{durable}}"),),
    ),
    Panel(
        "Retries and parked messages per second, by durable",
        (
            (
                "sum by (durable, outcome) "
                '(rate(puebla_consumer_messages_total{outcome=~"retry|parked"}[5m]))',
                "{{durable}} {{outcome}}",
            ),
        ),
        "ops",
    ),
    Panel(
        "Dead letters parked, every durable",
        (("max by (durable) (puebla_deadletters_parked)", "{{durable}}"),),
    ),
    Panel(
        "Workers that could not read their state",
        (("max by (service) (1 - puebla_state_read_ok)", "{{service}}"),),
    ),
]

TITLES = {
    "repatriation": "Puebla · repatriation",
    "child_protection": "Puebla · child protection",
    "reserve_fund": "Puebla · Reserve Fund",
    "consular": "Puebla · consular",
    "event-flow": "Puebla · event flow",
}


def _panel(panel: Panel, index: int) -> dict[str, Any]:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + n),
                "datasource": DATASOURCE,
                "expr": q,
                "legendFormat": legend,
            }
            for n, (q, legend) in enumerate(panel.queries)
        ],
    }


def dashboard(name: str, panels: list[Panel]) -> dict[str, Any]:
    return {
        "uid": f"puebla-{name.replace('_', '-')}",
        "title": TITLES[name],
        "tags": ["puebla"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "panels": [_panel(p, i) for i, p in enumerate(panels)],
    }


def dashboards() -> dict[str, dict[str, Any]]:
    made = {s: dashboard(s, [*_http(s), *_delivery(s), *own]) for s, own in OWN.items()}
    made["event-flow"] = dashboard("event-flow", FLOW)
    return made


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


RULE_HEADER = """\
# GENERATED from alerts.yaml by `python -m puebla_dev.monitoring.generate`: edit alerts.yaml.
# The same alert rules for the Prometheus Operator (its `ruleSelector` must match the label).
"""


def prometheus_rule() -> str:
    groups = yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "puebla-alerts", "labels": {"app.kubernetes.io/part-of": "puebla"}},
        "spec": {"groups": groups},
    }
    return RULE_HEADER + yaml.safe_dump(rule, sort_keys=False, allow_unicode=True, width=100)


def outputs() -> dict[Path, str]:
    files = {OUT / f"{name}.json": render(board) for name, board in dashboards().items()}
    files[MONITORING / "prometheus-rule.yaml"] = prometheus_rule()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m puebla_dev.monitoring.generate")
    parser.add_argument("--check", action="store_true", help="fail if a file would change")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        sys.stderr.write(
            f"deploy/k8s/monitoring out of date: {', '.join(stale)} "
            "(run: python -m puebla_dev.monitoring.generate)\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
