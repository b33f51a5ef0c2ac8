"""Security review 11: the public dev encryption keys are refused outside `PUEBLA_ENV=dev`.

Both keys public in this repository — the devstack's DEV_ONLY_KEYS and compose.yaml's `k1` —
are recognised by their hash, under any key id; with neither keys nor `PUEBLA_ENV=dev` the
service has no key ring at all (no silent fallback)."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
import structlog

from child_protection.adapters.crypto import DEV_ONLY_KEYS, KeyRing
from child_protection.bootstrap import DevKeyRefused, load_keyring
from child_protection.config import Settings

REPO = Path(__file__).resolve().parents[4]
REAL = f"prod1:{base64.b64encode(bytes(range(32))).decode()}"


def compose_key() -> str:
    """The key compose.yaml commits, read from the file (so a new one there must be listed)."""
    found = re.search(
        r"^x-child-protection-keys: &child-protection-keys (\S+)$",
        (REPO / "compose.yaml").read_text(),
        re.MULTILINE,
    )
    assert found is not None
    return found.group(1)


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUEBLA_ENV", raising=False)
    monkeypatch.delenv("CHILD_PROTECTION_ENCRYPTION_KEYS", raising=False)


class TestRecognised:
    def test_both_committed_public_keys_are_dev_only_under_any_id(self) -> None:
        for setting in (DEV_ONLY_KEYS, compose_key()):
            material = setting.split(":", 1)[1]
            assert KeyRing.parse(setting).is_dev_only
            assert KeyRing.parse(f"renamed:{material}").is_dev_only
            assert KeyRing.parse(f"{REAL},old:{material}").public_dev_key_ids == ("old",)

    def test_a_real_key_is_not(self) -> None:
        assert not KeyRing.parse(REAL).is_dev_only


@pytest.mark.usefixtures("production")
class TestOutsideDev:
    def test_no_keys_refuses_to_start(self) -> None:
        with pytest.raises(DevKeyRefused, match="CHILD_PROTECTION_ENCRYPTION_KEYS is required"):
            load_keyring(Settings())

    @pytest.mark.parametrize("which", ["devstack", "compose"])
    def test_a_public_key_in_the_ring_refuses_to_start(self, which: str) -> None:
        public = DEV_ONLY_KEYS if which == "devstack" else compose_key()
        for setting in (public, f"{REAL},{public}"):
            with pytest.raises(DevKeyRefused, match="public dev key") as refused:
                load_keyring(Settings(encryption_keys=setting))
            assert public.split(":", 1)[1] not in str(refused.value)

    def test_any_other_env_is_not_dev(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PUEBLA_ENV", "production")
        with pytest.raises(DevKeyRefused):
            load_keyring(Settings(encryption_keys=compose_key()))

    def test_real_keys_start(self) -> None:
        assert load_keyring(Settings(encryption_keys=REAL)).key_ids == ("prod1",)


class TestInDev:
    def test_the_devstack_and_the_tests_run_as_dev_explicitly(self) -> None:
        from puebla_dev.devstack.stack import service_env

        assert os.environ["PUEBLA_ENV"] == "dev"  # set by puebla_dev.testing.plugin
        assert service_env("child_protection")["PUEBLA_ENV"] == "dev"
        assert re.search(r"^  PUEBLA_ENV: dev$", (REPO / "compose.yaml").read_text(), re.M)

    def test_dev_falls_back_to_the_dev_key_with_a_warning(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PUEBLA_ENV", "dev")
        monkeypatch.delenv("CHILD_PROTECTION_ENCRYPTION_KEYS", raising=False)
        with structlog.testing.capture_logs() as logs:
            ring = load_keyring(Settings())
            compose = load_keyring(Settings(encryption_keys=compose_key()))
        assert ring.is_dev_only
        assert compose.is_dev_only
        assert [e["event"] for e in logs] == ["child_protection.encryption.dev_only_key"] * 2
