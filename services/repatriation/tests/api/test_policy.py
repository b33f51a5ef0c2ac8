"""POLICY.md "Repatriation manifests", line by line, with real Keycloak tokens.

The manifest under test goes from MX to GT through GT-TECUN-UMAN. Who may read it: inm.mx
(sending immigration), igm.gt (receiving immigration), border.gt.tecun (its reception point),
consul.gt.tapachula (receiving country's consul, from submission on: a draft is 404 for them
and absent from their lists). Everyone else gets 404 — the manifest does
not exist for them — and lists never show it to them. Of the readers, only inm.mx may change
it (others: 403) and only border.gt.tecun may record hand-overs (others: 403).
"""

from __future__ import annotations

from typing import Any

import pytest

READERS = ["inm.mx", "igm.gt", "border.gt.tecun", "consul.gt.tapachula"]
OUTSIDERS = [
    "dgme.sv",  # immigration officer of a third country
    "border.gt.mesilla",  # border officer of the receiving country, another post
    "border.hn.corinto",
    "consul.sv.tapachula",  # consul of a third country
    "consul.hn.tapachula",
    "dif.mx",  # the sending country, but not immigration
    "dif.mx.supervisor",
    "sbs.gt",  # the receiving country, but not a listed role
    "iom.officer",
    "ts.rcm",
    "audit.rcm",
]
READERS_NOT_MANAGING = ["igm.gt", "border.gt.tecun", "consul.gt.tapachula"]
READERS_NOT_HANDING_OVER = ["inm.mx", "igm.gt", "consul.gt.tapachula"]


