"""The hand-over record (acta de entrega) as a document: its digest, and its PDF.

**The digest.** The record's canonical JSON is the JSON answer of
`GET /v1/manifests/{id}/handover-record` without its `digest` and `attestation` members (the
signatures are beside the record, not in it: they sign its digest), written with keys sorted
at every level, no whitespace (separators `,` and `:`), non-ASCII characters as themselves (no
`\\u` escapes), encoded in UTF-8 — in Python `json.dumps(record, sort_keys=True,
separators=(",", ":"), ensure_ascii=False).encode()`. `digest` is its SHA-256 in lowercase hex:
the JSON answer carries it and the PDF prints it on every page, so the sending and the receiving
side (and anyone they give the PDF to) can check that they hold the same record.

**The attestation** (`attestation`): the signatures of both sides, `signatures_digest` (the
SHA-256 of the signatures' canonical JSON), the service's seal on the record's digest and
that one (`puebla.transparency.seal`: what a paper copy is checked by, offline), where each
signature stands in the audit log, and the record's signing status.

**The PDF** is drawn with ReportLab (pure Python, from PyPI alone) in Spanish or English: both
countries by name, the reception point and institution, the bus, every person with the outcome
and reason as words, the officer and the time, and the totals. Every time is shown in the
reception point's own time zone, which is named (e.g. `America/Guatemala, UTC-06:00`). The font
is Bitstream Vera, shipped inside the ReportLab wheel with its licence
(`reportlab/fonts/bitstream-vera-license.txt`) and embedded (subset) in the document: it has
the accents, ñ, ü, ¿ and ¡ of Spanish names.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

from puebla.audit_anchor import SigningKey
from puebla.transparency.record_check import BESIDE_THE_RECORD, seal_subject
from puebla.transparency.seal import canonical, seal, sha256_hex

Language = Literal["es", "en"]
LANGUAGES: tuple[Language, ...] = ("es", "en")

_FONTS = Path(reportlab.__file__).parent / "fonts"
pdfmetrics.registerFont(TTFont("PueblaVera", str(_FONTS / "Vera.ttf")))
pdfmetrics.registerFont(TTFont("PueblaVera-Bold", str(_FONTS / "VeraBd.ttf")))


SERVICE = "repatriation"


def canonical_json(record: dict[str, Any]) -> bytes:
    """The record's canonical form (module docstring); `record` as the JSON answer has it."""
    return canonical({k: v for k, v in record.items() if k not in BESIDE_THE_RECORD})


def digest(record: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(record))


def signing_status(signatures: list[dict[str, Any]], current: str) -> str:
    if any(g["objections"] for g in signatures):
        return "disputed"
    sides = signed_sides(signatures, current)
    if sides == ["receiving", "sending"]:
        return "signed"
    return "signed_by_one_side" if sides else "unsigned"


def signed_sides(signatures: list[dict[str, Any]], digest: str) -> list[str]:
    """The sides whose signature covers `digest`, in alphabetical order."""
    return sorted({g["side"] for g in signatures if g["digest"] == digest})


def verification(answer: dict[str, Any], digest: str) -> dict[str, Any]:
    """Whether a printed record, by its `digest`, is the one both sides signed (the record's
    JSON answer, with its attestation, says)."""
    signatures = answer["attestation"]["signatures"]
    signed_by = signed_sides(signatures, digest)
    return {
        "manifest_id": answer["manifest_id"],
        "digest": digest,
        "current": digest == answer["digest"],
        "signed_by": signed_by,
        "verified": signed_by == ["receiving", "sending"],
        "disputed": any(g["objections"] for g in signatures if g["digest"] == digest),
        "attestation": answer["attestation"],
    }


def attestation(
    body: dict[str, Any],
    record_digest: str,
    signatures: list[dict[str, Any]],
    log_entries: list[dict[str, Any]],
    key: SigningKey | None,
) -> dict[str, Any]:
    """The `attestation` member: signatures, their digest, the seal (with the service's key;
    none before a signature, or where no key is configured), log entries, status."""
    signatures_digest = sha256_hex(canonical(signatures))
    status = signing_status(signatures, record_digest)
    sealed = (
        seal(
            key,
            service=SERVICE,
            subject=seal_subject(body["manifest_id"], status),
            digest=record_digest,
            signatures=signatures_digest,
        ).data()
        if key is not None and signatures
        else None
    )
    return {
        "signatures": signatures,
        "signatures_digest": signatures_digest,
        "seal": sealed,
        "log_entries": log_entries,
        "status": status,
    }


