"""The hand-over record both countries sign (`POST …/handover-record/signatures`), the people
who arrive without being listed (`arrived_not_listed`), and the check of a printed record
(`GET …/handover-record/verification`, and the verifier command offline)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from puebla.audit_anchor import PublicKeys
from puebla.transparency import verify as verifier
from puebla.transparency.record_check import Printed, check_printed

PDF = "application/pdf"
BORDER = "border.gt.tecun"  # the receiving side: the reception point's border officer
SENDING = "inm.mx"  # the delivering side: an immigration officer of the sending country
ARRIVED = {
    "given_names": "Juan Pablo",
    "surnames": "Xol Caal",
    "sex": "M",
    "date_of_birth": "1994-03-02",
    "nationality": "GT",
}


def canonical_sha256(record: dict[str, Any]) -> str:
    """The documented rule, written out: the answer without `digest` and `attestation`, keys
    sorted, separators `,` and `:`, non-ASCII as itself, UTF-8, SHA-256 in lowercase hex."""
    body = {k: v for k, v in record.items() if k not in ("digest", "attestation")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def fields(response) -> list[tuple[str, str]]:
    """A 422's (field, rule) pairs."""
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


def unlisted(**overrides: Any) -> dict[str, Any]:
    return {"outcome": "arrived_not_listed", "person": {**ARRIVED, **overrides}}


async def handed_over(api, *, extra: Sequence[dict[str, Any]] = ()) -> tuple[dict[str, Any], str]:
    """Three people from Mexico to Guatemala: two received, one refused; `extra` items (people
    not listed) recorded in the same request. Returns the manifest and its path."""
    people = [
        api.returnee(given_names="Rosa"),
        api.returnee(given_names="Marta"),
        api.returnee(given_names="Elena"),
    ]
    manifest = await api.dispatched(api.manifest_body(people))
    ids = {p["given_names"]: p["id"] for p in manifest["returnees"]}
    items = [
        {"returnee_id": ids["Rosa"], "outcome": "received"},
        {"returnee_id": ids["Marta"], "outcome": "received"},
        {"returnee_id": ids["Elena"], "outcome": "refused", "reason": "identity_mismatch"},
        *extra,
    ]
    path = f"/v1/manifests/{manifest['id']}"
    recorded = await api.post(BORDER, f"{path}/handovers", {"items": items})
    assert recorded.status_code == 200, recorded.text
    return manifest, path


async def record_of(api, user: str, path: str) -> dict[str, Any]:
    response = await api.get(user, f"{path}/handover-record")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def sign(api, user: str, path: str, digest: str, objections: Sequence[Any] = ()):
    return await api.post(
        user,
        f"{path}/handover-record/signatures",
        {"digest": digest, "objections": list(objections)},
    )


async def signed_by_both(api) -> tuple[str, dict[str, Any]]:
    _, path = await handed_over(api)
    digest = (await record_of(api, SENDING, path))["digest"]
    for user in (SENDING, BORDER):
        response = await sign(api, user, path, digest)
        assert response.status_code == 201, response.text
    return path, await record_of(api, BORDER, path)