class TestRead:
    @pytest.mark.parametrize("user", READERS)
    async def test_readers_see_the_manifest_its_record_and_find_it_listed(self, api, user):
        manifest = await api.submitted()

        got = await api.get(user, f"/v1/manifests/{manifest['id']}")
        assert got.status_code == 200
        assert got.json()["reference"] == manifest["reference"]
        record = await api.get(user, f"/v1/manifests/{manifest['id']}/handover-record")
        assert record.status_code == 200
        listed = await api.get(user, "/v1/manifests", reception_point="GT-TECUN-UMAN", limit=200)
        assert manifest["id"] in [m["id"] for m in listed.json()["items"]]

    @pytest.mark.parametrize("user", ["inm.mx", "igm.gt", "border.gt.tecun"])
    async def test_a_draft_is_read_by_the_immigration_and_border_officers(self, api, user):
        manifest = await api.draft()

        assert (await api.get(user, f"/v1/manifests/{manifest['id']}")).status_code == 200
        listed = await api.get(user, "/v1/manifests", reception_point="GT-TECUN-UMAN", limit=200)
        assert manifest["id"] in [m["id"] for m in listed.json()["items"]]

    async def test_the_consul_sees_a_manifest_only_once_it_is_submitted(self, api):
        manifest = await api.draft()
        path = f"/v1/manifests/{manifest['id']}"

        draft = await api.get("consul.gt.tapachula", path)
        draft_record = await api.get("consul.gt.tapachula", f"{path}/handover-record")
        absent = await api.get(
            "consul.gt.tapachula", "/v1/manifests/01a21b01-0000-7000-8000-000000000000"
        )
        listed = await api.get("consul.gt.tapachula", "/v1/manifests", limit=200)
        assert draft.status_code == draft_record.status_code == 404
        assert {k: v for k, v in draft.json().items() if k != "instance"} == {
            k: v for k, v in absent.json().items() if k != "instance"
        }
        assert manifest["id"] not in [m["id"] for m in listed.json()["items"]]

        assert (await api.post("inm.mx", f"{path}/submit")).status_code == 200
        assert (await api.get("consul.gt.tapachula", path)).status_code == 200
        listed = await api.get("consul.gt.tapachula", "/v1/manifests", limit=200)
        assert manifest["id"] in [m["id"] for m in listed.json()["items"]]

    async def test_a_draft_cancelled_before_submission_stays_unseen_by_the_consul(self, api):
        manifest = await api.draft()
        path = f"/v1/manifests/{manifest['id']}"
        cancelled = await api.post("inm.mx", f"{path}/cancel", {"reason": "Plan changed"})
        assert cancelled.json()["status"] == "cancelled"

        assert (await api.get("consul.gt.tapachula", path)).status_code == 404
        listed = await api.get("consul.gt.tapachula", "/v1/manifests", status="cancelled")
        assert manifest["id"] not in [m["id"] for m in listed.json()["items"]]

    @pytest.mark.parametrize("user", OUTSIDERS)
    async def test_everyone_else_gets_404_and_an_empty_trace_in_lists(self, api, user):
        manifest = await api.submitted()

        got = await api.get(user, f"/v1/manifests/{manifest['id']}")
        assert got.status_code == 404
        assert got.headers["content-type"] == "application/problem+json"
        assert got.json()["detail"] == "The manifest was not found."
        record = await api.get(user, f"/v1/manifests/{manifest['id']}/handover-record")
        assert record.status_code == 404
        listed = await api.get(user, "/v1/manifests", limit=200)
        assert listed.status_code == 200
        assert manifest["id"] not in [m["id"] for m in listed.json()["items"]]

    async def test_an_invisible_manifest_answers_like_one_that_does_not_exist(self, api):
        manifest = await api.draft()
        hidden = await api.get("consul.sv.tapachula", f"/v1/manifests/{manifest['id']}")
        absent = await api.get(
            "consul.sv.tapachula", "/v1/manifests/01a21b01-0000-7000-8000-000000000000"
        )
        assert hidden.status_code == absent.status_code == 404
        assert {k: v for k, v in hidden.json().items() if k != "instance"} == {
            k: v for k, v in absent.json().items() if k != "instance"
        }

    async def test_another_sending_countrys_manifest_is_invisible_to_the_first(self, api):
        response = await api.post("dgme.sv", "/v1/manifests", api.manifest_body())
        assert response.status_code == 201
        assert response.json()["reference"].startswith("SV-GT-2026-")
        sv_manifest = response.json()["id"]

        assert (await api.get("inm.mx", f"/v1/manifests/{sv_manifest}")).status_code == 404
        assert (await api.get("igm.gt", f"/v1/manifests/{sv_manifest}")).status_code == 200
        assert (await api.get("dgme.sv", f"/v1/manifests/{sv_manifest}")).status_code == 200

    async def test_without_a_token_401(self, api):
        manifest = await api.draft()
        response = await api.client.get(f"/v1/manifests/{manifest['id']}")
        assert response.status_code == 401
        assert (await api.client.get("/v1/manifests")).status_code == 401
        assert (await api.client.get("/v1/reception-points")).status_code == 401


class TestCreate:
    async def test_immigration_officer_creates_for_their_own_country(self, api):
        response = await api.post("inm.mx", "/v1/manifests", api.manifest_body())
        assert response.status_code == 201
        assert response.json()["sending_country"] == "MX"
        assert response.json()["created_by"] == "inm.mx"

    @pytest.mark.parametrize(
        "user", ["border.gt.tecun", "consul.gt.tapachula", "dif.mx", "iom.officer", "ts.rcm"]
    )
    async def test_other_roles_403(self, api, user):
        response = await api.post(user, "/v1/manifests", api.manifest_body())
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


# Each action: (state the manifest must be in, how to call it).
async def _add(api, user, m) -> Any:
    return await api.post(user, f"/v1/manifests/{m['id']}/returnees", api.returnee())


async def _remove(api, user, m) -> Any:
    path = f"/v1/manifests/{m['id']}/returnees/{m['returnees'][0]['id']}"
    return await api.delete(user, path, reason="Found to be a Salvadoran national")


async def _submit(api, user, m) -> Any:
    return await api.post(user, f"/v1/manifests/{m['id']}/submit")


async def _dispatch(api, user, m) -> Any:
    return await api.post(user, f"/v1/manifests/{m['id']}/dispatch")