# -- words ---------------------------------------------------------------------------------

COUNTRIES: dict[str, tuple[str, str]] = {  # the member states of the RCM: (es, en)
    "BZ": ("Belice", "Belize"),
    "CA": ("Canadá", "Canada"),
    "CR": ("Costa Rica", "Costa Rica"),
    "DO": ("República Dominicana", "Dominican Republic"),
    "GT": ("Guatemala", "Guatemala"),
    "HN": ("Honduras", "Honduras"),
    "MX": ("México", "Mexico"),
    "NI": ("Nicaragua", "Nicaragua"),
    "PA": ("Panamá", "Panama"),
    "SV": ("El Salvador", "El Salvador"),
    "US": ("Estados Unidos", "United States"),
}

OUTCOMES: dict[str | None, tuple[str, str]] = {
    "received": ("Recibido", "Received"),
    "not_presented": ("No presentado", "Not presented"),
    "refused": ("Rechazado", "Refused"),
    "arrived_not_listed": ("Llegó sin figurar en la lista", "Arrived, not listed"),
    None: ("Pendiente", "Pending"),
}

SIDES: dict[str, tuple[str, str]] = {
    "sending": ("Entrega (país que retorna)", "Delivering (sending country)"),
    "receiving": ("Recepción (país que recibe)", "Receiving (receiving country)"),
}

SIGNING_STATUSES: dict[str, tuple[str, str]] = {
    "unsigned": ("Sin firmar", "Not signed"),
    "signed_by_one_side": ("Firmada por una de las partes", "Signed by one side"),
    "signed": ("Firmada por ambas partes, sin objeciones", "Signed by both sides, no objection"),
    "disputed": ("En disputa: hay objeciones", "Disputed: there are objections"),
}

REASONS: dict[str, tuple[str, str]] = {
    "not_a_national": ("No es nacional", "Not a national"),
    "identity_mismatch": ("La identidad no coincide", "Identity mismatch"),
    "not_on_manifest": ("No figura en el manifiesto", "Not on the manifest"),
    "medically_unfit": ("No apto por razones médicas", "Medically unfit"),
    "outside_window": ("Fuera del horario de recepción", "Outside the reception window"),
    "returned_to_station": ("Devuelto a la estación", "Returned to the station"),
    "other": ("Otro", "Other"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "draft": ("Borrador", "Draft"),
    "submitted": ("Enviado", "Submitted"),
    "dispatched": ("En camino", "Dispatched"),
    "arrived": ("Llegado", "Arrived"),
    "closed": ("Cerrado", "Closed"),
    "cancelled": ("Cancelado", "Cancelled"),
}

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Acta de entrega", "Hand-over record"),
    "reference": ("Referencia", "Reference"),
    "sending_country": ("País que retorna", "Sending country"),
    "receiving_country": ("País que recibe", "Receiving country"),
    "reception_point": ("Punto de recepción", "Reception point"),
    "institution": ("Institución receptora", "Receiving institution"),
    "bus": ("Autobús", "Bus"),
    "plate_seats": ("placa {plate}, {seats} asientos", "plate {plate}, {seats} seats"),
    "status": ("Estado", "Status"),
    "scheduled_arrival": ("Llegada prevista", "Scheduled arrival"),
    "dispatched_at": ("Salida", "Dispatched"),
    "arrived_at": ("Llegada", "Arrived"),
    "closed_at": ("Cierre", "Closed"),
    "times": (
        "Horas en la zona horaria del punto de recepción: {zone}",
        "Times in the reception point's time zone: {zone}",
    ),
    "people": ("Personas", "People"),
    "n": ("N.º", "No."),
    "surnames": ("Apellidos", "Surnames"),
    "given_names": ("Nombres", "Given names"),
    "sex": ("Sexo", "Sex"),
    "date_of_birth": ("Nacimiento", "Born"),
    "nationality": ("Nac.", "Nat."),
    "vulnerable": ("Vuln.", "Vuln."),
    "outcome": ("Resultado", "Outcome"),
    "reason": ("Motivo", "Reason"),
    "officer": ("Oficial", "Officer"),
    "recorded_at": ("Hora", "Time"),
    "yes": ("sí", "yes"),
    "totals": ("Totales", "Totals"),
    "received": ("Recibidos", "Received"),
    "not_presented": ("No presentados", "Not presented"),
    "refused": ("Rechazados", "Refused"),
    "pending": ("Pendientes", "Pending"),
    "arrived_not_listed": ("Llegaron sin figurar", "Arrived, not listed"),
    "total": ("Total", "Total"),
    "signatures": ("Firmas", "Signatures"),
    "manifest_id": ("Identificador del manifiesto", "Manifest identifier"),
    "side": ("Parte", "Side"),
    "country": ("País", "Country"),
    "signed_at": ("Firmado", "Signed"),
    "objections": ("Objeciones", "Objections"),
    "no_objection": ("ninguna", "none"),
    "signing_status": ("Estado de las firmas", "Signing status"),
    "not_signed_yet": ("Ninguna parte ha firmado aún.", "Neither side has signed yet."),
    "log_entry": (
        "Registro de auditoría, entrada n.º {seq}: compromiso {commitment}",
        "Audit log entry no. {seq}: commitment {commitment}",
    ),
    "signatures_digest": ("SHA-256 de las firmas", "SHA-256 of the signatures"),
    "seal": (
        "Sello del servicio (Ed25519, clave {key_id})",
        "Service seal (Ed25519, key {key_id})",
    ),
    "unsealed": ("Sin sello del servicio", "Not sealed by the service"),
    "verify": (
        "Verificación: GET /v1/manifests/{id}/handover-record/verification?digest=<SHA-256>, o "
        "sin conexión: python -m puebla.transparency.verify repatriation --handover-record "
        "con los valores impresos y las claves públicas del servicio.",
        "To verify: GET /v1/manifests/{id}/handover-record/verification?digest=<SHA-256>, or "
        "offline: python -m puebla.transparency.verify repatriation --handover-record with the "
        "printed values and the service's public keys.",
    ),
    "digest": ("SHA-256 del registro (JSON canónico)", "SHA-256 of the record (canonical JSON)"),
    "page": ("Página {page}", "Page {page}"),
    "none": ("—", "—"),
}


