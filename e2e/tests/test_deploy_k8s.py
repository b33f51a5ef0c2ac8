"""deploy/k8s, read offline: the production realm and the Ingress (security review 16) and the
network trust of the manifests (security review 8). Nothing is applied to a cluster."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
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
        rules: dict[str, str] = {}
        for part in realm["passwordPolicy"].split(" and "):
            found = re.fullmatch(r"(\w+)(?:\((.*)\))?", part.strip())
            assert found is not None, part
            rules[found.group(1)] = found.group(2) or ""
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

    def test_the_step_up_to_a_fresh_otp_is_the_browser_flow(self, realm: dict[str, Any]) -> None:
        # Issue 15: acr "2" (password + a fresh OTP) before a child's sensitive sections.
        assert json.loads(realm["attributes"]["acr.loa.map"]) == {"1": 1, "2": 2}
        flows = {f["alias"]: f for f in realm["authenticationFlows"]}
        configs = {c["alias"]: c["config"] for c in realm["authenticatorConfig"]}

        def steps(alias: str) -> list[tuple[str, str]]:
            ordered = sorted(flows[alias]["authenticationExecutions"], key=lambda e: e["priority"])
            return [(e.get("authenticator") or e["flowAlias"], e["requirement"]) for e in ordered]

        def level(alias: str) -> str:
            (condition,) = [
                e
                for e in flows[alias]["authenticationExecutions"]
                if e.get("authenticator") == "conditional-level-of-authentication"
            ]
            return str(configs[condition["authenticatorConfig"]]["loa-condition-level"])

        top = flows[realm["browserFlow"]]
        assert top["topLevel"] is True
        (forms,) = [a for a, r in steps(top["alias"]) if r == "ALTERNATIVE" and a in flows]
        levels = {level(a): a for a, r in steps(forms) if r == "CONDITIONAL"}
        assert sorted(levels) == ["1", "2"]
        assert ("auth-username-password-form", "REQUIRED") in steps(levels["1"])
        # Every login still asks the OTP of a user who has one (all do, the default action).
        (otp_1,) = [a for a, r in steps(levels["1"]) if r == "CONDITIONAL"]
        assert steps(otp_1) == [
            ("conditional-user-configured", "REQUIRED"),
            ("auth-otp-form", "REQUIRED"),
        ]
        assert ("auth-otp-form", "REQUIRED") in steps(levels["2"])
        # No DEV-ONLY direct grant flow without OTP: Keycloak's own one is the realm's.
        assert "directGrantFlow" not in realm
        assert not any("DEV-ONLY" in f.get("description", "") for f in flows.values())

    def test_refresh_tokens_are_revoked_on_use(self, realm: dict[str, Any]) -> None:
        assert realm["revokeRefreshToken"] is True
        assert realm["refreshTokenMaxReuse"] == 0

    def test_no_users_no_dev_client_tls_required(self, realm: dict[str, Any]) -> None:
        assert "users" not in realm
        assert [c["clientId"] for c in realm["clients"]] == ["puebla-console"]
        assert realm["sslRequired"] == "external"
        assert "demo" not in json.dumps(realm).lower()
        assert "localhost" not in json.dumps(realm)


CONSOLE_URL = "https://console.puebla.example.org"


@pytest.fixture(scope="module")
def console_client(realm: dict[str, Any]) -> dict[str, Any]:
    (client,) = [c for c in realm["clients"] if c["clientId"] == "puebla-console"]
    return dict(client)


class TestProductionConsoleClient:
    """The officers' console's client in the production realm (issue 14)."""

    def test_confidential_code_flow_with_pkce_s256_only(
        self, console_client: dict[str, Any]
    ) -> None:
        assert console_client["publicClient"] is False
        assert console_client["clientAuthenticatorType"] == "client-secret"
        assert console_client["standardFlowEnabled"] is True
        assert console_client["implicitFlowEnabled"] is False
        assert console_client["directAccessGrantsEnabled"] is False
        assert console_client["serviceAccountsEnabled"] is False
        assert console_client["attributes"]["pkce.code.challenge.method"] == "S256"

    def test_no_secret_in_the_file(self, console_client: dict[str, Any]) -> None:
        assert "secret" not in console_client
        assert "dev-only" not in json.dumps(console_client).lower()

    def test_exact_uris_on_the_production_console_host(
        self, console_client: dict[str, Any]
    ) -> None:
        attributes = console_client["attributes"]
        assert console_client["redirectUris"] == [f"{CONSOLE_URL}/auth/callback"]
        assert attributes["post.logout.redirect.uris"] == f"{CONSOLE_URL}/"
        assert attributes["backchannel.logout.url"] == f"{CONSOLE_URL}/auth/backchannel-logout"
        assert attributes["backchannel.logout.session.required"] == "true"
        assert console_client["webOrigins"] == []
        assert "*" not in json.dumps(console_client)

    def test_refresh_tokens_work_once(
        self, realm: dict[str, Any], console_client: dict[str, Any]
    ) -> None:
        assert console_client["attributes"]["use.refresh.tokens"] == "true"
        assert realm["revokeRefreshToken"] is True
        assert realm["refreshTokenMaxReuse"] == 0

    def test_the_four_audiences_and_the_claims(self, console_client: dict[str, Any]) -> None:
        scopes = set(console_client["defaultClientScopes"])
        assert {
            "puebla-claims",
            "aud-repatriation",
            "aud-child_protection",
            "aud-reserve_fund",
            "aud-consular",
        } <= scopes

    def test_the_same_host_as_the_ingress_and_the_consoles_public_url(self) -> None:
        (config,) = [
            d for d in documents(K8S / "services" / "console.yaml") if d["kind"] == "ConfigMap"
        ]
        assert config["data"]["CONSOLE_PUBLIC_URL"] == CONSOLE_URL
        (ingress,) = [
            d for d in documents(K8S / "ingress.yaml") if d["metadata"]["name"] == "puebla"
        ]
        hosts = [
            rule["host"]
            for rule in ingress["spec"]["rules"]
            if rule["http"]["paths"][0]["backend"]["service"]["name"] == "console"
        ]
        assert hosts == [CONSOLE_URL.removeprefix("https://")]
        assert hosts[0] in ingress["spec"]["tls"][0]["hosts"]
        (platform,) = documents(K8S / "platform-config.yaml")
        assert "puebla-console" in platform["data"]["PUEBLA_TOKEN_ALLOWED_CLIENTS"].split(",")


class TestIngress:
    def test_keycloak_exposes_only_the_rcm_realm(self) -> None:
        to_keycloak = [
            path["path"]
            for ingress in documents(K8S / "ingress.yaml")
            for rule in ingress["spec"]["rules"]
            for path in rule["http"]["paths"]
            if path["backend"]["service"]["name"] == "keycloak"
        ]
        assert sorted(to_keycloak) == ["/realms/rcm/", "/resources/"]
        for path in to_keycloak:
            assert not path.startswith(("/admin", "/realms/master"))
            assert path not in ("/", "/realms/", "/realms")


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "network_policy_check", K8S / "network_policy_check.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


CHECK = _checker()
DOCS = CHECK.documents_of(K8S)
PODS = CHECK.pods_of(DOCS) + CHECK.CHART_PODS
FLOWS = list(CHECK.flows(PODS))


class TestNetworkPolicies:
    def test_they_are_part_of_the_kustomization(self) -> None:
        listed = documents(K8S / "kustomization.yaml")[0]["resources"]
        assert "network-policies.yaml" in listed
        assert len(CHECK.policies_of(DOCS)) >= 10

    def test_every_pod_is_selected_by_a_default_deny_and_a_policy_of_its_own(self) -> None:
        names = {pod.name for pod in PODS}
        assert {"keycloak", "nats", "nats-box", "console"} <= names
        assert len([n for n in names if n.endswith(("-api", "-worker"))]) == 8
        assert CHECK.problems(DOCS) == []

    @pytest.mark.parametrize(
        ("source", "destination", "port", "expected"),
        [flow[1:] for flow in FLOWS],
        ids=[f"{flow[0]}:{flow[3]}" for flow in FLOWS],
    )
    def test_flow(self, source: Any, destination: Any, port: int, expected: bool) -> None:
        policies = CHECK.policies_of(DOCS)
        assert CHECK.allowed(policies, source, destination, port) is expected

    def test_the_check_sees_a_pod_no_policy_selects(self) -> None:
        without_deny = [d for d in DOCS if d.get("metadata", {}).get("name") != "default-deny-all"]
        found = CHECK.problems(without_deny)
        assert any("no default-deny Ingress" in line for line in found)
        # The workers' only ingress policy is Prometheus's: without it too, anyone gets in.
        prometheus_only = "metrics-from-prometheus"
        unguarded = [
            d for d in without_deny if d.get("metadata", {}).get("name") != prometheus_only
        ]
        assert "ingress controller -> repatriation-worker :8080 is ALLOWED" in (
            CHECK.problems(unguarded)
        )

        stray = copy.deepcopy(next(d for d in DOCS if d["kind"] == "Deployment"))
        stray["metadata"]["name"] = "stray"
        stray["spec"]["template"]["metadata"]["labels"] = {"app": "stray"}
        assert "stray: no policy allows it anything (selected by none of its own)" in (
            CHECK.problems([*DOCS, stray])
        )

    def test_the_flows_cover_the_console(self) -> None:
        about = {(flow[0], flow[4]) for flow in FLOWS}
        assert ("ingress controller -> console", True) in about
        assert ("console -> NATS clients", False) in about
        assert ("console -> Keycloak https (token, JWKS, logout)", True) in about
        for api in ("repatriation", "child-protection", "reserve-fund", "consular"):
            assert (f"console -> {api}-api", True) in about
            assert (f"{api}-api -> console", False) in about


@pytest.fixture(scope="module")
def console_docs() -> list[dict[str, Any]]:
    return documents(K8S / "services" / "console.yaml")


@pytest.fixture(scope="module")
def console_pod(console_docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [d for d in console_docs if d["kind"] == "Deployment"]
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


class TestConsoleDeployment:
    def test_in_the_kustomization_with_a_service_a_pdb_and_an_hpa(
        self, console_docs: list[dict[str, Any]]
    ) -> None:
        listed = documents(K8S / "kustomization.yaml")[0]["resources"]
        assert "services/console.yaml" in listed
        kinds = {d["kind"] for d in console_docs}
        assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} <= kinds
        assert "HorizontalPodAutoscaler" in kinds
        (service,) = [d for d in console_docs if d["kind"] == "Service"]
        assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]

    def test_runs_the_console_non_root_on_a_read_only_root(
        self, console_pod: dict[str, Any]
    ) -> None:
        assert console_pod["securityContext"]["runAsNonRoot"] is True
        assert console_pod["securityContext"]["runAsUser"] == 10001
        assert console_pod["automountServiceAccountToken"] is False
        for container in [*console_pod["initContainers"], *console_pod["containers"]]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["limits"]["memory"]
            assert container["resources"]["requests"]["cpu"]
        (console,) = console_pod["containers"]
        assert console["command"][:2] == ["uvicorn", "console.entrypoints.app:create_app"]
        assert console["ports"] == [
            {"name": "http", "containerPort": 8000},
            {"name": "metrics", "containerPort": 9464},  # reached by Prometheus alone
        ]

    def test_probes(self, console_pod: dict[str, Any]) -> None:
        (console,) = console_pod["containers"]
        assert console["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert console["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert console["startupProbe"]["httpGet"]["path"] == "/healthz"

    def test_only_the_init_container_holds_the_owners_url(
        self, console_pod: dict[str, Any]
    ) -> None:
        (migrate,) = console_pod["initContainers"]
        assert migrate["command"] == ["python", "-m", "console.entrypoints.migrate"]
        # The migrations need no secret of the client: the init container is not given one.
        assert {"secretRef": {"name": "console-oidc"}} not in migrate.get("envFrom", [])
        owner = _env(migrate)["CONSOLE_MIGRATION_DATABASE_URL"]["secretKeyRef"]
        assert owner == {"name": "console-database-owner", "key": "url"}
        (console,) = console_pod["containers"]
        env = _env(console)
        assert "CONSOLE_MIGRATION_DATABASE_URL" not in env
        assert env["CONSOLE_MIGRATE_ON_START"] == "false"
        assert env["CONSOLE_DATABASE_URL"]["secretKeyRef"]["name"] == "console-database"

    def test_secrets_from_a_secret_and_every_one_has_its_example(
        self, console_pod: dict[str, Any]
    ) -> None:
        (console,) = console_pod["containers"]
        sources = console["envFrom"]
        assert {"configMapRef": {"name": "puebla-platform"}} in sources
        assert {"secretRef": {"name": "console-oidc"}} in sources
        examples = {d["metadata"]["name"]: d for d in documents(K8S / "secret.example.yaml")}
        assert set(examples["console-oidc"]["stringData"]) == {
            "CONSOLE_CLIENT_SECRET",
            "CONSOLE_SESSION_KEY",
        }
        for name in ("console-database", "console-database-owner"):
            assert examples[name]["stringData"]["url"].startswith("postgresql+asyncpg://console")
        config = next(
            d for d in documents(K8S / "services" / "console.yaml") if d["kind"] == "ConfigMap"
        )
        assert not {"CONSOLE_CLIENT_SECRET", "CONSOLE_SESSION_KEY"} & set(config["data"])

    def test_no_bus_and_keycloak_over_https_with_the_in_cluster_ca(
        self, console_pod: dict[str, Any]
    ) -> None:
        (console,) = console_pod["containers"]
        env = _env(console)
        assert "PUEBLA_NATS_CREDENTIALS" not in env
        assert all(v["name"] != "nats-user" for v in console_pod["volumes"])
        config = next(
            d for d in documents(K8S / "services" / "console.yaml") if d["kind"] == "ConfigMap"
        )
        assert config["data"]["CONSOLE_KEYCLOAK_URL"] == (
            "https://keycloak.puebla.svc.cluster.local:8443"
        )
        (ca,) = [v for v in console_pod["volumes"] if v["name"] == "keycloak-ca"]
        assert ca["configMap"]["items"] == [{"key": "PUEBLA_KEYCLOAK_CA_PEM", "path": "ca.pem"}]
        mount = next(m for m in console["volumeMounts"] if m["name"] == "keycloak-ca")
        assert env["SSL_CERT_FILE"] == f"{mount['mountPath']}/ca.pem"

    def test_the_four_apis_by_their_services(self, console_docs: list[dict[str, Any]]) -> None:
        config = next(d for d in console_docs if d["kind"] == "ConfigMap")
        for variable, service in (
            ("REPATRIATION", "repatriation"),
            ("CHILD_PROTECTION", "child-protection"),
            ("RESERVE_FUND", "reserve-fund"),
            ("CONSULAR", "consular"),
        ):
            assert config["data"][f"CONSOLE_{variable}_URL"] == (
                f"http://{service}.puebla.svc.cluster.local"
            )
            names = {d["metadata"]["name"] for d in documents(K8S / "services" / f"{service}.yaml")}
            assert service in names


@pytest.fixture(scope="module")
def keycloak() -> dict[str, Any]:
    return next(
        d for d in documents(K8S / "keycloak" / "keycloak.yaml") if d["kind"] == "Deployment"
    )


class TestKeycloakTransport:
    def test_https_only_and_forwarded_headers_only_from_the_ingress(
        self, keycloak: dict[str, Any]
    ) -> None:
        (container,) = keycloak["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["KC_HTTP_ENABLED"] == "false"
        assert env["KC_HTTPS_PORT"] == "8443"
        assert env["KC_HTTPS_CERTIFICATE_FILE"].startswith("/opt/keycloak/conf/tls/")
        assert env["KC_PROXY_HEADERS"] == "xforwarded"
        assert env["KC_PROXY_TRUSTED_ADDRESSES"]
        assert {p["containerPort"] for p in container["ports"]} == {8443, 9000, 7800, 57800}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["scheme"] == "HTTPS"

    def test_the_ingress_speaks_https_to_it_and_the_service_has_no_http_port(self) -> None:
        (service,) = [
            d for d in documents(K8S / "keycloak" / "keycloak.yaml") if d["kind"] == "Service"
        ]
        assert [p["port"] for p in service["spec"]["ports"]] == [8443]
        (ingress,) = [
            d for d in documents(K8S / "ingress.yaml") if d["metadata"]["name"] == "keycloak"
        ]
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"

    def test_the_services_fetch_the_jwks_over_https_with_the_in_cluster_ca(self) -> None:
        (config,) = documents(K8S / "platform-config.yaml")
        url = config["data"]["PUEBLA_KEYCLOAK_JWKS_URL"]
        assert url.startswith("https://keycloak.puebla.svc.cluster.local:8443/realms/rcm/")
        assert config["data"]["PUEBLA_KEYCLOAK_CA_PEM"].startswith("-----BEGIN CERTIFICATE-----")


class TestTheBus:
    """Every pod signs in to NATS with its own nkey (security review 2); nothing shares one."""

    SERVICES = {
        "repatriation": "repatriation",
        "child-protection": "child_protection",
        "reserve-fund": "reserve_fund",
        "consular": "consular",
    }

    def test_each_service_pod_mounts_only_its_own_seed(self) -> None:
        for file_name, service in self.SERVICES.items():
            for doc in documents(K8S / "services" / f"{file_name}.yaml"):
                if doc["kind"] != "Deployment":
                    continue
                spec = doc["spec"]["template"]["spec"]
                secrets = [v["secret"] for v in spec["volumes"] if v["name"] == "nats-user"]
                assert [s["secretName"] for s in secrets] == [f"nats-user-{file_name}"]
                assert secrets[0]["items"] == [{"key": "seed", "path": f"{service}.nk"}]
                for container in spec["containers"]:
                    env = {e["name"]: e.get("value") for e in container["env"]}
                    assert env["PUEBLA_NATS_CREDENTIALS"] == f"/run/nats/{service}.nk"

    def test_the_streams_are_declared_by_the_provisioner_alone(self) -> None:
        (job,) = documents(K8S / "nats-streams.yaml")
        spec = job["spec"]["template"]["spec"]
        assert spec["containers"][0]["command"] == ["python", "-m", "puebla.messaging.provision"]
        assert spec["volumes"][0]["secret"]["secretName"] == "nats-user-provisioner"

    def test_nats_includes_the_bus_users_and_has_no_shared_leaf_password(self) -> None:
        values = yaml.safe_load((K8S / "nats" / "values.yaml").read_text())
        config = values["config"]
        assert config["merge"] == {"$include": "../nats-auth/auth.conf"}
        assert "authorization" not in config["leafnodes"].get("merge", {})
        assert config["jetstream"]["merge"]["cipher"] == "chachapoly"
        assert "LEAFNODE_PASSWORD" not in values["container"]["env"]
