"""compose.yaml, the image and the initdb SQL, read offline: the officers' console is a compose
service like the APIs (its own database and roles, the dev realm's client, the APIs over the
compose network) and its files are in the image. Nothing is started."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SRC = ROOT / "services" / "console" / "src" / "console"
APIS = {
    "REPATRIATION": "repatriation-api",
    "CHILD_PROTECTION": "child-protection-api",
    "RESERVE_FUND": "reserve-fund-api",
    "CONSULAR": "consular-api",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def console(compose: dict[str, Any]) -> dict[str, Any]:
    service: dict[str, Any] = compose["services"]["console"]
    return service


@pytest.fixture(scope="module")
def env(console: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in console["environment"].items()}


def _dev_console_client() -> dict[str, Any]:
    realm = json.loads((ROOT / "deploy" / "keycloak" / "realm-rcm.json").read_text())
    (client,) = [c for c in realm["clients"] if c["clientId"] == "puebla-console"]
    return dict(client)


def _port_of(command: list[str]) -> int:
    return int(command[command.index("--port") + 1])


class TestConsoleService:
    def test_runs_the_console_app_from_the_one_image(
        self, compose: dict[str, Any], console: dict[str, Any]
    ) -> None:
        assert console["image"] == compose["services"]["repatriation-api"]["image"]
        assert console["build"] == "."
        command = console["command"]
        assert command[:3] == ["uvicorn", "console.entrypoints.app:create_app", "--factory"]
        assert _port_of(command) == 8000

    def test_published_on_loopback_only(self, console: dict[str, Any]) -> None:
        assert console["ports"] == ["127.0.0.1:8000:8000"]

    def test_healthcheck_asks_readyz(self, console: dict[str, Any]) -> None:
        test = " ".join(console["healthcheck"]["test"])
        assert "http://127.0.0.1:8000/readyz" in test

    def test_waits_for_the_four_apis_and_keycloak_and_needs_no_bus(
        self, console: dict[str, Any], env: dict[str, str]
    ) -> None:
        depends = console["depends_on"]
        for api in [*APIS.values(), "keycloak", "postgres"]:
            assert depends[api] == {"condition": "service_healthy"}, api
        assert "nats" not in depends
        assert "PUEBLA_NATS_CREDENTIALS" not in env
        assert not console.get("volumes")

    def test_its_public_url_is_the_dev_realms_redirect_uri(self, env: dict[str, str]) -> None:
        client = _dev_console_client()
        assert f"{env['CONSOLE_PUBLIC_URL']}/auth/callback" in client["redirectUris"]
        assert env["CONSOLE_CLIENT_SECRET"] == client["secret"]
        assert env["PUEBLA_ENV"] == "dev"  # the DEV-ONLY secret and key are refused otherwise

    def test_the_issuer_is_keycloaks_browser_facing_host_the_server_calls_inside(
        self, compose: dict[str, Any], env: dict[str, str]
    ) -> None:
        keycloak = compose["services"]["keycloak"]
        (hostname,) = [
            a.split("=", 1)[1] for a in keycloak["command"] if a.startswith("--hostname")
        ]
        assert env["PUEBLA_KEYCLOAK_ISSUER"] == f"{hostname}/realms/rcm"
        assert env["CONSOLE_KEYCLOAK_URL"] == "http://keycloak:8080"
        assert urlsplit(env["PUEBLA_KEYCLOAK_JWKS_URL"]).netloc == "keycloak:8080"

    def test_the_four_apis_by_their_compose_names_and_ports(
        self, compose: dict[str, Any], env: dict[str, str]
    ) -> None:
        for variable, service in APIS.items():
            port = _port_of(compose["services"][service]["command"])
            assert env[f"CONSOLE_{variable}_URL"] == f"http://{service}:{port}"

    def test_the_session_key_is_a_fernet_key(self, env: dict[str, str]) -> None:
        import base64

        assert len(base64.urlsafe_b64decode(env["CONSOLE_SESSION_KEY"])) == 32


class TestConsoleDatabase:
    SQL = (ROOT / "deploy" / "compose" / "initdb" / "10-databases.sql").read_text()

    def test_runs_as_a_role_that_owns_nothing_and_migrates_as_the_owner(
        self, env: dict[str, str]
    ) -> None:
        runtime = urlsplit(env["CONSOLE_DATABASE_URL"])
        owner = urlsplit(env["CONSOLE_MIGRATION_DATABASE_URL"])
        assert (runtime.username, runtime.hostname, runtime.path) == (
            "console",
            "postgres",
            "/console",
        )
        assert (owner.username, owner.path) == ("console_owner", "/console")

    def test_initdb_makes_the_database_and_both_roles(self) -> None:
        for statement in (
            "CREATE ROLE console_owner LOGIN",
            "CREATE ROLE console LOGIN",
            "CREATE DATABASE console OWNER console_owner;",
            "REVOKE ALL ON DATABASE console FROM PUBLIC;",
            "GRANT CONNECT, TEMPORARY ON DATABASE console TO console;",
        ):
            assert statement in self.SQL, statement
        after = self.SQL.split("\\connect console\n", 1)[1].split("\\connect postgres", 1)[0]
        assert "ALTER SCHEMA public OWNER TO console_owner;" in after
        assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in after


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore matching, as far as this file's patterns need: a pattern matches
    a path or any of its parents; `**/` matches any number of directories."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            candidates = [prefix]
            if bare != pattern:
                pieces = prefix.split("/")
                candidates = ["/".join(pieces[i:]) for i in range(len(pieces))]
            if any(fnmatch.fnmatchcase(c, bare) for c in candidates):
                return True
    return False


class TestImage:
    DOCKERFILE = (ROOT / "Dockerfile").read_text()

    def test_the_lock_layer_knows_the_console_member(self) -> None:
        assert (
            "COPY services/console/pyproject.toml services/console/pyproject.toml"
            in self.DOCKERFILE
        )
        assert re.search(r"^COPY services services$", self.DOCKERFILE, re.M)
        assert "8000" in re.search(r"^EXPOSE (.*)$", self.DOCKERFILE, re.M).group(1)  # type: ignore[union-attr]

    def test_templates_static_files_and_catalogs_are_not_ignored(self) -> None:
        patterns = [
            line.strip()
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert _ignored("services/console/tests/unit/x.py", patterns)  # the matcher works
        files = [
            p.relative_to(ROOT).as_posix()
            for folder in ("entrypoints/templates", "entrypoints/static", "locales")
            for p in (CONSOLE_SRC / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
        assert any(f.endswith(".po") for f in files)
        assert any(f.endswith(".html") for f in files)
        assert [f for f in files if _ignored(f, patterns)] == []


class TestObservability:
    """Prometheus, Grafana and Jaeger come up only with `--profile observability`."""

    OBSERVERS = ("prometheus", "grafana", "jaeger")

    def test_only_with_the_profile_and_on_loopback(self, compose: dict[str, Any]) -> None:
        for name in self.OBSERVERS:
            service = compose["services"][name]
            assert service["profiles"] == ["observability"]
            assert all(str(p).startswith("127.0.0.1:") for p in service["ports"])

    def test_their_files_are_in_the_repository(self, compose: dict[str, Any]) -> None:
        for name in self.OBSERVERS:
            for volume in compose["services"][name].get("volumes", []):
                source = volume.split(":", 1)[0]
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"

    def test_prometheus_scrapes_every_process_that_serves_metrics(
        self, compose: dict[str, Any]
    ) -> None:
        config = yaml.safe_load((ROOT / "deploy" / "compose" / "prometheus.yaml").read_text())
        scraped = {
            t
            for job in config["scrape_configs"]
            for s in job["static_configs"]
            for t in s["targets"]
        }
        serving = {
            f"{name}:{service['environment']['PUEBLA_METRICS_PORT']}"
            for name, service in compose["services"].items()
            if "PUEBLA_METRICS_PORT" in (service.get("environment") or {})
        }
        assert len(serving) == 9  # four APIs, four workers, the console
        assert scraped == serving
        assert config["rule_files"] == ["/etc/prometheus/alerts.yaml"]


class TestPostgres:
    def test_takes_every_connection_the_processes_may_keep(self, compose: dict[str, Any]) -> None:
        """Each process with a database keeps up to its pool's size open (`make_engine`):
        all of them at once fit under `max_connections`, with room for migrations and psql."""
        from puebla.runtime import ServiceSettings

        pool_size = ServiceSettings.model_fields["pool_size"].default
        processes = [
            name
            for name, service in compose["services"].items()
            if any(
                key.endswith("_DATABASE_URL") and "MIGRATION" not in key
                for key in service.get("environment") or {}
            )
        ]
        command = compose["services"]["postgres"]["command"]
        setting = command[command.index("-c") + 1]
        assert setting.startswith("max_connections=")
        assert len(processes) == 9  # four APIs, four workers, the console
        assert len(processes) * pool_size + 10 <= int(setting.split("=")[1])