def _word(table: dict[Any, tuple[str, str]], key: Any, lang: Language) -> str:
    words = table.get(key)
    return str(key) if words is None else words[LANGUAGES.index(lang)]


def country_name(code: str, lang: Language) -> str:
    return _word(COUNTRIES, code, lang)


def _zone_named(zone: ZoneInfo, at: datetime) -> str:
    """`America/Guatemala, UTC-06:00` (the offset at `at`: it moves with DST where there is)."""
    offset = at.astimezone(zone).strftime("%z")
    return f"{zone.key}, UTC{offset[:3]}:{offset[3:]}"


def _local(value: str | None, zone: ZoneInfo, lang: Language, *, named: bool) -> str:
    if value is None:
        return _word(LABELS, "none", lang)
    at = datetime.fromisoformat(value).astimezone(zone)
    shown = at.strftime("%d/%m/%Y %H:%M") if lang == "es" else at.strftime("%Y-%m-%d %H:%M")
    return f"{shown} ({_zone_named(zone, at)})" if named else shown


# -- negotiation -------------------------------------------------------------------------

JSON = "application/json"
PDF = "application/pdf"


def _ranges(header: str) -> list[tuple[str, float]]:
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        out.append((fields[0].lower(), q))
    return out


def chosen_media_type(accept: str | None) -> str | None:
    """JSON or PDF by the `Accept` header (RFC 9110: the most specific range gives a type its
    q; the higher q wins, JSON on a tie; no header is JSON); None when neither is acceptable."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    best: tuple[float, str] | None = None
    for media in (JSON, PDF):
        main = media.split("/")[0]
        matching = [
            (3 if r == media else 2 if r == f"{main}/*" else 1, q)
            for r, q in ranges
            if r in (media, f"{main}/*", "*/*")
        ]
        if not matching:
            continue
        q = max(matching)[1]
        if q > 0 and (best is None or q > best[0]):
            best = (q, media)
    return best[1] if best else None


def chosen_language(accept_language: str | None) -> Language:
    """`es` or `en` by `Accept-Language` (the higher q; Spanish on a tie, when neither is
    named, or without the header)."""
    best: tuple[float, Language] | None = None
    for tag, q in _ranges(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LANGUAGES and q > 0:
            lang: Language = "en" if primary == "en" else "es"
            if best is None or q > best[0] or (q == best[0] and lang == "es"):
                best = (q, lang)
    return best[1] if best else "es"


def filename(record: dict[str, Any], lang: Language) -> str:
    stem = "acta-de-entrega" if lang == "es" else "handover-record"
    return f"{stem}-{re.sub(r'[^A-Za-z0-9-]', '_', str(record['reference']))}.pdf"


# -- the PDF -----------------------------------------------------------------------------

_BODY = ParagraphStyle("body", fontName="PueblaVera", fontSize=9, leading=11)
_CELL = ParagraphStyle("cell", fontName="PueblaVera", fontSize=8, leading=9.5)
_HEAD = ParagraphStyle("head", fontName="PueblaVera-Bold", fontSize=8, leading=9.5)
_TITLE = ParagraphStyle("title", fontName="PueblaVera-Bold", fontSize=15, leading=18)
_SECTION = ParagraphStyle("section", fontName="PueblaVera-Bold", fontSize=10, leading=13)


# A table with a grey heading row and a rule under each row: the people, the signatures.
_GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), "PueblaVera"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 9.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
    ]
)


def _p(text: str, style: ParagraphStyle = _CELL) -> Paragraph:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped, style)


def render_pdf(record: dict[str, Any], lang: Language) -> bytes:
    """The record (the JSON answer, with its digest) as a PDF in `lang`."""
    label = LABELS
    zone = ZoneInfo(record["reception_time_zone"])
    scheduled = datetime.fromisoformat(record["scheduled_arrival"])
    digest_line = f"{_word(label, 'digest', lang)}: {record['digest']}"

    def on_page(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("PueblaVera", 8)
        canvas.drawString(12 * mm, 8 * mm, digest_line)
        page = _word(label, "page", lang).format(page=canvas.getPageNumber())
        canvas.drawRightString(doc.pagesize[0] - 12 * mm, 8 * mm, page)
        canvas.drawString(
            12 * mm,
            doc.pagesize[1] - 8 * mm,
            f"{_word(label, 'title', lang)} · {record['reference']}",
        )
        canvas.restoreState()

    facts = [
        ("reference", record["reference"]),
        ("sending_country", country_name(record["sending_country"], lang)),
        ("receiving_country", country_name(record["receiving_country"], lang)),
        (
            "reception_point",
            f"{record['reception_point_name'] or record['reception_point']} "
            f"({record['reception_point']})",
        ),
        ("institution", record["receiving_institution"] or _word(label, "none", lang)),
        (
            "bus",
            _word(label, "plate_seats", lang).format(
                plate=record["vehicle"]["plate"], seats=record["vehicle"]["seats"]
            ),
        ),
        ("status", _word(STATUSES, record["status"], lang)),
        ("scheduled_arrival", _local(record["scheduled_arrival"], zone, lang, named=True)),
        ("dispatched_at", _local(record["dispatched_at"], zone, lang, named=True)),
        ("arrived_at", _local(record["arrived_at"], zone, lang, named=True)),
        ("closed_at", _local(record["closed_at"], zone, lang, named=True)),
    ]
    facts_table = Table(
        [[_p(_word(label, key, lang), _HEAD), _p(value)] for key, value in facts],
        colWidths=[50 * mm, 200 * mm],
        hAlign="LEFT",
    )
    facts_table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])
    )

    columns = (
        "n",
        "surnames",
        "given_names",
        "sex",
        "date_of_birth",
        "nationality",
        "vulnerable",
        "outcome",
        "reason",
        "officer",
        "recorded_at",
    )
    rows: list[list[Any]] = [[_p(_word(label, c, lang), _HEAD) for c in columns]]
    for n, e in enumerate(record["entries"], start=1):
        rows.append(
            # Paragraphs (which wrap) where text may be long, plain strings elsewhere (fast).
            [
                str(n),
                _p(e["surnames"]),
                _p(e["given_names"]),
                e["sex"],
                e["date_of_birth"],
                e["nationality"],
                _word(label, "yes", lang) if e["vulnerable"] else "",
                _p(_word(OUTCOMES, e["outcome"], lang)),  # "Llegó sin figurar…" wraps
                _p(_word(REASONS, e["reason"], lang)) if e["reason"] else "",
                _p(e["officer"] or ""),
                _local(e["recorded_at"], zone, lang, named=False),
            ]
        )
    # Wide enough that no heading breaks inside a word (8 pt bold plus the cell padding).
    widths = [10, 32, 30, 13, 23, 12, 14, 25, 52, 28, 29]
    people = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1, hAlign="LEFT")
    people.setStyle(_GRID)

    totals = record["totals"]
    totals_line = " · ".join(
        f"{_word(label, key, lang)}: {totals[key]}"
        for key in (
            "received",
            "not_presented",
            "refused",
            "pending",
            "arrived_not_listed",
            "total",
        )
    )

    story = [
        _p(_word(label, "title", lang), _TITLE),
        Spacer(1, 3 * mm),
        facts_table,
        Spacer(1, 2 * mm),
        _p(_word(label, "times", lang).format(zone=_zone_named(zone, scheduled)), _BODY),
        Spacer(1, 3 * mm),
        _p(f"{_word(label, 'people', lang)} ({totals['total']})", _SECTION),
        Spacer(1, 1 * mm),
        people,
        Spacer(1, 4 * mm),
        _p(_word(label, "totals", lang), _SECTION),
        _p(totals_line, _BODY),
        Spacer(1, 4 * mm),
        # The signatures, the seal and how to check them, on one page: what a paper copy is
        # checked by should not start at the foot of one page and end on the next.
        KeepTogether(_signatures(record, zone, lang)),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{_word(label, 'title', lang)} {record['reference']}",
        author="Puebla — repatriation",
        subject=record["digest"],
        lang=lang,
        invariant=True,
    )
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _signatures(record: dict[str, Any], zone: ZoneInfo, lang: Language) -> list[Any]:
    """Who signed for which country and when, each objection with the person's name, the
    signing status, the seal and the log entries: what a paper copy is checked by."""
    label = LABELS
    attestation = record["attestation"]
    names = {e["returnee_id"]: f"{e['surnames']}, {e['given_names']}" for e in record["entries"]}
    out: list[Any] = [_p(_word(label, "signatures", lang), _SECTION), Spacer(1, 1 * mm)]
    signatures = attestation["signatures"]
    if signatures:
        rows: list[list[Any]] = [
            [
                _p(_word(label, key, lang), _HEAD)
                for key in ("side", "country", "officer", "signed_at", "objections")
            ]
        ]
        for g in signatures:
            objections = "; ".join(
                f"{names.get(o['returnee_id'], o['returnee_id'])}: {o['reason']}"
                for o in g["objections"]
            ) or _word(label, "no_objection", lang)
            rows.append(
                [
                    _p(_word(SIDES, g["side"], lang)),
                    _p(country_name(g["country"], lang)),
                    _p(g["officer"]),
                    _local(g["signed_at"], zone, lang, named=False),
                    _p(objections),
                ]
            )
        table = Table(rows, colWidths=[w * mm for w in (50, 30, 35, 29, 124)], hAlign="LEFT")
        table.setStyle(_GRID)
        out.append(table)
    else:
        out.append(_p(_word(label, "not_signed_yet", lang), _BODY))
    out += [
        Spacer(1, 2 * mm),
        _p(
            f"{_word(label, 'signing_status', lang)}: "
            f"{_word(SIGNING_STATUSES, attestation['status'], lang)} ({attestation['status']})",
            _BODY,
        ),
        _p(f"{_word(label, 'manifest_id', lang)}: {record['manifest_id']}", _BODY),
        _p(f"{_word(label, 'digest', lang)}: {record['digest']}", _BODY),
        _p(f"{_word(label, 'signatures_digest', lang)}: {attestation['signatures_digest']}", _BODY),
    ]
    sealed = attestation["seal"]
    if sealed:
        out.append(
            _p(
                f"{_word(label, 'seal', lang).format(key_id=sealed['key_id'])}: "
                f"{sealed['signature']}",
                _BODY,
            )
        )
    else:
        out.append(_p(_word(label, "unsealed", lang), _BODY))
    for entry in attestation["log_entries"]:
        out.append(
            _p(
                f"{_word(SIDES, entry['side'], lang)} — "
                + _word(label, "log_entry", lang).format(
                    seq=entry["seq"], commitment=entry["commitment"]
                ),
                _BODY,
            )
        )
    out += [
        Spacer(1, 2 * mm),
        _p(_word(label, "verify", lang).format(id=record["manifest_id"]), _BODY),
    ]
    return out
