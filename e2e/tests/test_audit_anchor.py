"""The audit anchor through the running stack (security review 6, `puebla.audit_anchor`).

After activity in every service, each worker seals its log and publishes a signed tree head on
the AUDIT stream, its own verification reports against it, and every other service keeps it:
the auditor reads the same head, signed by the same key, in the three others, and a member
state's verifier (`puebla.transparency.verify`) finds each log consistent with those copies.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from e2e.journeys import child_case, land_return, reserve_fund_return
from puebla.audit_anchor import Checkpoint, PublicKeys
from puebla.transparency.verify import check, witnessed_head
from puebla_dev.devstack import audit_keys
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]
# The local stack publishes every 10 s (devstack/audit_keys.py); a few rounds of patience.
PATIENCE = 60.0


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


async def test_every_service_checkpoint_is_signed_verified_and_kept_by_the_others(
    system: dict[str, str], tokens: KeycloakTokens, http: httpx.AsyncClient
) -> None:
    # Entries in every service's trail (the three journeys between them touch all four).
    for journey in (land_return, child_case, reserve_fund_return):
        await journey(http, tokens, system)
    auditor = {"Authorization": f"Bearer {tokens.get('audit.rcm')}"}

    async def verified(service: str) -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await http.get(f"{system[service]}/v1/audit/verification", headers=auditor)
        ).json()
        checkpoint = body["checkpoint"]
        # Caught up: the newest checkpoint vouches for every entry there is now.
        if body["ok"] and checkpoint and checkpoint["count"] == body["entries"]:
            return body
        return None

    heads = {}
    held: dict[str, list[Checkpoint]] = {}
    for service in SERVICES:
        body = await wait_until(
            functools.partial(verified, service), timeout=PATIENCE, interval=0.5, what=service
        )
        assert body["broken_at_seq"] is None
        heads[service] = body["checkpoint"]

    for service, head in heads.items():
        for keeper in (s for s in SERVICES if s != service):

            async def kept(keeper: str = keeper, service: str = service) -> dict[str, Any] | None:
                held = (
                    await http.get(f"{system[keeper]}/v1/audit/checkpoints", headers=auditor)
                ).json()
                mine = [c for c in held if c["service"] == service]
                return mine[0] if mine and mine[0]["seq"] >= heads[service]["seq"] else None

            copy = await wait_until(
                kept, timeout=PATIENCE, interval=0.5, what=f"{keeper} keeps {service}'s"
            )
            if copy["seq"] == head["seq"]:
                assert (copy["head"], copy["count"], copy["key_id"]) == (
                    head["head"],
                    head["count"],
                    head["key_id"],
                )
            assert copy["key_id"] == head["key_id"]
            held.setdefault(service, []).append(witnessed_head(copy))

    # What any member state's verifier concludes from those copies, as a child-protection
    # officer who reads no entry: every log extends what the others keep, leaf for leaf.
    officer = {"Authorization": f"Bearer {tokens.get('dif.mx')}"}
    keys = PublicKeys.parse(",".join(audit_keys.signing_key(s).public_setting(s) for s in SERVICES))
    for service in SERVICES:
        async with httpx.AsyncClient(base_url=system[service], headers=officer) as api:
            report = await check(api, service, keys, held[service], full=True)
        assert (report.ok, report.findings) == (True, []), service
