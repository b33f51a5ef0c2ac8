"""The local stack's audit checkpoint keys (`puebla_dev.devstack.audit_keys`): one per service, made
at first start under var/ (git-ignored, so never committed), private to its owner, reused after,
and their public halves given to every service."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from puebla.audit_anchor import PublicKeys, SigningKey
from puebla_dev.devstack import audit_keys
from puebla_dev.devstack.processes import repo_root

SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PUEBLA_VAR_DIR", str(tmp_path))
    return tmp_path


def test_a_key_is_made_at_first_start_private_and_reused(var: Path) -> None:
    first = audit_keys.signing_key("reserve_fund")
    path = var / "keys" / "audit" / "reserve_fund.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.parse(path.read_text()).setting() == first.setting()
    assert audit_keys.signing_key("reserve_fund").setting() == first.setting()
    assert first.key_id.startswith("reserve-fund-dev-")
    assert audit_keys.signing_key("consular").setting() != first.setting()


def test_each_service_gets_its_own_key_and_everyone_s_public_keys(var: Path) -> None:
    envs = {s: audit_keys.service_env(s, SERVICES) for s in SERVICES}
    secrets = {env["PUEBLA_AUDIT_SIGNING_KEY"] for env in envs.values()}
    assert len(secrets) == 4
    public = PublicKeys.parse(envs["consular"]["PUEBLA_AUDIT_PUBLIC_KEYS"])
    for service, env in envs.items():
        key = SigningKey.parse(env["PUEBLA_AUDIT_SIGNING_KEY"])
        assert public.get(service, key.key_id) is not None
        assert env["PUEBLA_AUDIT_PUBLIC_KEYS"] == envs["consular"]["PUEBLA_AUDIT_PUBLIC_KEYS"]


def test_the_keys_live_where_git_ignores_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUEBLA_VAR_DIR", raising=False)
    assert audit_keys.key_dir() == repo_root() / "var" / "keys" / "audit"
    # Read from .gitignore, not asked of git: the tests also run in copies that are no checkout.
    assert "var/" in (repo_root() / ".gitignore").read_text().split()
