"""Benchmark 4: the officers' console on a poor link, and its server's render time.

    uv run python -m e2e.bench.console_link         # alone; writes var/bench/console_link.json
    uv run python -m e2e.bench --only console_link  # in `make bench`'s table and bench.json

Against the running stack's console (`stack.console_url()`, http://localhost:8000 under
`make up`) and APIs: a dispatched 40-person manifest to GT-TECUN-UMAN is set up through the
APIs (inm.mx creates and submits it, Guatemala's consul confirms every nationality, inm.mx
dispatches it), and a child's case is opened by dif.mx; then border.gt.tecun (and, for the
case page, dif.mx) signs in through Keycloak's page in Debian's Chromium,
and with Chromium's own network emulation (CDP `Network.emulateNetworkConditions`: 400 kbit/s
down and up, 400 ms latency) each page is visited twice:

- first visit: the browser cache emptied (`Network.clearBrowserCache`; the session cookie
  kept); repeat visit: the same page again, cache warm;
- bytes: the sum of `encodedDataLength` of `Network.loadingFinished` (what crossed the wire:
  headers and the gzipped bodies) for the page and everything it loads until `load`;
- time to a usable page, both from the navigation's start in the page's own clock
  (`performance`): `DOMContentLoaded`, and the page's main control visible, enabled and styled
  (every stylesheet loaded) — arrivals: the bus's "Receive this bus" link; hand-over: the
  first person's "Received" button; home: its heading (the harness's check while the border
  pages are not there).

Then, without emulation, the server's render time: `--samples` sequential GETs of each page
with the session cookie (httpx, gzip), against the console's `/healthz` and a static file in
the same run. Budgets (issue 14): hand-over page first visit < 100 KB and usable < 4 s on that
link; render p95 < 100 ms. A page the console does not serve yet is reported as
"page not there yet (404)".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, async_playwright

from e2e.console import sign_in
from e2e.journeys.child_case import PLACE as CHILD_PLACE
from e2e.journeys.land_return import RECEPTION_POINT, arrival_slot, person
from puebla_dev.devstack import keycloak as dev_keycloak
from puebla_dev.devstack import stack
from puebla_dev.devstack.browser import ensure_chromium, launch_args
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

from . import procs
from .stats import Measurement, print_table

OFFICER = "border.gt.tecun"
CASEWORKER = "dif.mx"  # issue 15: a child's case page, on the same link
SENDER = "inm.mx"
CONSUL = "consul.gt.tapachula"
SESSION_COOKIE = "__Host-puebla-session"  # console.entrypoints.web.SESSION_COOKIE
PEOPLE = 40
KBIT = 1000 / 8  # bytes per second in one kbit/s
LINK = {
    "offline": False,
    "latency": 400,  # ms, each way's round trip as Chromium applies it
    "downloadThroughput": 400 * KBIT,
    "uploadThroughput": 400 * KBIT,
}
FIRST_VISIT_BUDGET_KB = 100
USABLE_BUDGET_S = 4.0
RENDER_P95_BUDGET_MS = 100.0
# Issue 19: the border officer's two pages while hand-overs are being recorded at full speed.
LOADED_PAGES = {"arrivals", "handover"}
LOADED_RENDER_P95_BUDGET_MS = 50.0
WAIT_S = 90.0

GIVEN = ["Juan", "María", "Rosa", "Pedro", "Ana", "Luis", "Elena", "José", "Marta", "Carlos"]
SURNAMES = ["Ixcot", "Tzoc", "Chávez", "Cux"]


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    control: str  # CSS selector of the page's main control
    what: str


def pages(manifest_id: str) -> list[PageSpec]:
    handover = f"/manifests/{manifest_id}/handover"
    return [
        PageSpec("home", "/", "main h1", "home (the harness's check)"),
        PageSpec("arrivals", "/arrivals", f"main a[href='{handover}']", "arrivals at my post"),
        PageSpec("handover", handover, "main form.taps button.received", "hand-over"),
    ]


def case_pages(case_id: str) -> list[PageSpec]:
    return [PageSpec("case", f"/cases/{case_id}", "main h1", "a child's case page")]


async def opened_case(
    http: httpx.AsyncClient, tokens: KeycloakTokens, services: dict[str, str]
) -> dict[str, Any]:
    """A Honduran boy's case opened in Tapachula by dif.mx (as the child journey opens one)."""
    tag = uuid.uuid4().hex[:6]
    answer = await http.post(
        f"{services['child_protection']}/v1/cases",
        headers={
            "Authorization": f"Bearer {tokens.get(CASEWORKER)}",
            "Idempotency-Key": uuid.uuid4().hex,
        },
        json={
            "child": {
                "given_names": "Kevin Josué",
                "surnames": f"Banco {tag}",
                "sex": "M",
                "date_of_birth": "2013-03-09",
                "nationality": "HN",
                "languages": ["es"],
            },
            "identified_at": datetime.now(UTC).isoformat(),
            "place": CHILD_PLACE,
            "accompaniment": "unaccompanied",
            "age_disputed": False,
            "protection_need": False,
            "trafficking_indicator": False,
        },
    )
    if answer.status_code != 201:
        raise RuntimeError(f"the bench's case was refused: {answer.status_code} {answer.text}")
    case: dict[str, Any] = answer.json()
    return case


