"""Runs the whole access matrix against a running stack and compares every answer with the
table.

1. Records: each rule's probe prepares one instance shared by the callers the rule denies (and
   by everyone for reads), and one instance per allowed caller of a state-changing action — all
   concurrently, before any cell runs.
2. Cells: every (rule, caller) request, concurrently, at most `concurrency` in flight.
3. Result: per cell the expected and the actual answer; mismatches listed with the response.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import httpx

from e2e.access import matrix as m
from e2e.access.probes import PROBES, Call, Env, Probe
from e2e.access.users import CALLERS, FORGED, forge

MAX_PAGES = 10  # a listing stops after this many pages of 200 (the target is among the newest)


@dataclass(frozen=True)
class Outcome:
    rule: m.Rule
    caller: str
    expected: m.Expected
    got: m.Expected | str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def line(self) -> str:
        return (
            f"{self.rule.service} | {self.rule.action} | {self.rule.record or '-'} | "
            f"{self.caller} | expected {self.expected} | got {self.got}"
            + (f" | {self.detail}" if self.detail else "")
        )


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float
    setup_seconds: float
    requests: int = 0

    @property
    def mismatches(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> list[str]:
        expected = Counter(_bucket(o.expected) for o in self.outcomes)
        rules = len({o.rule.name for o in self.outcomes})
        lines = [
            f"access matrix: {len(self.outcomes)} cells ({rules} rules x {len(CALLERS)} callers),"
            f" {self.requests} requests in {self.seconds:.1f} s"
            f" (records ready after {self.setup_seconds:.1f} s)",
            f"  allowed {expected['allowed']}, denied-403 {expected['403']},"
            f" denied-404 {expected['404']} (lists without the record included),"
            f" no or forged token-401 {expected['401']},"
            f" state or DOMAIN.md answers (409/422) to allowed callers {expected['other']}",
            f"  mismatches: {len(self.mismatches)}",
        ]
        lines += [f"    {o.line()}" for o in self.mismatches]
        return lines


def _bucket(expected: m.Expected) -> str:
    if expected in (403, 404, 401):
        return str(expected)
    if expected == m.ABSENT:
        return "404"  # a listing that must not show the record: denied, invisible
    if expected == m.LISTED or (isinstance(expected, int) and expected < 300):
        return "allowed"
    return "other"  # the state's or a DOMAIN.md answer (409/422) to a caller POLICY.md allows


def _slots(rule: m.Rule, probe: Probe) -> dict[str, int]:
    """Which instance each caller uses: 0 is shared; allowed callers of a state-changing action
    get 1, 2, … (in name order)."""
    slots = dict.fromkeys(CALLERS, 0)
    if probe.setup is not None and probe.shared is None:
        for number, caller in enumerate(sorted(rule.allowed | set(rule.domain)), start=1):
            slots[caller] = number
    return slots


async def _listed(env: Env, caller: str, call: Call) -> tuple[m.Expected | str, str, int]:
    """LISTED / ABSENT, or the status of a page that did not answer 200; and requests made."""
    params = dict(call.params or {})
    for page in range(1, MAX_PAGES + 1):
        response = await env.send(caller, call, params)
        if response.status_code != 200:
            return response.status_code, response.text[:300], page
        body = response.json()
        items = body[call.items_key]
        if any(str(item[call.id_key]) == call.target for item in items):
            return m.LISTED, "", page
        cursor = body.get("next_cursor")
        older = (
            call.newest_key is not None
            and call.since is not None
            and items
            and str(items[-1][call.newest_key]) < call.since
        )
        if not cursor or older:
            return m.ABSENT, "", page
        params["cursor"] = cursor
    return m.ABSENT, f"not in the newest {MAX_PAGES} pages", MAX_PAGES


async def run_matrix(
    urls: dict[str, str],
    tokens: dict[str, str],
    *,
    concurrency: int = 16,
    rules: tuple[m.Rule, ...] = m.RULES,
    step_up_tokens: dict[str, str] | None = None,
) -> Report:
    """`step_up_tokens`: acr-2 tokens (password + OTP) of the users who have a second factor,
    for the actions that need one (`/sensitive`); the others are sent `tokens`' (acr 1)."""
    started = time.monotonic()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    tokens = {**tokens, FORGED: forge(tokens["inm.mx"])}
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as http:
        env = Env(http, urls, tokens, concurrency=concurrency, step_up_tokens=step_up_tokens)

        # 1. records
        instances: dict[Any, asyncio.Task[Any]] = {}
        plan: list[tuple[m.Rule, Probe, dict[str, int]]] = []
        for rule in rules:
            probe = PROBES[rule.action]
            slots = _slots(rule, probe)
            plan.append((rule, probe, slots))
            if probe.setup is None or rule.record is None:
                continue
            for slot in set(slots.values()):
                key = (probe.shared or rule.action, rule.record, slot)
                if key not in instances:
                    instances[key] = asyncio.ensure_future(probe.setup(env, rule.record, slot))
        await asyncio.gather(*instances.values(), return_exceptions=True)
        setup_seconds = time.monotonic() - started

        # 2. cells
        requests = Counter[str]()

        async def cell(rule: m.Rule, probe: Probe, caller: str, slot: int) -> Outcome:
            expected = rule.expected(caller)
            instance = None
            if probe.setup is not None and rule.record is not None:
                task = instances[(probe.shared or rule.action, rule.record, slot)]
                if task.exception() is not None:
                    return Outcome(rule, caller, expected, "no record", str(task.exception()))
                instance = task.result()
            call = probe.request(instance, rule.record or "")
            if not call.service:
                call = replace(call, service=rule.service)
            try:
                return await ask(rule, caller, expected, call)
            except httpx.TransportError as error:
                return Outcome(rule, caller, expected, "no answer", repr(error))

        async def ask(rule: m.Rule, caller: str, expected: m.Expected, call: Call) -> Outcome:
            if call.target is not None:
                got, detail, pages = await _listed(env, caller, call)
                requests["n"] += pages
                return Outcome(rule, caller, expected, got, detail)
            response = await env.send(caller, call)
            requests["n"] += 1
            detail = "" if response.status_code == expected else response.text[:300]
            return Outcome(rule, caller, expected, response.status_code, detail)

        outcomes = await asyncio.gather(
            *(
                cell(rule, probe, caller, slots[caller])
                for rule, probe, slots in plan
                for caller in CALLERS
            )
        )
    return Report(
        list(outcomes),
        seconds=time.monotonic() - started,
        setup_seconds=setup_seconds,
        requests=requests["n"],
    )
