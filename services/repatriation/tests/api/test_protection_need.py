"""`POST /v1/manifests/{id}/returnees/{returnee_id}/protection-need` on real PostgreSQL with real
Keycloak tokens: a protection need found after the person was put on the manifest takes them
off, and from then on the receiving country (GT) sees nothing of them — not in the manifest,
the lists' counts, the hand-over record or any event it may read — nor the kind or the note.
The sending country (MX) reads them apart, with the reason."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

RECEIVING_SIDE = ["igm.gt", "border.gt.tecun", "consul.gt.tapachula"]
NOTE = "Teme a la pandilla de su barrio"


def _path(manifest: dict[str, Any], returnee_id: str) -> str:
    return f"/v1/manifests/{manifest['id']}/returnees/{returnee_id}/protection-need"


def _fields(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


async def _outbox(api: Any, manifest_id: str) -> list[dict[str, Any]]:
    async with api.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT type, payload FROM outbox WHERE aggregateid = :m"), {"m": manifest_id}
        )
        return [{"type": r[0], **r[1]} for r in rows]


def _new(after: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events written in between (the outbox's times come from the frozen clock: no order)."""
    seen = {e["id"] for e in before}
    return [e for e in after if e["id"] not in seen]


async def _audit(api: Any, manifest_id: str, action: str) -> list[tuple[str, dict[str, Any]]]:
    async with api.runtime.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT actor, detail FROM audit WHERE entity_id = :m AND action = :a ORDER BY seq"
            ),
            {"m": manifest_id, "a": action},
        )
        return [(r[0], r[1]) for r in rows]


async def _two(api: Any, state: str = "submitted") -> dict[str, Any]:
    body = api.manifest_body([api.returnee(given_names="Marta"), api.returnee(given_names="Rosa")])
    manifest: dict[str, Any] = await (
        api.submitted(body) if state == "submitted" else api.draft(body)
    )
    return manifest


