"""What an operator's Prometheus reads, from the running stack (issue 20).

A journey moves the figures by what it did: one manifest created and submitted is one more
request on each route, one more message applied by the consul's durable, one more pending
notice of Guatemala and two more verifications waiting under an hour. A durable paused on the
server (as an operator pauses one) keeps its lag growing with every manifest submitted; the
lag the worker really reported is then fed to promtool with the alert rules, and the
consumer-lag alert fires on it. Resumed, the durable drains and nothing was lost.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from e2e.bodies import manifest, returnee
from puebla.messaging.nats import connect
from puebla_dev.devstack import stack
from puebla_dev.devstack.prometheus import alert_rules, ensure_tools
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]

SUBMITTED = "consular-manifest-submitted"
LAG_SAMPLES = 12  # one a minute for the rule's 10-minute window and its 10 minutes' `for`


async def scrape(job: str) -> Series:
    (target,) = stack.metrics_targets()[job]
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://{target}/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float:
    """The sample's value, 0 when the series is not there yet (a counter not yet counted)."""
    return series.get((name, frozenset(labels.items())), 0.0)


def requests(series: Series, method: str, route: str, status: str) -> float:
    labels = {"service": "repatriation", "method": method, "route": route, "status": status}
    return value(series, "puebla_http_requests_total", **labels)


def consumed(series: Series, durable: str, outcome: str = "applied") -> float:
    labels = {"service": "consular", "durable": durable, "outcome": outcome}
    return value(series, "puebla_consumer_messages_total", **labels)


def pending(series: Series) -> float:
    labels = {"service": "consular", "durable": SUBMITTED, "stream": "REPATRIATION"}
    return value(series, "puebla_consumer_pending", **labels)


class Sender:
    """Mexico's migration authority, creating and submitting manifests to Tecún Umán."""

    def __init__(self, system: dict[str, str], tokens: KeycloakTokens) -> None:
        self.url = system["repatriation"]
        self.headers = {"Authorization": f"Bearer {tokens.get('inm.mx')}"}

    async def submit(self, people: int) -> str:
        async with httpx.AsyncClient(timeout=15, headers=self.headers) as http:
            return await self._submit(http, people)

    async def _submit(self, http: httpx.AsyncClient, count: int) -> str:
        family = f"Metrica {uuid.uuid4().hex[:6]}"
        people = [returnee(f"Persona{n}", family) for n in range(count)]
        created = await http.post(f"{self.url}/v1/manifests", json=manifest(people))
        assert created.status_code == 201, created.text
        manifest_id: str = created.json()["id"]
        submitted = await http.post(f"{self.url}/v1/manifests/{manifest_id}/submit")
        assert submitted.status_code == 200, submitted.text
        return manifest_id