async def _cancel(api, user, m) -> Any:
    return await api.post(user, f"/v1/manifests/{m['id']}/cancel", {"reason": "Bus broke down"})


ACTIONS = {
    "edit draft: add": ("draft", _add, 201),
    "edit draft: remove": ("draft", _remove, 200),
    "submit": ("draft", _submit, 200),
    "amend: add": ("submitted", _add, 201),
    "amend: remove": ("submitted", _remove, 200),
    "dispatch": ("confirmed", _dispatch, 200),
    "cancel": ("submitted", _cancel, 200),
}


async def _in_state(api, state: str) -> dict[str, Any]:
    two = api.manifest_body([api.returnee(), api.returnee(given_names="Juana")])
    manifest: dict[str, Any]
    if state == "draft":
        manifest = await api.draft(two)
        return manifest
    manifest = await api.submitted(two)
    if state == "confirmed":
        await api.confirm_all(manifest)
    return manifest


class TestManage:
    """create, edit draft, submit, amend, cancel, dispatch: the sending immigration officer."""

    @pytest.mark.parametrize("action", list(ACTIONS))
    async def test_sending_immigration_officer_may(self, api, action):
        state, call, status = ACTIONS[action]
        manifest = await _in_state(api, state)
        response = await call(api, "inm.mx", manifest)
        assert response.status_code == status, response.text

    @pytest.mark.parametrize("user", READERS_NOT_MANAGING)
    @pytest.mark.parametrize("action", list(ACTIONS))
    async def test_other_readers_403_and_nothing_changes(self, api, action, user):
        state, call, _ = ACTIONS[action]
        manifest = await _in_state(api, state)
        before = (await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")).json()

        response = await call(api, user, manifest)

        # The consul does not read a draft at all: for them it does not exist.
        assert response.status_code == (
            404 if user == "consul.gt.tapachula" and state == "draft" else 403
        )
        after = (await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")).json()
        assert after == before

    @pytest.mark.parametrize("user", ["dgme.sv", "border.gt.mesilla", "consul.sv.tapachula"])
    @pytest.mark.parametrize("action", list(ACTIONS))
    async def test_outsiders_404(self, api, action, user):
        state, call, _ = ACTIONS[action]
        manifest = await _in_state(api, state)
        response = await call(api, user, manifest)
        assert response.status_code == 404

    async def test_consul_of_the_receiving_country_reads_but_may_not_cancel(self, api):
        manifest = await api.submitted()
        assert (
            await api.get("consul.gt.tapachula", f"/v1/manifests/{manifest['id']}")
        ).status_code == 200
        response = await api.post(
            "consul.gt.tapachula", f"/v1/manifests/{manifest['id']}/cancel", {"reason": "No"}
        )
        assert response.status_code == 403
        assert response.json()["title"] == "Forbidden"


class TestHandOver:
    """Record a hand-off: the border officer whose post is the manifest's reception point."""

    async def test_border_officer_of_the_reception_point_records(self, api):
        manifest = await api.dispatched()
        response = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": manifest["returnees"][0]["id"], "outcome": "received"}]},
        )
        assert response.status_code == 200
        assert response.json()["items"][0]["officer"] == "border.gt.tecun"

    @pytest.mark.parametrize("user", READERS_NOT_HANDING_OVER)
    async def test_other_readers_403_and_nothing_is_recorded(self, api, user):
        manifest = await api.dispatched()
        response = await api.post(
            user,
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": manifest["returnees"][0]["id"], "outcome": "received"}]},
        )
        assert response.status_code == 403
        after = (await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")).json()
        assert after["status"] == "dispatched"
        assert after["returnees"][0]["handover_outcome"] is None

    @pytest.mark.parametrize("user", ["border.gt.mesilla", "border.hn.corinto", "dgme.sv"])
    async def test_outsiders_404(self, api, user):
        manifest = await api.dispatched()
        response = await api.post(
            user,
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": manifest["returnees"][0]["id"], "outcome": "received"}]},
        )
        assert response.status_code == 404