# --- the manifest, through the APIs -----------------------------------------------------------


def _people(tag: str) -> list[dict[str, Any]]:
    return [
        person(
            GIVEN[i % len(GIVEN)],
            f"{SURNAMES[i // len(GIVEN)]} {tag}-{i:02d}",
            "F" if i % 2 else "M",
            f"{1960 + i}-0{1 + i % 9}-1{i % 10}",
            "San Marcos",
        )
        for i in range(PEOPLE)
    ]


async def dispatched_manifest(
    http: httpx.AsyncClient, tokens: KeycloakTokens, services: dict[str, str]
) -> dict[str, Any]:
    """A 40-person manifest to GT-TECUN-UMAN, every nationality confirmed, dispatched."""

    def auth(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.get(user)}"}

    repatriation, consular = services["repatriation"], services["consular"]
    tag = uuid.uuid4().hex[:6]
    departure, arrival = arrival_slot()
    created = await http.post(
        f"{repatriation}/v1/manifests",
        headers=auth(SENDER),
        json={
            "receiving_country": "GT",
            "reception_point": RECEPTION_POINT,
            "scheduled_departure": departure.isoformat(),
            "scheduled_arrival": arrival.isoformat(),
            "vehicle": {"plate": f"BEN-{tag[:4].upper()}", "seats": 45},
            "returnees": _people(tag),
        },
    )
    if created.status_code != 201:
        raise RuntimeError(f"creating the manifest: {created.status_code} {created.text[:400]}")
    manifest: dict[str, Any] = created.json()
    mid = manifest["id"]
    submitted = await http.post(f"{repatriation}/v1/manifests/{mid}/submit", headers=auth(SENDER))
    submitted.raise_for_status()

    async def pending() -> list[dict[str, Any]]:
        listed = await http.get(
            f"{consular}/v1/verifications",
            headers=auth(CONSUL),
            params={"status": "pending", "related_id": mid, "limit": 100},
        )
        items: list[dict[str, Any]] = listed.json().get("items", [])
        return items if len(items) >= PEOPLE else []

    requests = await wait_until(pending, timeout=WAIT_S, what="40 verification requests")

    async def confirm(request: dict[str, Any]) -> None:
        decided = await http.post(
            f"{consular}/v1/verifications/{request['id']}/decision",
            headers=auth(CONSUL),
            json={"decision": "confirmed"},
        )
        decided.raise_for_status()

    await asyncio.gather(*(confirm(r) for r in requests))

    async def confirmed() -> bool:
        read = await http.get(f"{repatriation}/v1/manifests/{mid}", headers=auth(SENDER))
        rows = read.json()["returnees"]
        return all(r["nationality_status"] == "confirmed" for r in rows)

    await wait_until(confirmed, timeout=WAIT_S, what="the confirmations in repatriation")
    dispatched = await http.post(
        f"{repatriation}/v1/manifests/{mid}/dispatch", headers=auth(SENDER)
    )
    if dispatched.status_code != 200:
        raise RuntimeError(f"dispatching: {dispatched.status_code} {dispatched.text[:400]}")
    result: dict[str, Any] = dispatched.json()
    return result


