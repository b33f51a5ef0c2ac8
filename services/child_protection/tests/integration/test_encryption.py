"""Sensitive sections at rest: ciphertext in the table, rotating named keys, bound to the case."""

from __future__ import annotations

import base64
import json

import pytest
import structlog
from sqlalchemy import text

from child_protection.adapters.crypto import (
    DEV_ONLY_KEYS,
    KeyRing,
    KeyRingError,
    SealedDataError,
)
from child_protection.bootstrap import load_keyring
from child_protection.config import Settings
from child_protection.service_layer import handlers, sensitive

from .conftest import DINAF, SYSTEM

# The keys the `keyring` fixture uses (k1), and the one rotated in.
K1 = bytes(range(32))
K2 = bytes(range(100, 132))
K1_SETTING = f"k1:{base64.b64encode(K1).decode()}"
K2_SETTING = f"k2:{base64.b64encode(K2).decode()}"

SECRETS = {
    "indicator": "SECRET-INDICATOR recruiter met him at the border",
    "health": "SECRET-HEALTH untreated asthma",
    "contact": "SECRET-CONTACT +504 9876-5432",
    "interview": "SECRET-INTERVIEW he was threatened in Choloma",
    "measure": "SECRET-MEASURE inhaler given at the shelter",
    "home": "SECRET-HOME one room shared with an uncle",
}


async def _case_with_every_secret(cases) -> object:
    case_id = await cases.open(trafficking_indicator=False, indicator_details=SECRETS["indicator"])
    await cases.measure(case_id, SECRETS["measure"])
    await cases.interview(case_id, SECRETS["interview"])
    await cases.trace(case_id, SECRETS["contact"])
    await cases.bia(case_id, health=SECRETS["health"])
    await cases.origin(case_id, home=SECRETS["home"])
    return case_id


class TestAtRest:
    async def test_the_raw_row_holds_ciphertext_only(self, cases) -> None:
        case_id = await _case_with_every_secret(cases)

        row = await cases.row(
            "SELECT key_id, nonce, ciphertext FROM child_case_sensitive WHERE case_id = :id",
            id=case_id,
        )

        assert row["key_id"] == "k1"
        assert len(row["nonce"]) == 12
        raw = bytes(row["ciphertext"])
        for secret in SECRETS.values():
            for fragment in (secret, secret.split()[0], secret.split()[-1]):
                assert fragment.encode() not in raw
                assert base64.b64encode(fragment.encode()) not in raw
        assert b"SECRET" not in raw
        assert b"indicators" not in raw  # not even the JSON's keys

    async def test_no_plain_table_holds_a_secret(self, cases) -> None:
        case_id = await _case_with_every_secret(cases)

        async with cases.runtime.sessions() as session:
            dumps = [
                (await session.execute(text(sql), {"id": str(case_id)})).scalar_one()
                for sql in (
                    "SELECT row_to_json(c)::text FROM child_case c WHERE id = CAST(:id AS uuid)",
                    "SELECT coalesce(json_agg(o)::text, '') FROM outbox o WHERE aggregateid = :id",
                    "SELECT coalesce(json_agg(a)::text, '') FROM audit a WHERE entity_id = :id",
                )
            ]

        assert "Kevin Josué" in dumps[0]  # the summary is plain, as it should be
        assert all("SECRET" not in dump for dump in dumps)

    async def test_each_write_uses_a_fresh_nonce(self, cases) -> None:
        case_id = await cases.open()
        first = await cases.row(
            "SELECT nonce FROM child_case_sensitive WHERE case_id = :id", id=case_id
        )
        await cases.interview(case_id)

        second = await cases.row(
            "SELECT nonce FROM child_case_sensitive WHERE case_id = :id", id=case_id
        )

        assert bytes(first["nonce"]) != bytes(second["nonce"])

    async def test_a_write_that_touches_no_section_keeps_the_ciphertext(self, cases) -> None:
        case_id = await cases.open()
        before = await cases.row(
            "SELECT nonce FROM child_case_sensitive WHERE case_id = :id", id=case_id
        )
        await cases.notify(case_id)  # a plain record

        after = await cases.row(
            "SELECT nonce FROM child_case_sensitive WHERE case_id = :id", id=case_id
        )

        assert bytes(before["nonce"]) == bytes(after["nonce"])


class TestRotation:
    async def test_a_rotated_key_set_reads_old_rows_and_seals_new_writes(self, cases) -> None:
        case_id = await cases.open(indicator_details=SECRETS["indicator"])
        rotated = cases.with_keyring(KeyRing.parse(f"{K2_SETTING},{K1_SETTING}"))

        read = await sensitive.read_sensitive(rotated.services, DINAF, case_id, "rotation test")
        assert read.sections["indicators"]["details"] == SECRETS["indicator"]

        await rotated.interview(case_id, SECRETS["interview"])
        row = await cases.row(
            "SELECT key_id FROM child_case_sensitive WHERE case_id = :id", id=case_id
        )
        assert row["key_id"] == "k2"
        only_new = cases.with_keyring(KeyRing.parse(K2_SETTING))
        again = await sensitive.read_sensitive(only_new.services, DINAF, case_id, "rotation test")
        assert again.sections["interviews"][0]["notes"] == SECRETS["interview"]
        assert again.sections["indicators"]["details"] == SECRETS["indicator"]

    async def test_a_key_set_without_the_rows_key_refuses_to_read(self, cases) -> None:
        case_id = await cases.open()
        without_k1 = cases.with_keyring(KeyRing.parse(K2_SETTING))

        with pytest.raises(SealedDataError, match="'k1', which is not in the key ring"):
            await sensitive.read_sensitive(without_k1.services, DINAF, case_id, "test")


