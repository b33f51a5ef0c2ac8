"""The hand-over record as a document: `Accept: application/pdf`, in Spanish or English, the
digest of the record's canonical JSON on every page (the same the JSON answer carries)."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from pypdf import PdfReader

PDF = "application/pdf"
PROBLEM = "application/problem+json"


def canonical_sha256(record: dict[str, Any]) -> str:
    """The documented canonical form, written out here: the JSON answer without `digest` and
    `attestation`, keys sorted, separators `,` and `:`, non-ASCII as itself, UTF-8."""
    body = {k: v for k, v in record.items() if k not in ("digest", "attestation")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pages(response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == PDF
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


async def fetch(api, user: str, path: str, **headers: str):
    return await api.client.get(path, headers={**api.headers(user), **headers})


async def forty_handed_over(api) -> tuple[dict[str, Any], str]:
    """40 people from Mexico to Guatemala (GT-TECUN-UMAN): the first two with Spanish accents;
    37 received, 2 refused as medically unfit, 1 not presented."""
    people = [
        api.returnee(given_names="José Ñandú", surnames="Peña Ibáñez", sex="M"),
        api.returnee(given_names="María Belén", surnames="Güémez Muñoz"),
    ] + [api.returnee(given_names=f"Persona {n}") for n in range(3, 41)]
    manifest = await api.dispatched(api.manifest_body(people))
    ids = [p["id"] for p in manifest["returnees"]]
    by_name = {p["given_names"]: p["id"] for p in manifest["returnees"]}
    refused = {by_name["María Belén"], by_name["Persona 3"]}
    absent = by_name["Persona 4"]
    items = [
        {"returnee_id": i, "outcome": "refused", "reason": "medically_unfit"}
        if i in refused
        else {"returnee_id": i, "outcome": "not_presented"}
        if i == absent
        else {"returnee_id": i, "outcome": "received"}
        for i in ids
    ]
    path = f"/v1/manifests/{manifest['id']}"
    recorded = await api.post("border.gt.tecun", f"{path}/handovers", {"items": items})
    assert recorded.status_code == 200, recorded.text
    return manifest, f"{path}/handover-record"


class TestHandoverRecordPdf:
    async def test_spanish_by_default_with_names_words_totals_zone_and_digest_on_every_page(
        self, api
    ):
        _, path = await forty_handed_over(api)
        record = (await fetch(api, "igm.gt", path)).json()
        expected = canonical_sha256(record)
        assert record["digest"] == expected

        response = await fetch(api, "border.gt.tecun", path, Accept=PDF)
        text = pages(response)

        assert response.headers["content-language"] == "es"
        assert response.headers["vary"] == "Accept, Accept-Language"
        assert len(text) >= 2
        assert all(f"SHA-256 del registro (JSON canónico): {expected}" in page for page in text)
        whole = "\n".join(text)
        for words in (
            "Acta de entrega",
            "José Ñandú",
            "Peña Ibáñez",
            "María Belén",
            "Güémez Muñoz",
            "México",
            "Guatemala",
            "Ciudad Hidalgo - Tecún Umán",
            "placa CHS-4521, 50 asientos",
            "Recibido",
            "No presentado",
            "Rechazado",
            "No apto por razones médicas",
            "border.gt.tecun",
            # The arrival, 2026-12-01 10:00 at the post, in its own zone, named.
            "01/12/2026 10:00 (America/Guatemala, UTC-06:00)",
            "Recibidos: 37",
            "No presentados: 1",
            "Rechazados: 2",
            "Pendientes: 0",
            "Total: 40",
        ):
            assert words in whole, words
        assert "medically_unfit" not in whole
        assert "not_presented" not in whole

    async def test_english_by_accept_language_with_the_digest_the_other_side_sees(self, api):
        _, path = await forty_handed_over(api)
        record = (await fetch(api, "border.gt.tecun", path)).json()
        expected = canonical_sha256(record)

        response = await fetch(
            api, "inm.mx", path, Accept=PDF, **{"Accept-Language": "en-US,en;q=0.9,es;q=0.5"}
        )
        text = pages(response)

        assert response.headers["content-language"] == "en"
        assert all(f"SHA-256 of the record (canonical JSON): {expected}" in p for p in text)
        whole = "\n".join(text)
        for words in (
            "Hand-over record",
            "José Ñandú",
            "Güémez Muñoz",
            "Mexico",
            "Guatemala",
            "plate CHS-4521, 50 seats",
            "Received",
            "Not presented",
            "Refused",
            "Medically unfit",
            "2026-12-01 10:00 (America/Guatemala, UTC-06:00)",
            "Received: 37",
            "Not presented: 1",
            "Refused: 2",
            "Pending: 0",
            "Total: 40",
        ):
            assert words in whole, words
        assert "Recibido" not in whole

    async def test_another_language_is_spanish(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}/handover-record"
        response = await fetch(
            api, "border.gt.tecun", path, Accept=PDF, **{"Accept-Language": "fr-FR, de;q=0.8"}
        )
        text = "\n".join(pages(response))
        assert response.headers["content-language"] == "es"
        assert "Pendiente" in text
        assert "Total: 1" in text

    async def test_pdf_preferred_by_q_over_json(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}/handover-record"
        response = await fetch(
            api, "igm.gt", path, Accept="application/json;q=0.5, application/pdf"
        )
        assert response.headers["content-type"] == PDF


class TestHandoverRecordNegotiation:
    async def test_the_json_answer_carries_the_digest_and_says_what_it_varies_on(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}/handover-record"
        response = await fetch(api, "inm.mx", path, Accept="application/json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["vary"] == "Accept, Accept-Language"
        record = response.json()
        assert record["digest"] == canonical_sha256(record)
        assert record["reception_time_zone"] == "America/Guatemala"
        assert record["vehicle"] == {"plate": "CHS-4521", "seats": 50}

    async def test_a_caller_who_may_not_see_the_manifest_gets_404_even_asking_for_pdf(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}/handover-record"
        for accept in (PDF, "text/html"):
            response = await fetch(api, "consul.sv.tapachula", path, Accept=accept)
            assert response.status_code == 404, accept
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["detail"] == "The manifest was not found."

    async def test_neither_json_nor_pdf_is_406(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}/handover-record"
        for accept in ("text/html", "application/pdf;q=0, text/csv"):
            response = await fetch(api, "border.gt.tecun", path, Accept=accept)
            assert response.status_code == 406, accept
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["type"] == "https://puebla.rcm/problems/not-acceptable"