async def hand_over_all(
    http: httpx.AsyncClient,
    tokens: KeycloakTokens,
    services: dict[str, str],
    manifest: dict[str, Any],
) -> int:
    """Afterwards, border.gt.tecun receives everyone in one call: the bus leaves the post's
    arrivals, so runs do not pile up buses there (the arrivals page lists every one)."""
    items = [{"returnee_id": r["id"], "outcome": "received"} for r in manifest["returnees"]]
    done = await http.post(
        f"{services['repatriation']}/v1/manifests/{manifest['id']}/handovers",
        headers={"Authorization": f"Bearer {tokens.get(OFFICER)}"},
        json={"items": items},
    )
    return done.status_code


# --- the browser on a poor link -----------------------------------------------------------------

USABLE_JS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || el.disabled) return false;
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  const sheets = [...document.querySelectorAll('link[rel="stylesheet"]')];
  if (sheets.some((link) => !link.sheet)) return false;
  return performance.now();
}"""
DCL_JS = "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"


class Wire:
    """What crossed the (emulated) wire for the page's requests, from CDP's Network events."""

    def __init__(self, cdp: CDPSession) -> None:
        self.cdp = cdp
        self.finished: dict[str, int] = {}
        self.urls: dict[str, str] = {}
        self.cached: set[str] = set()
        self._handlers: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
            ("Network.loadingFinished", self._finished),
            ("Network.responseReceived", self._response),
            ("Network.requestServedFromCache", self._from_cache),
        ]

    def _finished(self, event: dict[str, Any]) -> None:
        self.finished[event["requestId"]] = int(event["encodedDataLength"])

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        self.urls[event["requestId"]] = response["url"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def _from_cache(self, event: dict[str, Any]) -> None:
        self.cached.add(event["requestId"])

    def __enter__(self) -> Wire:
        for name, handler in self._handlers:
            self.cdp.on(name, handler)
        return self

    def __exit__(self, *_: object) -> None:
        for name, handler in self._handlers:
            self.cdp.remove_listener(name, handler)

    def summary(self) -> dict[str, Any]:
        return {
            "bytes": sum(self.finished.values()),
            "requests": len(self.urls),
            "from_cache": len(self.cached),
            "by_url": {
                self.urls.get(rid, rid).split("/", 3)[-1]: size
                for rid, size in sorted(self.finished.items(), key=lambda kv: -kv[1])
            },
        }


async def visit(page: Page, cdp: CDPSession, url: str, control: str) -> dict[str, Any]:
    """One navigation: its status, bytes on the wire, and the page's own timings (ms)."""
    with Wire(cdp) as wire:
        response = await page.goto(url, wait_until="commit", timeout=120_000)
        status = response.status if response is not None else 0
        if status != 200:
            await page.wait_for_load_state("load", timeout=120_000)
            return {"status": status, **wire.summary()}
        usable = await page.wait_for_function(
            USABLE_JS, arg=control, polling="raf", timeout=120_000
        )
        usable_ms = float(await usable.json_value())
        await page.wait_for_load_state("load", timeout=120_000)
        dcl_ms = float(await page.evaluate(DCL_JS))
    return {
        "status": status,
        "dom_content_loaded_ms": round(dcl_ms),
        "usable_ms": round(usable_ms),
        **wire.summary(),
    }