class TestArrivedNotListed:
    async def test_is_in_the_record_and_its_totals_for_both_sides(self, api):
        manifest, path = await handed_over(api, extra=[unlisted()])

        for user in (SENDING, BORDER):
            record = await record_of(api, user, path)
            assert record["status"] == "closed"  # the unlisted do not hold the closing up
            assert record["totals"] == {
                "received": 2,
                "not_presented": 0,
                "refused": 1,
                "pending": 0,
                "arrived_not_listed": 1,
                "total": 4,
            }
            [person] = [e for e in record["entries"] if not e["listed"]]
            assert (person["given_names"], person["surnames"]) == ("Juan Pablo", "Xol Caal")
            assert (person["outcome"], person["officer"], person["post"]) == (
                "arrived_not_listed",
                BORDER,
                "GT-TECUN-UMAN",
            )
            assert person["returnee_id"] not in {p["id"] for p in manifest["returnees"]}
            assert record["digest"] == canonical_sha256(record)

    async def test_may_be_recorded_after_the_close_once_and_not_after_a_signature(self, api):
        _, path = await handed_over(api)
        first = await api.post(BORDER, f"{path}/handovers", {"items": [unlisted()]})
        assert first.status_code == 200, first.text
        assert first.json()["recorded"] == [True]
        # The same identity again (an offline post resending; spaces and case aside): a no-op.
        again = await api.post(
            BORDER, f"{path}/handovers", {"items": [unlisted(surnames="  xol caal ")]}
        )
        assert again.json()["recorded"] == [False]
        # Both answers name the one arrival the record holds, by its id there.
        (arrived,), (resent,) = first.json()["items"], again.json()["items"]
        assert resent == arrived
        assert (arrived["listed"], arrived["outcome"]) == (False, "arrived_not_listed")
        assert again.json()["totals"]["arrived_not_listed"] == 1
        record = await record_of(api, BORDER, path)
        assert record["totals"]["arrived_not_listed"] == 1
        [entry] = [e for e in record["entries"] if not e["listed"]]
        assert entry["returnee_id"] == arrived["returnee_id"]

        assert (await sign(api, BORDER, path, record["digest"])).status_code == 201
        late = await api.post(
            BORDER, f"{path}/handovers", {"items": [unlisted(given_names="Otro")]}
        )
        assert late.status_code == 409, late.text
        assert (late.json()["rule"], late.json()["field"]) == ("record_signed", "items[0].person")
        assert (await record_of(api, BORDER, path))["totals"]["arrived_not_listed"] == 1

    @pytest.mark.parametrize(
        ("item", "rule", "field"),
        [
            (
                {"returnee_id": str(uuid.uuid4()), **unlisted()},
                "returnee_id_not_when_not_listed",
                "items[0].returnee_id",
            ),
            ({"outcome": "arrived_not_listed"}, "person_required", "items[0].person"),
            (
                {"outcome": "received", "person": ARRIVED},
                "person_only_when_not_listed",
                "items[0].person",
            ),
            ({"outcome": "received"}, "returnee_id_required", "items[0].returnee_id"),
            (
                {**unlisted(), "reason": "other"},
                "reason_only_for_refusal",
                "items[0].reason",
            ),
        ],
    )
    async def test_a_malformed_item_is_422_naming_the_field(self, api, item, rule, field):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}"
        response = await api.post(BORDER, f"{path}/handovers", {"items": [item]})
        assert response.status_code == 422, response.text
        assert fields(response) == [(field, rule)]
        assert (await record_of(api, BORDER, path))["status"] == "dispatched"

    async def test_a_blank_name_is_422(self, api):
        manifest = await api.dispatched()
        response = await api.post(
            BORDER,
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [unlisted(given_names="   ")]},
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "items[0].person.given_names"


