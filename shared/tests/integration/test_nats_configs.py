"""Every NATS configuration in deploy/ is one the server accepts (`nats-server -t`), with the
bus users included, and none lets a client in without an nkey."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from puebla.messaging.credentials import ensure_jetstream_key, generate
from puebla.messaging.permissions import bus_users
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import repo_root

DEPLOY = repo_root() / "deploy"


def check(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(dev_nats.server_binary()), "-t", "-c", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def auth(tmp_path: Path) -> Path:
    generate(tmp_path / "auth", bus_users(["GT-TECUN-UMAN"], dev=False))
    ensure_jetstream_key(tmp_path / "auth")
    return tmp_path


def test_composes_server_includes_the_bus_users_and_encrypts_its_streams(auth: Path) -> None:
    text = (DEPLOY / "nats" / "nats-compose.conf").read_text()
    assert 'include "auth/auth.conf"' in text
    assert "cipher: chachapoly" in text
    (auth / "nats.conf").write_text(text.replace("/data/jetstream", str(auth / "js")))
    key = (auth / "auth" / "jetstream.key").read_text()
    result = check(auth / "nats.conf", {"NATS_JETSTREAM_KEY": key})
    assert result.returncode == 0, result.stderr


def test_compose_makes_the_credentials_before_nats_and_gives_each_service_its_own(
    auth: Path,
) -> None:
    compose = yaml.safe_load((repo_root() / "compose.yaml").read_text())
    services = compose["services"]
    assert services["nats"]["depends_on"]["bus-credentials"] == {
        "condition": "service_completed_successfully"
    }
    for name, spec in services.items():
        env = spec.get("environment") or {}
        if name.endswith(("-api", "-worker")):
            service = name.rsplit("-", 1)[0].replace("-", "_")
            assert env["PUEBLA_NATS_CREDENTIALS"] == f"/run/nats/{service}.nk", name


def test_the_border_posts_leaf_node_requires_a_signed_in_client(auth: Path) -> None:
    text = (DEPLOY / "nats" / "leaf-border-post.conf").read_text()
    assert "0.0.0.0" not in text.split("listen:")[1].splitlines()[0]
    shutil.copy(DEPLOY / "nats" / "leaf-border-post.conf", auth / "leaf.conf")
    seed = (auth / "auth" / "post-gt-tecun-uman.nk").read_text().strip()
    env = {
        "POST_SERVER_NAME": "post-gt-tecun-uman",
        "POST_LISTEN": "127.0.0.1:4222",
        "POST_CLIENT_NKEY": "UBXDQZBF5GRPZYQXDLAQZJLUCH6WWTBOYR7UW5ALCT4H5QYF4HUEP4X4",
        "POST_LEAF_SEED": seed,
        "HUB_LEAF_URL": "tls://hub.example.org:7422",
        "POST_STORE_DIR": str(auth / "leaf"),
    }
    result = check(auth / "leaf.conf", env)
    # The one thing missing here is the hub's CA file, which the post's secret store holds.
    assert "hub-ca.pem" in result.stderr, result.stderr
    assert "authorization {" in text
    assert "nkey: $POST_CLIENT_NKEY" in text