async def on_the_link(
    context: BrowserContext, page: Page, console_url: str, specs: list[PageSpec]
) -> dict[str, Any]:
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    await cdp.send("Network.emulateNetworkConditions", LINK)
    out: dict[str, Any] = {}
    try:
        for spec in specs:
            await cdp.send("Network.clearBrowserCache")
            first = await visit(page, cdp, console_url + spec.path, spec.control)
            repeat = (
                await visit(page, cdp, console_url + spec.path, spec.control)
                if first["status"] == 200
                else None
            )
            out[spec.key] = {"path": spec.path, "first": first, "repeat": repeat}
    finally:
        await cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        await cdp.detach()
    return out


# --- the server's render time -------------------------------------------------------------------


async def timed(http: httpx.AsyncClient, name: str, url: str, samples: int) -> Measurement:
    for _ in range(min(10, samples)):  # warm the connection and the console's caches
        await http.get(url)
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    for _ in range(samples):
        t0 = time.perf_counter()
        response = await http.get(url)
        latencies.append((time.perf_counter() - t0) * 1000)
        errors += response.status_code != 200
    return Measurement(name, samples, time.perf_counter() - started, latencies, errors)


async def render_times(
    console_url: str,
    cookie: str,
    specs: list[PageSpec],
    available: set[str],
    samples: int,
    static_path: str,
) -> dict[str, Measurement]:
    async with httpx.AsyncClient(
        base_url=console_url,
        headers={"Cookie": f"{SESSION_COOKIE}={cookie}", "Accept-Language": "es"},
        timeout=30.0,
    ) as http:
        out = {
            "healthz": await timed(http, "console GET /healthz (baseline)", "/healthz", samples),
            "static": await timed(http, "console GET static file (baseline)", static_path, samples),
        }
        for spec in specs:
            if spec.key in available:
                out[spec.key] = await timed(http, f"console render {spec.key}", spec.path, samples)
    return out


# --- the whole benchmark ------------------------------------------------------------------------


# Opens the hand-over load (handover.hand_over_load) for the render times measured under it.
Load = Callable[[], AbstractAsyncContextManager[dict[str, Any]]]


async def measure(
    tokens: KeycloakTokens, *, samples: int = 200, load: Load | None = None
) -> dict[str, Any]:
    console_url = stack.console_url()
    services = {s.name: s.url for s in stack.load_services()}
    async with httpx.AsyncClient(timeout=30.0) as http:
        ready = await http.get(f"{console_url}/readyz")
        if ready.status_code != 200:
            raise RuntimeError(f"{console_url} is not ready: the benchmark needs `make up`")
        print(
            f"console on a poor link: a dispatched {PEOPLE}-person manifest to"
            f" {RECEPTION_POINT} ..."
        )
        manifest = await dispatched_manifest(http, tokens, services)
        case = await opened_case(http, tokens, services)
    specs = pages(manifest["id"])
    try:
        result = await _measure(console_url, specs, samples, OFFICER, load=load)
        # The caseworker's page, on the same link, in the same run (issue 15).
        by_caseworker = await _measure(console_url, case_pages(case["id"]), samples, CASEWORKER)
        result["pages"].update(by_caseworker["pages"])
        result["visits"].update(by_caseworker["visits"])
        result["render"].update(
            {k: v for k, v in by_caseworker["render"].items() if k not in result["render"]}
        )
    finally:
        async with httpx.AsyncClient(timeout=30.0) as http:
            status = await hand_over_all(http, tokens, services, manifest)
        if status not in (200, 201):
            print(f"  (the bus could not be handed over afterwards: {status})")
    return {
        "console_url": console_url,
        "manifest": {"id": manifest["id"], "reference": manifest.get("reference")},
        **result,
    }


