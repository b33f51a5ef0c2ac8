"""A hand-over record both countries sign, checked as a member state would (issue 18).

The land return closes a manifest; the delivering officer of Mexico and the receiving border
officer of Guatemala each sign the record they read. A state's verifier then checks the record
against the service's seal (offline, with the published keys) and, online, that both
signatures are entries of the signed audit log (inclusion proofs against the newest signed
tree head the worker publishes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from e2e.journeys import land_return
from puebla.audit_anchor import PublicKeys
from puebla.transparency.record_check import Printed, check_online, check_printed
from puebla_dev.devstack import audit_keys
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

PATIENCE = 60.0  # the local stack publishes a tree head every 10 s


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


async def test_both_sides_sign_and_a_state_verifies_the_record_against_the_log(
    system: dict[str, str], tokens: KeycloakTokens, http: httpx.AsyncClient
) -> None:
    facts = await land_return(http, tokens, system)
    assert facts.status_after_handover == "closed"
    base = f"{system['repatriation']}/v1/manifests/{facts.manifest_id}/handover-record"

    def auth(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.get(user)}"}

    digest = (await http.get(base, headers=auth("inm.mx"))).json()["digest"]
    for user in ("inm.mx", "border.gt.tecun"):
        signed = await http.post(f"{base}/signatures", json={"digest": digest}, headers=auth(user))
        assert signed.status_code == 201, signed.text
    record = (await http.get(base, headers=auth("border.gt.tecun"))).json()
    assert record["attestation"]["status"] == "signed"

    keys = PublicKeys.parse(audit_keys.signing_key("repatriation").public_setting("repatriation"))
    printed = Printed.of(record)
    assert check_printed(keys, "repatriation", printed, record) == []

    # Online, as Guatemala's officer: the service confirms, and both signatures are proved in
    # the signed log once the worker has sealed and signed a head that covers them.
    async with httpx.AsyncClient(
        base_url=system["repatriation"], headers=auth("igm.gt"), timeout=30.0
    ) as api:

        async def proved() -> bool | None:
            return not await check_online(api, "repatriation", keys, printed) or None

        assert await wait_until(proved, timeout=PATIENCE, interval=0.5, what="inclusion")
