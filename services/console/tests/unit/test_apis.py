"""The APIs' client: a kept-alive connection the API closed is tried once more."""

from __future__ import annotations

import httpx
import pytest

from console.adapters.apis import Apis
from console.service_layer.apis import StepUpNeeded, bearer_challenge


async def test_a_connection_closed_under_the_request_is_retried_once() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Idempotency-Key"])
        if len(calls) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"ok": True})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        apis = Apis(http, {"repatriation": "http://api"})
        response = await apis.send(
            "repatriation",
            "POST",
            "/v1/x",
            token="t",
            locale="es",
            headers={"Idempotency-Key": "k"},
        )
    assert response.status_code == 200
    assert calls == ["k", "k"]  # the same key: applied once by the API


async def test_a_second_failure_is_not_hidden() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        apis = Apis(http, {"repatriation": "http://api"})
        with pytest.raises(httpx.RemoteProtocolError):
            await apis.send("repatriation", "GET", "/v1/x", token="t", locale="es")


async def test_a_query_written_in_the_path_reaches_the_api() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        apis = Apis(http, {"repatriation": "http://api"})
        await apis.send(
            "repatriation", "DELETE", "/v1/m/1/returnees/2?reason=Rechazada", token="t", locale="es"
        )
        await apis.send(
            "repatriation",
            "GET",
            "/v1/m",
            token="t",
            locale="es",
            params={"status": "draft", "cursor": None},
        )
    # The removal's reason was silently dropped: a submitted manifest then refused the removal.
    assert seen == [
        "http://api/v1/m/1/returnees/2?reason=Rechazada",
        "http://api/v1/m?status=draft",
    ]


def test_a_step_up_challenge_is_read_as_rfc_9470_writes_it() -> None:
    header = 'Bearer error="insufficient_user_authentication", acr_values="2", max_age=300'
    assert bearer_challenge(header) == {
        "error": "insufficient_user_authentication",
        "acr_values": "2",
        "max_age": "300",
    }
    refused = StepUpNeeded("child_protection", 401, {"_challenge": bearer_challenge(header)})
    assert (refused.acr_values, refused.max_age) == ("2", 300)
    assert bearer_challenge('Basic realm="x"') == {}
