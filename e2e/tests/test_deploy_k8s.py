"""deploy/k8s, read offline: the production realm and the Ingress (security review 16) and the
network trust of the manifests (security review 8). Nothing is applied to a cluster."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
REALM = K8S / "keycloak" / "realm-rcm.json"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(REALM.read_text())
    return loaded


class TestProductionRealm:
    def test_the_script_regenerates_the_committed_file_identically(self) -> None:
        derived = subprocess.run(
            [sys.executable, str(K8S / "keycloak" / "prod-realm.py")],
            check=True,
            capture_output=True,
        ).stdout
        assert derived == REALM.read_bytes()

    def test_a_password_policy(self, realm: dict[str, Any]) -> None:
        rules = dict(
            re.fullmatch(r"(\w+)(?:\((.*)\))?", part.strip()).groups()  # type: ignore[union-attr]
            for part in realm["passwordPolicy"].split(" and ")
        )
        assert int(rules["length"]) >= 12
        assert {"notUsername", "notEmail", "passwordHistory"} <= rules.keys()

    def test_brute_force_protection(self, realm: dict[str, Any]) -> None:
        assert realm["bruteForceProtected"] is True
        assert 0 < realm["failureFactor"] <= 10
        assert realm["waitIncrementSeconds"] > 0
        assert realm["maxFailureWaitSeconds"] >= 300

    def test_login_and_admin_events_are_recorded(self, realm: dict[str, Any]) -> None:
        assert realm["eventsEnabled"] is True
        assert realm["eventsExpiration"] >= 30 * 24 * 3600
        assert "jboss-logging" in realm["eventsListeners"]
        assert realm["adminEventsEnabled"] is True
        assert realm["adminEventsDetailsEnabled"] is True

    def test_every_staff_member_sets_up_otp_at_first_login(self, realm: dict[str, Any]) -> None:
        actions = {a["alias"]: a for a in realm["requiredActions"]}
        assert actions["CONFIGURE_TOTP"]["enabled"] is True
        assert actions["CONFIGURE_TOTP"]["defaultAction"] is True
        assert [a for a, v in actions.items() if v["defaultAction"]] == ["CONFIGURE_TOTP"]
        # The list replaces Keycloak's: the actions a realm needs are still there.
        assert actions["UPDATE_PASSWORD"]["enabled"] is True
        assert realm["otpPolicyType"] == "totp"
        assert realm["otpPolicyCodeReusable"] is False

    def test_refresh_tokens_are_revoked_on_use(self, realm: dict[str, Any]) -> None:
        assert realm["revokeRefreshToken"] is True
        assert realm["refreshTokenMaxReuse"] == 0

    def test_no_users_no_dev_client_tls_required(self, realm: dict[str, Any]) -> None:
        assert "users" not in realm
        assert "clients" not in realm
        assert realm["sslRequired"] == "external"
        assert "demo" not in json.dumps(realm).lower()


class TestIngress:
    def test_keycloak_exposes_only_the_rcm_realm(self) -> None:
        (ingress,) = documents(K8S / "ingress.yaml")
        to_keycloak = [
            path["path"]
            for rule in ingress["spec"]["rules"]
            for path in rule["http"]["paths"]
            if path["backend"]["service"]["name"] == "keycloak"
        ]
        assert sorted(to_keycloak) == ["/realms/rcm/", "/resources/"]
        for path in to_keycloak:
            assert not path.startswith(("/admin", "/realms/master"))
            assert path not in ("/", "/realms/", "/realms")
