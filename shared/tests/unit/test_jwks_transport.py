"""Security review 8: the keys that decide every token come over a checked channel.

A JWKS URL over plain HTTP is refused at start unless it is on loopback or PUEBLA_ENV=dev;
over HTTPS the server's certificate is verified — against the system's CAs, or only against
the CA configured (`PUEBLA_KEYCLOAK_CA_FILE` / `PUEBLA_KEYCLOAK_CA_PEM`, an in-cluster CA).
The fetches here go to a real HTTPS server on loopback with a certificate of a private CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from puebla.auth.settings import TokenSettings
from puebla.auth.tokens import InsecureJwksUrl, TokenVerifier

ISSUER = "https://auth.puebla.example.org/realms/rcm"
SIGNING = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca(name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(ca_key: rsa.RSAPrivateKey, ca: x509.Certificate) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keycloak")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class _Jwks(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_jwks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(url, the server's CA as PEM, another CA as PEM)"""
    ca_key, ca = _ca("puebla-internal-ca")
    _, other = _ca("someone-else")
    cert, key = _leaf(ca_key, ca)
    where: Path = tmp_path_factory.mktemp("tls")
    (where / "cert.pem").write_bytes(cert)
    (where / "key.pem").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(where / "cert.pem", where / "key.pem")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        url = f"https://127.0.0.1:{port}/realms/rcm/protocol/openid-connect/certs"
        yield url, _pem(ca), _pem(other)
    finally:
        server.shutdown()
        server.server_close()


def settings(**values: str) -> TokenSettings:
    given: dict[str, Any] = {"token_allowed_clients": ["puebla-console"], **values}
    return TokenSettings(**given)


class TestPlainHttp:
    @pytest.mark.parametrize(
        "url",
        [
            "http://keycloak.puebla.svc.cluster.local:8080/realms/rcm/protocol/openid-connect/certs",
            "http://10.0.0.7:8080/certs",
            "ftp://keycloak/certs",
        ],
    )
    def test_off_loopback_outside_dev_is_refused_at_start(self, url: str) -> None:
        with pytest.raises(InsecureJwksUrl, match="must be https"):
            TokenVerifier(ISSUER, "repatriation", url, settings=settings(env="production"))

    def test_loopback_or_dev_may_use_http(self) -> None:
        TokenVerifier(ISSUER, "x", "http://127.0.0.1:8080/certs", settings=settings())
        TokenVerifier(ISSUER, "x", "http://[::1]:8080/certs", settings=settings())
        TokenVerifier(ISSUER, "x", "http://keycloak:8080/certs", settings=settings(env="dev"))

    def test_the_k8s_platform_config_fetches_over_https(self) -> None:
        import yaml

        config = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "platform-config.yaml"
        data = yaml.safe_load(config.read_text())["data"]
        TokenVerifier(
            data["PUEBLA_KEYCLOAK_ISSUER"],
            "repatriation",
            data["PUEBLA_KEYCLOAK_JWKS_URL"],
            settings=settings(env="production"),
        )
        assert data["PUEBLA_KEYCLOAK_JWKS_URL"].startswith("https://")
        assert "BEGIN CERTIFICATE" in data["PUEBLA_KEYCLOAK_CA_PEM"]


class TestCertificateValidation:
    async def test_the_configured_ca_is_trusted(self, https_jwks, tmp_path: Path) -> None:
        url, ca, _ = https_jwks
        (tmp_path / "ca.pem").write_text(ca)
        for configured in (
            settings(keycloak_ca_pem=ca),
            settings(keycloak_ca_file=str(tmp_path / "ca.pem")),
        ):
            verifier = TokenVerifier(ISSUER, "repatriation", url, settings=configured)
            assert await verifier.refresh() is True, verifier.last_jwks_error
            assert verifier.known_kids == {"k1"}

    async def test_a_certificate_of_another_ca_is_refused(self, https_jwks) -> None:
        url, _, other = https_jwks
        for configured in (settings(), settings(keycloak_ca_pem=other)):
            verifier = TokenVerifier(ISSUER, "repatriation", url, settings=configured)
            assert await verifier.refresh() is False
            assert "CERTIFICATE_VERIFY_FAILED" in (verifier.last_jwks_error or "")
            assert verifier.known_kids == frozenset()

    def test_both_ca_settings_at_once_are_refused(self) -> None:
        with pytest.raises(ValueError, match="not both"):
            settings(keycloak_ca_file="/x", keycloak_ca_pem="y")