class TestSigning:
    async def test_both_sides_sign_the_digest_they_read_and_the_record_says_so(
        self, api, seal_keys: PublicKeys
    ):
        _, path = await handed_over(api)
        record = await record_of(api, SENDING, path)
        assert record["attestation"]["status"] == "unsigned"
        assert record["attestation"]["seal"] is None

        first = await sign(api, SENDING, path, record["digest"])
        assert first.status_code == 201, first.text
        assert first.json()["signed"] is True
        after_one = first.json()["record"]
        # A signature is beside the record, not in it: the digest does not move.
        assert after_one["digest"] == record["digest"]
        assert after_one["attestation"]["status"] == "signed_by_one_side"

        second = await sign(api, BORDER, path, record["digest"])
        assert second.status_code == 201, second.text
        final = second.json()["record"]
        attestation = final["attestation"]
        assert attestation["status"] == "signed"
        assert [
            (g["side"], g["country"], g["officer"], g["digest"]) for g in attestation["signatures"]
        ] == [
            ("sending", "MX", SENDING, record["digest"]),
            ("receiving", "GT", BORDER, record["digest"]),
        ]
        assert [e["side"] for e in attestation["log_entries"]] == ["sending", "receiving"]
        assert check_printed(seal_keys, "repatriation", Printed.of(final), final) == []

    async def test_the_same_signature_again_is_a_no_op_a_different_one_409(self, api):
        _, path = await handed_over(api)
        record = await record_of(api, BORDER, path)
        assert (await sign(api, BORDER, path, record["digest"])).status_code == 201
        again = await sign(api, BORDER, path, record["digest"])
        assert again.status_code == 200, again.text
        assert again.json()["signed"] is False
        person = record["entries"][0]["returnee_id"]
        other = await sign(
            api, BORDER, path, record["digest"], [{"returnee_id": person, "reason": "No estaba"}]
        )
        assert other.status_code == 409, other.text
        assert other.json()["rule"] == "already_signed"
        signatures = (await record_of(api, BORDER, path))["attestation"]["signatures"]
        assert [g["objections"] for g in signatures] == [[]]

    async def test_a_digest_other_than_the_current_one_is_409(self, api):
        _, path = await handed_over(api)
        old = (await record_of(api, BORDER, path))["digest"]
        # The record changes after the officer read it: someone unlisted is added.
        added = await api.post(BORDER, f"{path}/handovers", {"items": [unlisted()]})
        assert added.status_code == 200, added.text
        stale = await sign(api, SENDING, path, old)
        assert stale.status_code == 409, stale.text
        assert (stale.json()["rule"], stale.json()["field"]) == ("digest_not_current", "digest")
        assert (await record_of(api, SENDING, path))["attestation"]["signatures"] == []

    async def test_only_a_closed_manifest_is_signed(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}"
        digest = (await record_of(api, BORDER, path))["digest"]
        response = await sign(api, BORDER, path, digest)
        assert response.status_code == 409, response.text
        assert response.json()["rule"] == "invalid_transition"

    @pytest.mark.parametrize(
        ("user", "status"),
        [
            ("consul.gt.tapachula", 403),  # reads the record, signs for nobody
            ("igm.gt", 403),  # an immigration officer of the receiving country
            ("border.gt.mesilla", 404),  # another post: does not see the manifest
            ("dgme.sv", 404),  # a third country
        ],
    )
    async def test_who_may_not_sign(self, api, user, status):
        _, path = await handed_over(api)
        digest = (await record_of(api, BORDER, path))["digest"]
        response = await sign(api, user, path, digest)
        assert response.status_code == status, response.text
        assert (await record_of(api, BORDER, path))["attestation"]["signatures"] == []

    @pytest.mark.parametrize(
        ("objections", "rule", "field"),
        [
            (
                [{"returnee_id": str(uuid.uuid4()), "reason": "x"}],
                "objection_not_in_record",
                "objections[0].returnee_id",
            ),
            (
                "twice",
                "duplicate_objection",
                "objections[1].returnee_id",
            ),
        ],
    )
    async def test_an_objection_names_a_person_of_the_record_once(
        self, api, objections, rule, field
    ):
        _, path = await handed_over(api)
        record = await record_of(api, BORDER, path)
        if objections == "twice":
            person = record["entries"][0]["returnee_id"]
            objections = [{"returnee_id": person, "reason": "a"}] * 2
        response = await sign(api, BORDER, path, record["digest"], objections)
        assert response.status_code == 422, response.text
        assert fields(response) == [(field, rule)]

    async def test_an_objection_needs_a_reason(self, api):
        _, path = await handed_over(api)
        record = await record_of(api, BORDER, path)
        person = record["entries"][0]["returnee_id"]
        response = await sign(
            api, BORDER, path, record["digest"], [{"returnee_id": person, "reason": "  "}]
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "objections[0].reason"

    async def test_a_malformed_digest_is_422(self, api):
        _, path = await handed_over(api)
        response = await sign(api, BORDER, path, "ABC")
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "digest"


class TestObjections:
    async def test_an_objection_is_visible_to_both_sides_and_on_the_pdf(self, api):
        manifest, path = await handed_over(api)
        elena = next(p["id"] for p in manifest["returnees"] if p["given_names"] == "Elena")
        record = await record_of(api, SENDING, path)
        reason = "Su identidad fue verificada por el consulado; no debió ser rechazada."
        signed = await sign(
            api, SENDING, path, record["digest"], [{"returnee_id": elena, "reason": reason}]
        )
        assert signed.status_code == 201, signed.text
        assert (await sign(api, BORDER, path, record["digest"])).status_code == 201

        for user in (SENDING, BORDER):
            seen = (await record_of(api, user, path))["attestation"]
            assert seen["status"] == "disputed"
            [sending] = [g for g in seen["signatures"] if g["side"] == "sending"]
            assert sending["objections"] == [{"returnee_id": elena, "reason": reason}]

        for lang, words in (("es", "En disputa"), ("en", "Disputed")):
            pdf = await api.client.get(
                f"{path}/handover-record",
                headers={**api.headers(BORDER), "Accept": PDF, "Accept-Language": lang},
            )
            assert pdf.status_code == 200, pdf.text
            text = " ".join(
                " ".join((p.extract_text() or "").split())
                for p in PdfReader(io.BytesIO(pdf.content)).pages
            )
            assert words in text
            assert "López Pérez, Elena" in text
            assert "no debió ser rechazada" in text

    async def test_the_secretariats_statistics_count_signed_and_disputed_records(
        self, api, monkeypatch
    ):
        monkeypatch.setenv("PUEBLA_STATISTICS_SMALL_CELL", "1")  # every count a number
        before = await records_table(api)
        await signed_by_both(api)
        manifest, path = await handed_over(api)
        digest = (await record_of(api, BORDER, path))["digest"]
        person = manifest["returnees"][0]["id"]
        await sign(api, BORDER, path, digest, [{"returnee_id": person, "reason": "No llegó"}])
        await handed_over(api, extra=[unlisted()])

        after = await records_table(api)
        assert after["signed"] - before.get("signed", 0) == 1
        assert after["disputed"] - before.get("disputed", 0) == 1
        assert after["unsigned"] - before.get("unsigned", 0) == 1
        outcomes = await outcomes_table(api)
        assert outcomes.get("arrived_not_listed", 0) >= 1


async def records_table(api) -> dict[str, int]:
    return await statistics_table(api, "by_record_signing")


async def outcomes_table(api) -> dict[str, int]:
    return await statistics_table(api, "by_outcome")


async def statistics_table(api, name: str) -> dict[str, int]:
    response = await api.get("ts.rcm", "/v1/statistics", year=2026)
    assert response.status_code == 200, response.text
    [table] = [t for t in response.json()["tables"] if t["name"] == name]
    return {row["key"]: row["count"] for row in table["rows"]}


class TestVerification:
    async def test_a_signed_record_verifies_and_an_edited_value_does_not(
        self, api, seal_keys_setting: str, tmp_path: Path
    ):
        path, record = await signed_by_both(api)
        good = await api.get(
            SENDING, f"{path}/handover-record/verification", digest=record["digest"]
        )
        assert good.status_code == 200, good.text
        assert good.json()["verified"] is True
        assert good.json()["current"] is True
        assert good.json()["signed_by"] == ["receiving", "sending"]

        # Someone edits the PDF's values: one refusal becomes a reception.
        edited = copy.deepcopy(record)
        refused = next(e for e in edited["entries"] if e["outcome"] == "refused")
        refused["outcome"], refused["reason"] = "received", None
        edited_digest = canonical_sha256(edited)
        bad = await api.get(SENDING, f"{path}/handover-record/verification", digest=edited_digest)
        assert bad.status_code == 200, bad.text
        assert (bad.json()["verified"], bad.json()["current"], bad.json()["signed_by"]) == (
            False,
            False,
            [],
        )

        # Offline, from the record's JSON: the honest one holds, the edited one does not.
        setting = seal_keys_setting
        honest = tmp_path / "record.json"
        honest.write_text(json.dumps(record, ensure_ascii=False))
        changed = tmp_path / "edited.json"
        changed.write_text(json.dumps(edited, ensure_ascii=False))
        run = ["repatriation", "--handover-record", "--public-keys", setting]
        assert verifier.main([*run, "--record", str(honest)]) == 0
        assert verifier.main([*run, "--record", str(changed)]) == 1

    async def test_offline_from_the_printed_values_alone(self, api, seal_keys_setting, capsys):
        _path, record = await signed_by_both(api)
        printed = Printed.of(record)
        setting = seal_keys_setting
        values = [
            "repatriation",
            "--handover-record",
            "--public-keys",
            setting,
            "--manifest",
            printed.manifest_id,
            "--signatures-digest",
            printed.signatures_digest,
            "--key-id",
            printed.key_id,
            "--seal",
            printed.seal,
        ]
        assert verifier.main([*values, "--digest", printed.digest]) == 0
        assert "sealed by the service as signed" in capsys.readouterr().out
        # One character of the printed digest mistyped, or altered: refused.
        altered = printed.digest[:-1] + ("0" if printed.digest[-1] != "0" else "1")
        assert verifier.main([*values, "--digest", altered]) == 1
        assert "the seal does not match" in capsys.readouterr().out
        # A disputed record cannot be passed off as signed without objection.
        assert verifier.main([*values, "--digest", printed.digest, "--status", "disputed"]) == 1

    async def test_a_reader_only_verifies_what_it_may_read(self, api):
        path, record = await signed_by_both(api)
        hidden = await api.get(
            "dgme.sv", f"{path}/handover-record/verification", digest=record["digest"]
        )
        assert hidden.status_code == 404
        malformed = await api.get(BORDER, f"{path}/handover-record/verification", digest="zz")
        assert malformed.status_code == 422
        assert malformed.json()["errors"][0]["field"] == "digest"