async def _measure(
    console_url: str,
    specs: list[PageSpec],
    samples: int,
    officer: str,
    *,
    load: Load | None = None,
) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=str(ensure_chromium()), headless=True, args=launch_args()
        )
        try:
            context = await browser.new_context(
                locale="es-MX", viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            await sign_in(page, console_url, officer)
            home = await page.goto(console_url + "/")
            if home is None or home.status != 200:
                raise RuntimeError(
                    f"{console_url}/ answered {home.status if home else '?'} to {officer} after"
                    " sign-in: the console is broken (its log: var/logs/console.log)"
                )
            static_path = str(
                await page.eval_on_selector(
                    "link[rel=stylesheet]", "link => new URL(link.href).pathname"
                )
            )
            print("  visiting the pages at 400 kbit/s, 400 ms latency ...")
            link = await on_the_link(context, page, console_url, specs)
            cookie = next(
                c["value"]
                for c in await context.cookies(console_url)
                if c["name"] == SESSION_COOKIE
            )
        finally:
            await browser.close()
    available = {key for key, result in link.items() if result["first"]["status"] == 200}
    print(f"  render time, {samples} requests per page ...")
    render = await render_times(console_url, cookie, specs, available, samples, static_path)
    loaded: dict[str, Any] = {}
    if load is not None:
        print(f"  render time again, under the hand-over load ({samples} requests per page) ...")
        async with load() as load_stats:
            under = await render_times(
                console_url, cookie, specs, available & LOADED_PAGES, samples, static_path
            )
        for m in under.values():
            m.name += ", under the hand-over load"
        loaded = {"render_under_load": under, "load": load_stats}
    return {
        **loaded,
        "link": {
            "latency_ms": LINK["latency"],
            "down_kbit_s": 400,
            "up_kbit_s": 400,
            "how": "Chromium CDP Network.emulateNetworkConditions",
        },
        "pages": {spec.key: {"path": spec.path, "what": spec.what} for spec in specs},
        "visits": link,
        "render": render,
    }


def not_there(status: int) -> str:
    return "page not there yet (404)" if status == 404 else f"page answered {status}"


def _kb(n: int) -> float:
    return round(n / 1000, 1)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    visits, render = result["visits"], result["render"]
    out: list[dict[str, Any]] = []
    handover = visits["handover"]["first"]
    missing = not_there(handover["status"])
    there = handover["status"] == 200
    out.append(
        {
            "name": "4. console hand-over page, first visit on 400 kbit/s: KB on the wire",
            "value": _kb(handover["bytes"]) if there else missing,
            "target": f"< {FIRST_VISIT_BUDGET_KB} KB",
            "met": there and handover["bytes"] < FIRST_VISIT_BUDGET_KB * 1000,
            "primary": True,
        }
    )
    out.append(
        {
            "name": "4. console hand-over page usable on 400 kbit/s, 400 ms (first visit): s",
            "value": round(handover["usable_ms"] / 1000, 2) if there else missing,
            "target": f"< {USABLE_BUDGET_S} s",
            "met": there and handover["usable_ms"] < USABLE_BUDGET_S * 1000,
            "primary": True,
        }
    )
    case = visits.get("case", {}).get("first")
    if case is not None:
        out.append(
            {
                "name": "4. console case page, first visit on 400 kbit/s: KB / usable s",
                "value": (
                    f"{_kb(case['bytes'])} KB / {case['usable_ms'] / 1000:.2f} s"
                    if case["status"] == 200
                    else not_there(case["status"])
                ),
                "target": f"< {FIRST_VISIT_BUDGET_KB} KB, < {USABLE_BUDGET_S} s",
                "met": case["status"] == 200
                and case["bytes"] < FIRST_VISIT_BUDGET_KB * 1000
                and case["usable_ms"] < USABLE_BUDGET_S * 1000,
                "primary": True,
            }
        )
    for key in ("arrivals", "handover", "case"):
        if key not in visits:
            continue
        status = visits[key]["first"]["status"]
        p95 = render[key].summary()["p95_ms"] if key in render else None
        out.append(
            {
                "name": f"4. console render p95, {key} page (ms)",
                "value": p95 if p95 is not None else not_there(status),
                "baseline_p95_ms": render["healthz"].summary()["p95_ms"],
                "target": f"< {RENDER_P95_BUDGET_MS:g} ms",
                "met": p95 is not None and p95 < RENDER_P95_BUDGET_MS,
                "primary": True,
            }
        )
    under = result.get("render_under_load", {})
    for key in sorted(LOADED_PAGES & set(under)):
        p95 = under[key].summary()["p95_ms"]
        out.append(
            {
                "name": f"4. console render p95 under the hand-over load, {key} page (ms)",
                "value": p95,
                "baseline_p95_ms": under["healthz"].summary()["p95_ms"],
                "load_per_second": result["load"].get("per_second"),
                "target": f"< {LOADED_RENDER_P95_BUDGET_MS:g} ms",
                "met": p95 < LOADED_RENDER_P95_BUDGET_MS,
                "primary": True,
            }
        )
    return out


def rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m.summary()
        for m in [*result["render"].values(), *result.get("render_under_load", {}).values()]
    ]


