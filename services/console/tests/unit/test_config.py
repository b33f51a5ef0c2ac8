"""The console's settings agree with the realm it signs in to, and refuse dev secrets in prod."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from console.adapters.sealing import Sealer
from console.config import DEV_CLIENT_SECRET, Settings

REALM = Path(__file__).resolve().parents[4] / "deploy" / "keycloak" / "realm-rcm.json"


def test_sessions_end_when_the_realms_sessions_do() -> None:
    realm = json.loads(REALM.read_text())
    settings = Settings(env="dev")
    assert settings.session_idle_seconds == realm["ssoSessionIdleTimeout"]
    assert settings.session_absolute_seconds == realm["ssoSessionMaxLifespan"]
    # Rotation: a refresh token is good once, so a stolen one and the console's cannot both live.
    assert realm["revokeRefreshToken"] is True
    assert realm["refreshTokenMaxReuse"] == 0


def test_the_realm_sends_the_console_back_to_its_own_callback() -> None:
    realm = json.loads(REALM.read_text())
    (client,) = [c for c in realm["clients"] if c["clientId"] == "puebla-console"]
    settings = Settings(env="dev")
    assert settings.redirect_uri in client["redirectUris"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert client["attributes"]["backchannel.logout.url"] == (
        f"{settings.public_url}/auth/backchannel-logout"
    )
    assert client["secret"] == DEV_CLIENT_SECRET


@pytest.mark.parametrize("env", ["", "prod", "staging"])
def test_outside_dev_the_dev_secret_and_key_are_refused(env: str) -> None:
    with pytest.raises(ValidationError, match="DEV-ONLY"):
        Settings(env=env, session_key=Sealer.new_key())
    with pytest.raises(ValidationError, match="DEV-ONLY"):
        Settings(env=env, client_secret="a-real-secret")
    assert Settings(env=env, client_secret="a-real-secret", session_key=Sealer.new_key())
