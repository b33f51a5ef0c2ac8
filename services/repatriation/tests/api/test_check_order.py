"""POLICY's order of checks on every write route: visible (404) before allowed (403) before
state (409) and input (422) — also for a body that fails schema validation, so that a 422
never tells a caller who may not see a manifest that it exists. And no lock is taken on a
manifest before it is decided that the caller may see it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.problems import problem_for
from puebla.refusals import Refused
from repatriation.domain import commands as c
from repatriation.service_layer import handlers

ABSENT = "01a21b01-0000-7000-8000-00000000abcd"


# Each write route with an input that fails validation: (path under the manifest, method, body
# or query). The returnee in the path is the manifest's first.
def _routes(m: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    first = m["returnees"][0]["id"] if m.get("returnees") else ABSENT
    return {
        "add returnee": ("/returnees", "post", {"given_names": 7}),
        "remove returnee": (f"/returnees/{first}", "delete", {"reason": ""}),
        "protection need": (f"/returnees/{first}/protection-need", "post", {"kind": "homesick"}),
        "submit": ("/submit", "post", {"colour": "blue"}),
        "dispatch": ("/dispatch", "post", None),
        "cancel": ("/cancel", "post", {"reason": 12}),
        "hand-over": ("/handovers", "post", {"items": "everyone"}),
    }


ROUTES = list(_routes({}))
# Who may not act on the MX → GT manifest through GT-TECUN-UMAN, and what they must get.
# 404: third countries, and the receiving country's officer of another post.
THIRD_COUNTRY = ["dgme.sv", "consul.sv.tapachula", "border.hn.corinto", "border.gt.mesilla"]
RECEIVING_SIDE = ["igm.gt", "consul.gt.tapachula"]  # 403: they read it, may not write


async def _call(api: Any, user: str, manifest_id: str, route: tuple[str, str, Any]) -> Any:
    path, method, payload = route
    url = f"/v1/manifests/{manifest_id}{path}"
    if method == "delete":
        return await api.delete(user, url, **payload)
    return await api.post(user, url, payload)


class TestInvalidBodiesStillAnswerVisibilityAndPermission:
    @pytest.mark.parametrize("route", ROUTES)
    async def test_the_body_is_invalid_for_the_sending_officer(self, api, route):
        manifest = await (api.dispatched() if route == "hand-over" else api.submitted())
        user = "border.gt.tecun" if route == "hand-over" else "inm.mx"
        response = await _call(api, user, manifest["id"], _routes(manifest)[route])
        if route == "dispatch":
            assert response.status_code == 409  # no body: the state decides
        else:
            assert response.status_code == 422, response.text

    @pytest.mark.parametrize("user", THIRD_COUNTRY)
    @pytest.mark.parametrize("route", ROUTES)
    async def test_a_third_country_gets_404_as_for_no_manifest_at_all(self, api, route, user):
        manifest = await api.submitted()

        hidden = await _call(api, user, manifest["id"], _routes(manifest)[route])
        absent = await _call(api, user, ABSENT, _routes(manifest)[route])

        assert hidden.status_code == absent.status_code == 404, hidden.text
        assert hidden.headers["content-type"] == "application/problem+json"
        assert {k: v for k, v in hidden.json().items() if k != "instance"} == {
            k: v for k, v in absent.json().items() if k != "instance"
        }

    @pytest.mark.parametrize("user", RECEIVING_SIDE)
    @pytest.mark.parametrize("route", [r for r in ROUTES if r != "hand-over"])
    async def test_a_receiving_side_reader_writing_gets_403(self, api, route, user):
        manifest = await api.submitted()
        response = await _call(api, user, manifest["id"], _routes(manifest)[route])
        assert response.status_code == 403, response.text
        assert response.json()["title"] == "Forbidden"

    @pytest.mark.parametrize("user", ["inm.mx", "igm.gt", "consul.gt.tapachula"])
    async def test_only_the_post_records_hand_overs_even_with_a_bad_body(self, api, user):
        manifest = await api.dispatched()
        response = await _call(api, user, manifest["id"], _routes(manifest)["hand-over"])
        assert response.status_code == 403, response.text

    async def test_the_consul_gets_404_for_a_draft_whatever_the_body(self, api):
        manifest = await api.draft()
        for route in ROUTES:
            response = await _call(
                api, "consul.gt.tapachula", manifest["id"], _routes(manifest)[route]
            )
            assert response.status_code == 404, (route, response.text)


class TestCreate:
    @pytest.mark.parametrize("user", ["border.gt.tecun", "consul.gt.tapachula", "dif.mx"])
    async def test_who_may_not_create_gets_403_even_for_an_invalid_body(self, api, user):
        response = await api.post(user, "/v1/manifests", {"receiving_country": 7})
        assert response.status_code == 403, response.text

    async def test_an_immigration_officer_gets_the_422(self, api):
        response = await api.post("inm.mx", "/v1/manifests", {"receiving_country": 7})
        assert response.status_code == 422


OUTSIDER = Principal(
    subject="dgme-sv", username="dgme.sv", roles=frozenset({"immigration_officer"}), country="SV"
)
RECEIVING = Principal(
    subject="igm-gt", username="igm.gt", roles=frozenset({"immigration_officer"}), country="GT"
)


class TestNoLockBeforeVisibility:
    """While another transaction holds the manifest's row lock, a caller who may not see the
    manifest (or may not change it) is answered at once: the handler decides before it asks
    for the lock. Were it to lock first, it would wait for the other transaction."""

    @pytest.mark.parametrize(("actor", "status"), [(OUTSIDER, 404), (RECEIVING, 403)])
    async def test_a_caller_who_may_not_act_never_waits_for_the_lock(
        self, api, runtime, svc, actor, status
    ):
        manifest = await api.submitted()
        manifest_id = uuid.UUID(manifest["id"])
        async with runtime.sessions() as holder, holder.begin():
            await holder.execute(
                text("SELECT id FROM manifest WHERE id = :m FOR UPDATE"), {"m": manifest_id}
            )
            cmd = c.CancelManifest(manifest_id=manifest_id, reason="Bus broke down")
            with pytest.raises(Refused) as caught:
                # Bounded: a handler that waited for the lock would never answer while it is
                # held, so this fails (TimeoutError) instead of hanging.
                await asyncio.wait_for(
                    handlers.cancel_manifest(cmd, svc.uow(actor=actor)),
                    timeout=5,
                )
            assert problem_for(caught.value).status == status
        after = await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")
        assert after.json()["status"] == "submitted"