async def test_a_journey_moves_the_figures_by_what_it_did(
    system: dict[str, str], tokens: KeycloakTokens
) -> None:
    api_before = await scrape("repatriation-api")
    consular_before = await scrape("consular-worker")

    await Sender(system, tokens).submit(people=2)
    async with httpx.AsyncClient(timeout=10) as http:
        refused = await http.get(f"{system['repatriation']}/v1/manifests/{uuid.uuid4()}")
    assert refused.status_code == 401

    async def applied() -> Series | None:
        now = await scrape("consular-worker")
        done = consumed(now, SUBMITTED) == consumed(consular_before, SUBMITTED) + 1
        return now if done else None

    consular_after = await wait_until(applied, timeout=30, what="the notice applied")
    api_after = await scrape("repatriation-api")

    def moved(name: str, after: Series, before: Series, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route, submit = "/v1/manifests", "/v1/manifests/{manifest_id}/submit"
    assert [
        requests(api_after, "POST", route, "201") - requests(api_before, "POST", route, "201"),
        requests(api_after, "POST", submit, "200") - requests(api_before, "POST", submit, "200"),
        # Refused before routing, counted under the route it was aimed at.
        requests(api_after, "GET", "/v1/manifests/{manifest_id}", "401")
        - requests(api_before, "GET", "/v1/manifests/{manifest_id}", "401"),
    ] == [1, 1, 1]
    timed = {"service": "repatriation", "method": "POST", "route": submit}
    assert moved("puebla_http_request_duration_seconds_count", api_after, api_before, **timed) == 1

    gt = {"service": "consular", "nationality": "GT"}
    assert (
        moved(
            "puebla_consular_notices_open", consular_after, consular_before, status="pending", **gt
        )
        == 1
    )
    assert (
        moved(
            "puebla_consular_verifications_pending",
            consular_after,
            consular_before,
            waiting="under_1h",
            **gt,
        )
        == 2
    )
    assert value(consular_after, "puebla_state_read_ok", service="consular") == 1
    assert pending(consular_after) == 0


Resume = Callable[[], Awaitable[None]]


@pytest.fixture
async def paused(infra: Infra, system: dict[str, str]) -> AsyncIterator[Resume]:
    """`consular-manifest-submitted` paused on the server for ten minutes; resumed by the
    test (the callable it gets) or, whatever happens, at the end."""
    nc = await connect(
        infra.nats_servers, name="metrics-test", credentials=infra.nats_credentials("devadmin")
    )
    js = nc.jetstream()
    until = (datetime.now(UTC) + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    await js.pause_consumer("REPATRIATION", SUBMITTED, until)

    async def resume() -> None:
        await js.resume_consumer("REPATRIATION", SUBMITTED)

    try:
        yield resume
    finally:
        await resume()
        await nc.close()


async def test_a_paused_consumer_lag_grows_and_its_alert_fires(
    system: dict[str, str], tokens: KeycloakTokens, paused: Resume, tmp_path: Path
) -> None:
    async def shown_paused() -> Series | None:
        now = await scrape("consular-worker")
        labels = {"service": "consular", "durable": SUBMITTED, "stream": "REPATRIATION"}
        return now if value(now, "puebla_consumer_paused", **labels) == 1 else None

    before = await wait_until(shown_paused, timeout=15, what="the durable shown paused")
    first = pending(before)
    sender = Sender(system, tokens)
    lag = [first]
    for n in range(1, LAG_SAMPLES):
        await sender.submit(people=1)

        async def grew(expected: float = first + n) -> float | None:
            now = pending(await scrape("consular-worker"))
            return now if now == expected else None

        lag.append(await wait_until(grew, timeout=15, what=f"lag {first + n}"))
    assert lag == [first + n for n in range(LAG_SAMPLES)]

    result = promtool_test(tmp_path, lag)
    assert result.returncode == 0, result.stdout + result.stderr

    # Resumed, it drains: every manifest submitted meanwhile is applied, none lost.
    await paused()

    async def drained() -> Series | None:
        now = await scrape("consular-worker")
        applied = consumed(now, SUBMITTED) - consumed(before, SUBMITTED)
        return now if pending(now) == 0 and applied == first + LAG_SAMPLES - 1 else None

    await wait_until(drained, timeout=30, what="the durable drained")


def promtool_test(tmp: Path, lag: list[float]) -> subprocess.CompletedProcess[str]:
    """The lag the worker reported, one sample a minute, against alerts.yaml: no alert
    before the rule's 10 minutes, the alert on the last sample."""
    _, promtool = ensure_tools()
    last = int(lag[-1])
    series = (
        f'puebla_consumer_pending{{service="consular",durable="{SUBMITTED}",stream="REPATRIATION"}}'
    )
    test = {
        "rule_files": [str(alert_rules())],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": series, "values": " ".join(str(int(v)) for v in lag)}],
                "alert_rule_test": [
                    {"eval_time": "9m", "alertname": "PueblaConsumerLagGrowing", "exp_alerts": []},
                    {
                        "eval_time": f"{len(lag) - 1}m",
                        "alertname": "PueblaConsumerLagGrowing",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "service": "consular",
                                    "durable": SUBMITTED,
                                    "severity": "page",
                                },
                                "exp_annotations": _lag_annotations(last),
                            }
                        ],
                    },
                ],
            }
        ],
    }
    path = tmp / "lag.test.yaml"
    path.write_text(yaml.safe_dump(test, allow_unicode=True))
    return subprocess.run(
        [str(promtool), "test", "rules", str(path)], capture_output=True, text=True, check=False
    )


def _lag_annotations(waiting: int) -> dict[str, Any]:
    return {
        "summary": f"{SUBMITTED}: lag has grown for 10 minutes",
        "summary_es": f"{SUBMITTED}: los mensajes pendientes no dejan de crecer",
        "description": (
            f"{waiting} messages wait for {SUBMITTED} (consular) and the number has grown for 10"
            " minutes. Is the durable paused (puebla_consumer_paused), its worker down, or every"
            ' message retried (puebla_consumer_messages_total{outcome="retry"})?'
        ),
    }