class TestRecordProtectionNeed:
    @pytest.mark.parametrize("state", ["draft", "submitted"])
    async def test_takes_the_person_off_and_the_sending_officer_reads_why(self, api, state):
        manifest = await _two(api, state)
        fears, stays = manifest["returnees"]

        response = await api.post(
            "inm.mx", _path(manifest, fears["id"]), {"kind": "asylum", "note": NOTE}
        )

        assert response.status_code == 200, response.text
        assert response.json()["taken_off"] == [fears["id"]]
        read = response.json()["manifest"]
        assert [r["id"] for r in read["returnees"]] == [stays["id"]]
        assert read["version"] == manifest["version"] + 1
        (removal,) = read["protection_removals"]
        assert {k: removal[k] for k in ("returnee_id", "given_names", "kind", "note")} == {
            "returnee_id": fears["id"],
            "given_names": "Marta",
            "kind": "asylum",
            "note": NOTE,
        }
        assert (removal["family_of"], removal["recorded_by"]) == (None, "inm.mx")
        assert removal["recorded_at"] == "2026-11-28T12:00:00Z"
        again = await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")
        assert again.json()["protection_removals"] == read["protection_removals"]

    @pytest.mark.parametrize("user", RECEIVING_SIDE)
    async def test_the_receiving_country_sees_nothing_of_them(self, api, user):
        manifest = await _two(api)
        fears, stays = manifest["returnees"]
        response = await api.post(
            "inm.mx", _path(manifest, fears["id"]), {"kind": "fear_of_return", "note": NOTE}
        )
        assert response.status_code == 200, response.text

        read = await api.get(user, f"/v1/manifests/{manifest['id']}")
        record = await api.get(user, f"/v1/manifests/{manifest['id']}/handover-record")
        listed = await api.get(user, "/v1/manifests", reception_point="GT-TECUN-UMAN", limit=200)

        assert read.status_code == record.status_code == listed.status_code == 200
        assert [r["id"] for r in read.json()["returnees"]] == [stays["id"]]
        assert read.json()["protection_removals"] is None
        assert [e["returnee_id"] for e in record.json()["entries"]] == [stays["id"]]
        assert record.json()["totals"]["total"] == 1
        (item,) = [m for m in listed.json()["items"] if m["id"] == manifest["id"]]
        assert item["people"]["total"] == 1
        for answer in (read, record, listed):
            for secret in (fears["id"], "Marta", "fear_of_return", NOTE):
                assert secret not in answer.text

    async def test_only_an_event_for_the_sending_country_no_amendment(self, api):
        manifest = await _two(api)
        fears, stays = manifest["returnees"]
        before = await _outbox(api, manifest["id"])

        await api.post("inm.mx", _path(manifest, fears["id"]), {"kind": "refugee", "note": NOTE})

        after = await _outbox(api, manifest["id"])
        (event,) = _new(after, before)
        assert event["type"] == "repatriation.returnee.protection_need_recorded.v1"
        assert event["access"] == ["MX"]
        assert event["data"]["returnee_ids"] == [fears["id"]]
        assert event["data"]["returnee_count"] == 1
        assert event["data"]["recorded_at"] == "2026-11-28T12:00:00Z"
        assert "refugee" not in json.dumps(event)
        assert NOTE not in json.dumps(event)

        # Nothing the receiving country reads from then on names them: not the dispatch.
        await api.confirm_all({"id": manifest["id"], "returnees": [stays]})
        dispatched = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")
        assert dispatched.status_code == 200, dispatched.text
        later = _new(await _outbox(api, manifest["id"]), after)
        assert [e["type"] for e in later] == ["repatriation.manifest.dispatched.v1"]
        for e in [event, *later]:
            if "GT" in e["access"]:
                assert fears["id"] not in json.dumps(e)

    async def test_audited_who_and_whom_without_the_kind_or_the_note(self, api):
        manifest = await _two(api)
        fears = manifest["returnees"][0]

        await api.post(
            "inm.mx", _path(manifest, fears["id"]), {"kind": "trafficking", "note": NOTE}
        )

        ((actor, detail),) = await _audit(
            api, manifest["id"], "manifest.returnee_protection_need_recorded"
        )
        assert actor == "inm.mx"
        assert detail["returnee_id"] == fears["id"]
        assert detail["returnee_ids"] == [fears["id"]]
        assert detail["returnee_count"] == 1
        # The auditor (RCM-TS) is outside the sending state: neither the kind nor the note.
        assert "trafficking" not in json.dumps(detail)
        assert NOTE not in json.dumps(detail)

    async def test_family_on_the_manifest_needs_a_choice_naming_family(self, api):
        manifest = await api.submitted(
            api.manifest_body(
                [
                    api.returnee(family_group="F1"),
                    api.returnee(given_names="Eva", family_group="F1"),
                ]
            )
        )
        mother = manifest["returnees"][0]

        response = await api.post("inm.mx", _path(manifest, mother["id"]), {"kind": "asylum"})

        assert _fields(response) == [("family", "family_choice_required")]
        again = await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")
        assert len(again.json()["returnees"]) == 2

    async def test_leave_with_takes_the_family_off_too(self, api):
        manifest = await api.submitted(
            api.manifest_body(
                [
                    api.returnee(family_group="F1"),
                    api.returnee(given_names="Luis", date_of_birth="2015-03-02", family_group="F1"),
                    api.returnee(given_names="Otro", family_group="F2"),
                ]
            )
        )
        mother, son, other = manifest["returnees"]

        response = await api.post(
            "inm.mx", _path(manifest, mother["id"]), {"kind": "asylum", "family": "leave_with"}
        )

        assert response.status_code == 200, response.text
        assert response.json()["taken_off"] == [mother["id"], son["id"]]
        assert [r["id"] for r in response.json()["manifest"]["returnees"]] == [other["id"]]
        removals = response.json()["manifest"]["protection_removals"]
        assert [(r["returnee_id"], r["family_of"]) for r in removals] == [
            (mother["id"], None),
            (son["id"], mother["id"]),
        ]
        (event,) = [
            e
            for e in await _outbox(api, manifest["id"])
            if e["type"].endswith("protection_need_recorded.v1")
        ]
        assert event["data"]["returnee_ids"] == [mother["id"], son["id"]]
        assert event["access"] == ["MX"]
        border = await api.get("border.gt.tecun", f"/v1/manifests/{manifest['id']}")
        assert [r["id"] for r in border.json()["returnees"]] == [other["id"]]

    async def test_stay_may_not_leave_a_child_without_an_adult_of_its_group(self, api):
        manifest = await api.submitted(
            api.manifest_body(
                [
                    api.returnee(family_group="F1"),
                    api.returnee(given_names="Luis", date_of_birth="2015-03-02", family_group="F1"),
                ]
            )
        )
        mother = manifest["returnees"][0]

        response = await api.post(
            "inm.mx", _path(manifest, mother["id"]), {"kind": "asylum", "family": "stay"}
        )

        assert _fields(response) == [("family", "child_would_stay_without_adult")]
        assert "leave_with" in response.json()["errors"][0]["message"]

    async def test_once_dispatched_it_is_409(self, api):
        manifest = await api.dispatched()
        response = await api.post(
            "inm.mx", _path(manifest, manifest["returnees"][0]["id"]), {"kind": "asylum"}
        )
        assert response.status_code == 409
        assert response.json()["rule"] == "invalid_transition"

    async def test_a_body_outside_the_contract_is_422_naming_the_field(self, api):
        manifest = await _two(api)
        path = _path(manifest, manifest["returnees"][0]["id"])
        assert _fields(await api.post("inm.mx", path, {"kind": "homesick"})) == [
            ("kind", "literal_error")
        ]
        assert _fields(await api.post("inm.mx", path, {"kind": "asylum", "family": "x"})) == [
            ("family", "literal_error")
        ]
        assert _fields(await api.post("inm.mx", path, {"kind": "asylum", "why": "x"})) == [
            ("why", "extra_forbidden")
        ]

    async def test_someone_not_on_the_manifest_is_404(self, api):
        manifest = await _two(api)
        response = await api.post(
            "inm.mx", _path(manifest, "01a21b01-0000-7000-8000-000000000001"), {"kind": "asylum"}
        )
        assert response.status_code == 404

    async def test_a_replay_returns_the_first_answer(self, api):
        manifest = await _two(api)
        path = _path(manifest, manifest["returnees"][0]["id"])
        key = f"test-{uuid.uuid4()}"

        first = await api.post("inm.mx", path, {"kind": "asylum"}, key=key)
        again = await api.post("inm.mx", path, {"kind": "asylum"}, key=key)

        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"