def print_link(result: dict[str, Any]) -> None:
    print(
        f"console on a poor link ({result['link']['down_kbit_s']} kbit/s down and up,"
        f" {result['link']['latency_ms']} ms latency; {result['console_url']}):"
    )
    head = f"  {'page':<10} {'visit':<7} {'status':>6} {'KB':>7} {'requests':>8} {'cached':>6}"
    print(head + f" {'DOMContentLoaded':>17} {'usable':>8}")
    for key, visits in result["visits"].items():
        for which in ("first", "repeat"):
            v = visits[which]
            if v is None:
                continue
            if v["status"] != 200:
                print(f"  {key:<10} {which:<7} {v['status']:>6}  {not_there(v['status'])}")
                continue
            print(
                f"  {key:<10} {which:<7} {v['status']:>6} {_kb(v['bytes']):>7} {v['requests']:>8}"
                f" {v['from_cache']:>6} {v['dom_content_loaded_ms'] / 1000:>16.2f}s"
                f" {v['usable_ms'] / 1000:>7.2f}s"
            )
    first = result["visits"]["handover"]["first"]
    if first["status"] == 200:
        print(
            "  hand-over first visit, bytes by request: "
            + ", ".join(f"{url} {_kb(size)} KB" for url, size in first["by_url"].items())
        )


def print_targets(found: list[dict[str, Any]]) -> None:
    for t in found:
        print(
            f"{t['name']}: {t['value']}  target {t['target']}  → {'met' if t['met'] else 'MISSED'}"
        )


def _jsonable(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result,
        "render": {key: m.summary() for key, m in result["render"].items()},
        **(
            {"render_under_load": {k: m.summary() for k, m in result["render_under_load"].items()}}
            if "render_under_load" in result
            else {}
        ),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.bench.console_link", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--samples", type=int, default=200, help="render: requests per page")
    args = parser.parse_args()
    if not dev_keycloak.is_running(dev_keycloak.DEFAULT_BASE_URL):
        raise SystemExit("the benchmark needs the running stack (Keycloak on :8080): `make up`")
    tokens = KeycloakTokens(dev_keycloak.DEFAULT_BASE_URL)
    load = {"start": [round(x, 2) for x in os.getloadavg()]}
    try:
        result = await measure(tokens, samples=args.samples)
    finally:
        tokens.close()
    load["end"] = [round(x, 2) for x in os.getloadavg()]
    found = targets(result)
    print()
    print_table(rows(result))
    print()
    print_link(result)
    print()
    print_targets(found)
    print(f"load average (1, 5, 15 min): {load}; KB = 1000 bytes")
    payload = {
        "load_average": load,
        "command": "uv run python -m e2e.bench.console_link",
        "started_at": datetime.now(UTC).isoformat(),
        "console_link": _jsonable(result),
        "targets": found,
    }
    procs.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = procs.BENCH_DIR / "console_link.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
