"""Request bodies, the bearer check and the security headers on the real repatriation app.

The create route takes the largest body of the system: 300 returnees with every text at its
maximum length. Written with every character an emoji escaped as `\\uXXXX\\uXXXX` and indented
by two spaces it is about 2.0 MB (1,994,290 bytes here, without `late_notice_reason`);
the route takes 4 MiB, every other route the default 1 MiB.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

MIB = 1024 * 1024
EMOJI = "\U0001f600"  # one character, 12 bytes once escaped as a surrogate pair


def widest(n: int) -> dict[str, Any]:
    """What makes a returnee the widest the schema allows (over the conftest's adult)."""
    return {
        "given_names": EMOJI * 100,
        "surnames": EMOJI * 100,
        "place_of_origin": EMOJI * 200,
        "document": {"type": EMOJI * 40, "number": EMOJI * 36 + f"{n:04d}"},
        "family_group": EMOJI * 36 + f"{n:04d}",
        "age_disputed": False,
    }


class Chunks:
    """A body streamed in 64 KiB chunks (no Content-Length), counting the chunks pulled."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pulled = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 64 * 1024):
            self.pulled += 1
            yield self.data[start : start + 64 * 1024]


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"https://puebla.rcm/problems/{slug}"


class TestManifestBodyLimit:
    async def test_the_widest_300_returnee_manifest_is_taken(self, api) -> None:
        people = [api.returnee(**widest(n)) for n in range(300)]
        body = api.manifest_body(people, vehicle={"plate": EMOJI * 20, "seats": 300})
        data = json.dumps(body, indent=2, ensure_ascii=True).encode()
        assert len(data) > 1_900_000  # nearly twice the default 1 MiB, under the 4 MiB
        headers = {**api.headers("inm.mx"), "Content-Type": "application/json"}
        response = await api.client.post("/v1/manifests", content=data, headers=headers)
        assert response.status_code == 201, response.text[:500]
        assert len(response.json()["returnees"]) == 300

    async def test_a_create_body_over_4_mib_is_refused_unparsed(self, api) -> None:
        body = Chunks(b'{"returnees": [' + b" " * (4 * MIB) + b"]}")
        response = await api.client.post(
            "/v1/manifests", content=body.stream(), headers=api.headers("inm.mx")
        )
        assert_problem(response, 413, "body-too-large")
        assert response.json()["limit_bytes"] == 4 * MIB
        assert body.pulled == 65  # 4 MiB is 64 chunks: the 65th passes it

    async def test_other_routes_take_1_mib(self, api) -> None:
        draft = await api.draft()
        body = b'{"late_notice_reason": "' + b"a" * MIB + b'"}'
        response = await api.client.post(
            f"/v1/manifests/{draft['id']}/submit", content=body, headers=api.headers("inm.mx")
        )
        assert_problem(response, 413, "body-too-large")
        assert response.json()["limit_bytes"] == MIB


class TestBearerBeforeBody:
    async def test_a_malformed_create_body_without_a_token_is_401_and_never_read(self, api) -> None:
        body = Chunks(b'{"receiving_country": "GT", [')
        response = await api.client.post("/v1/manifests", content=body.stream())
        assert_problem(response, 401, "unauthorized")
        assert body.pulled == 0

    async def test_an_invalid_token_is_401_before_the_body(self, api) -> None:
        body = Chunks(b"\xff\xfe not json")
        response = await api.client.post(
            "/v1/manifests",
            content=body.stream(),
            headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
        )
        assert_problem(response, 401, "unauthorized")
        assert body.pulled == 0


class TestSecurityHeaders:
    async def test_a_manifest_read_is_not_cached_nor_sniffed(self, api) -> None:
        draft = await api.draft()
        response = await api.get("inm.mx", f"/v1/manifests/{draft['id']}")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