class TestReplayRecheck:
    async def test_a_replay_about_a_person_since_taken_off_is_404_not_the_stored_answer(self, api):
        """Key K used by the receiving post for a person; that person is then taken off for a
        protection need; the same K replayed answers 404, as a fresh request does — never the
        stored answer about someone who no longer exists for GT."""
        manifest = await _two(api)
        fears, stays = manifest["returnees"]
        handovers = f"/v1/manifests/{manifest['id']}/handovers"
        body = {"items": [{"returnee_id": fears["id"], "outcome": "received"}]}
        key = f"test-{uuid.uuid4()}"
        early = await api.post("border.gt.tecun", handovers, body, key=key)
        assert early.status_code == 409  # the bus has not left yet: stored as the answer

        taken = await api.post("inm.mx", _path(manifest, fears["id"]), {"kind": "asylum"})
        assert taken.status_code == 200
        await api.confirm_all({"id": manifest["id"], "returnees": [stays]})
        assert (await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")).is_success

        replayed = await api.post("border.gt.tecun", handovers, body, key=key)
        fresh = await api.post("border.gt.tecun", handovers, body)

        assert replayed.status_code == fresh.status_code == 404
        assert "Idempotent-Replayed" not in replayed.headers
        assert replayed.json()["detail"] != early.json()["detail"]

    async def test_the_sending_officer_still_gets_the_stored_answer(self, api):
        manifest = await _two(api)
        fears = manifest["returnees"][0]
        key = f"test-{uuid.uuid4()}"
        add = f"/v1/manifests/{manifest['id']}/returnees"
        first = await api.post("inm.mx", add, api.returnee(given_names="Nueva"), key=key)
        await api.post("inm.mx", _path(manifest, fears["id"]), {"kind": "asylum"})

        again = await api.post("inm.mx", add, api.returnee(given_names="Nueva"), key=key)

        assert again.status_code == first.status_code == 201
        assert again.json() == first.json()