class TestBoundToTheCase:
    async def test_a_ciphertext_moved_to_another_case_does_not_open(self, cases) -> None:
        victim = await cases.open(indicator_details=SECRETS["indicator"])
        other = await cases.open()
        async with cases.runtime.sessions() as session:
            await session.execute(
                text(
                    "UPDATE child_case_sensitive AS t SET key_id = s.key_id, nonce = s.nonce,"
                    " ciphertext = s.ciphertext FROM child_case_sensitive AS s"
                    " WHERE s.case_id = :victim AND t.case_id = :other"
                ),
                {"victim": victim, "other": other},
            )
            await session.commit()

        with pytest.raises(SealedDataError, match="does not authenticate"):
            await sensitive.read_sensitive(cases.services, DINAF, other, "test")

    async def test_a_flipped_bit_does_not_open(self, cases) -> None:
        case_id = await cases.open()
        async with cases.runtime.sessions() as session:
            await session.execute(
                text(
                    "UPDATE child_case_sensitive SET ciphertext ="
                    " set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE case_id = :id"
                ),
                {"id": case_id},
            )
            await session.commit()

        with pytest.raises(SealedDataError):
            await sensitive.read_sensitive(cases.services, DINAF, case_id, "test")


class TestKeyRing:
    def test_the_first_key_seals_and_every_key_opens(self) -> None:
        ring = KeyRing.parse(f" {K2_SETTING} , {K1_SETTING} ")
        old = KeyRing.parse(K1_SETTING).seal(b"child file", b"case-1")

        assert ring.current_key_id == "k2"
        assert ring.key_ids == ("k2", "k1")
        assert ring.seal(b"x", b"case-1").key_id == "k2"
        assert ring.open(old, b"case-1") == b"child file"

    @pytest.mark.parametrize(
        ("setting", "message"),
        [
            ("", "at least one encryption key"),
            ("k1", "must look like '<id>:<base64>'"),
            ("k1:not base64!", "'k1' is not valid base64"),
            (f"k1:{base64.b64encode(b'short').decode()}", "'k1' must be 32 bytes"),
            (f"{K1_SETTING},{K1_SETTING}", "'k1' appears twice"),
            (f"bad id:{base64.b64encode(K1).decode()}", "key id 'bad id' must match"),
        ],
    )
    def test_a_malformed_setting_is_refused_without_showing_keys(
        self, setting: str, message: str
    ) -> None:
        with pytest.raises(KeyRingError, match=message) as raised:
            KeyRing.parse(setting)

        assert base64.b64encode(K1).decode() not in str(raised.value)

    def test_key_material_never_shows(self) -> None:
        ring = KeyRing.parse(f"{K1_SETTING},{K2_SETTING}")
        settings = Settings(encryption_keys=f"{K1_SETTING},{K2_SETTING}")
        sealed = ring.seal(b"secret", b"case")

        shown = " ".join(
            [repr(ring), str(ring), repr(settings), str(settings.model_dump()), repr(sealed)]
        )

        assert base64.b64encode(K1).decode() not in shown
        assert "k1" in repr(ring)

    def test_the_dev_only_key_is_the_default_and_is_flagged(self) -> None:
        with structlog.testing.capture_logs() as logs:
            ring = load_keyring(Settings())

        assert ring.is_dev_only
        assert ring.current_key_id == "dev-only-do-not-deploy"
        assert [entry["event"] for entry in logs] == ["child_protection.encryption.dev_only_key"]
        assert logs[0]["key_ids"] == ["dev-only-do-not-deploy"]
        assert DEV_ONLY_KEYS.split(":")[1] not in repr(logs)

    def test_a_configured_key_ring_is_not_dev_only(self) -> None:
        ring = load_keyring(Settings(encryption_keys=K1_SETTING))

        assert not ring.is_dev_only
        assert json.dumps(list(ring.key_ids)) == '["k1"]'


class TestReseal:
    async def test_old_rows_are_resealed_with_the_new_key_and_read_without_the_old(
        self, fresh_cases
    ) -> None:
        first = await fresh_cases.open(indicator_details=SECRETS["indicator"])
        second = await fresh_cases.open()
        rotated = fresh_cases.with_keyring(KeyRing.parse(f"{K2_SETTING},{K1_SETTING}"))
        await rotated.interview(second)  # already moved to k2 by its own write

        resealed = await handlers.reseal_sensitive_sections(rotated.uow(SYSTEM), batch=1)

        assert resealed == 1
        assert await handlers.reseal_sensitive_sections(rotated.uow(SYSTEM)) == 0
        only_k2 = fresh_cases.with_keyring(KeyRing.parse(K2_SETTING))
        read = await sensitive.read_sensitive(only_k2.services, DINAF, first, "after rotation")
        assert read.sections["indicators"]["details"] == SECRETS["indicator"]
        assert read.version == 1  # the case itself did not change
        entry = await fresh_cases.row(
            "SELECT actor, detail FROM audit WHERE action = 'child_case.sensitive_resealed'"
        )
        assert (entry["actor"], entry["detail"]) == ("system", {"from_key": "k1", "to_key": "k2"})
