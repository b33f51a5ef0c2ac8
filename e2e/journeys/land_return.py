"""Journey 1 — a land return from Mexico to Guatemala under the Memorandum.

inm.mx (Mexico's INM) puts 30 Guatemalans on a bus to Tecún Umán; Guatemala's consul in
Tapachula is told, verifies each nationality (29 confirmed, 1 rejected); INM takes the rejected
man off and the bus leaves; Guatemala's border officer at Tecún Umán receives 28 and records one
as not presented; both countries read the same hand-over record. El Salvador's consul in the
same city sees none of it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from e2e.journeys.timeline import Actor, Timeline, TokenSource
from puebla_dev.testing.waiting import wait_until

GUATEMALA = ZoneInfo("America/Guatemala")
RECEPTION_POINT = "GT-TECUN-UMAN"
REJECTION_REASON = "Salvadoran: DUI shown at the interview, born in Ahuachapán"
REMOVAL_REASON = "Nationality rejected by the Guatemalan consulate"
TITLE = "Journey 1 — land return Mexico → Guatemala (Tapachula → Tecún Umán)"
WAIT_S = 60.0


def arrival_slot(now: datetime | None = None) -> tuple[datetime, datetime]:
    """(departure, arrival) for a bus reaching Tecún Umán at 10:00 Guatemala time, at least
    25 h from now, Monday to Saturday: inside the 08:00-17:00 window and the stricter
    08:00-15:00 one for vulnerable people, and more than the 24 h advance notice away."""
    now = now or datetime.now(UTC)
    day = now.astimezone(GUATEMALA).date()
    while True:
        arrival = datetime(day.year, day.month, day.day, 10, 0, tzinfo=GUATEMALA)
        if arrival.weekday() != 6 and arrival - now >= timedelta(hours=25):
            return arrival - timedelta(hours=3), arrival
        day += timedelta(days=1)


def person(
    given_names: str,
    surnames: str,
    sex: str,
    born: str,
    origin: str,
    *,
    family: str | None = None,
    pregnant: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_names": given_names,
        "surnames": surnames,
        "sex": sex,
        "date_of_birth": born,
        "nationality": "GT",
        "place_of_origin": origin,
        "vulnerabilities": {
            "pregnant": pregnant,
            "disability": False,
            "illness_or_injury": False,
            "trafficking_indicator": False,
        },
        "protection_need": False,
    }
    if family is not None:
        body["family_group"] = family
    return body


# Who is on the bus. Children travel with a parent of their family group; the man whose
# nationality is rejected and the man who is not presented travel alone, so taking them off
# separates no family and leaves no child alone.
ELDERLY = ("Tomás", "Batz Quiché", "M", "1950-05-06", "Totonicapán")
REJECTED = ("Wilfredo", "Hernández Rivas", "M", "1989-08-21", "Jutiapa")
NOT_PRESENTED = ("Ervin", "Coyoy Tax", "M", "1993-02-17", "Quetzaltenango")


def returnees(tag: str) -> list[dict[str, Any]]:
    ixcot, tzoc, chavez, cux = (f"{name}-{tag}" for name in ("Ixcot", "Tzoc", "Chávez", "Cux"))
    families = [
        person("Juan", "Ixcot López", "M", "1986-02-11", "San Marcos", family=ixcot),
        person("María", "López de Ixcot", "F", "1988-09-03", "San Marcos", family=ixcot),
        person("Ana", "Ixcot López", "F", "2014-05-20", "San Marcos", family=ixcot),
        person("Luis", "Ixcot López", "M", "2019-01-30", "San Marcos", family=ixcot),
        person("Rosa", "Tzoc Ajú", "F", "1991-07-14", "Quiché", family=tzoc),
        person("Marta", "Tzoc Ajú", "F", "2011-03-02", "Quiché", family=tzoc),
        person("Pedro", "Tzoc Ajú", "M", "2016-10-09", "Quiché", family=tzoc),
        person("Carlos", "Chávez Pérez", "M", "1980-12-01", "Huehuetenango", family=chavez),
        person("Elena", "Chávez Mejía", "F", "2010-06-15", "Huehuetenango", family=chavez),
        person("José", "Chávez Mejía", "M", "2013-04-04", "Huehuetenango", family=chavez),
        person("Ana Lucía", "Cux Sic", "F", "1994-01-25", "Sololá", family=cux),
        person("Josué", "Cux Sic", "M", "2023-08-19", "Sololá", family=cux),
    ]
    vulnerable = [
        person(*ELDERLY),
        person("Lucía", "Ajpop Tum", "F", "1997-11-12", "Chimaltenango", pregnant=True),
    ]
    singles = [
        person(*REJECTED),
        person(*NOT_PRESENTED),
        *(
            person(given, surname, sex, born, origin)
            for given, surname, sex, born, origin in (
                ("Edgar", "Ramírez Coc", "M", "1990-04-02", "Alta Verapaz"),
                ("Byron", "Pérez Xol", "M", "1995-06-30", "Alta Verapaz"),
                ("Hilda", "Sicán Yax", "F", "1992-12-08", "Sololá"),
                ("Mynor", "Gómez Ordóñez", "M", "1987-03-19", "Escuintla"),
                ("Sandra", "Velásquez Cano", "F", "1999-09-27", "Retalhuleu"),
                ("Otto", "Morales Caal", "M", "1984-07-07", "Petén"),
                ("Dina", "Tahay Chuc", "F", "2000-02-14", "Quiché"),
                ("Selvin", "Lux Ixcoy", "M", "1998-10-10", "Totonicapán"),
                ("Wendy", "Monterroso Lima", "F", "1993-05-05", "Jalapa"),
                ("Kevin", "Arana Pop", "M", "2001-08-08", "Izabal"),
                ("Glenda", "Barrios Ical", "F", "1989-11-11", "Baja Verapaz"),
                ("Marvin", "Estrada Choc", "M", "1996-01-01", "Zacapa"),
                ("Irma", "Quej Bol", "F", "1985-03-03", "Alta Verapaz"),
                ("Walter", "Cifuentes Hic", "M", "1991-09-09", "Chiquimula"),
            )
        ),
    ]
    return families + vulnerable + singles


def _name(r: dict[str, Any]) -> tuple[str, str]:
    return (r["given_names"], r["surnames"])


@dataclass
class LandReturn:
    """What each side saw, for the test to assert on."""

    timeline: Timeline
    manifest_id: str = ""
    reference: str = ""
    created_status: int = 0
    created_count: int = 0
    children: int = 0
    vulnerable: int = 0
    submitted_status: str = ""
    notice: dict[str, Any] = field(default_factory=dict)
    pending_verifications: int = 0
    claimed_nationalities: set[str] = field(default_factory=set)
    decision_statuses: Counter[int] = field(default_factory=Counter)
    nationality_statuses: Counter[str] = field(default_factory=Counter)
    rejected_reason_on_manifest: str | None = None
    removal_status: int = 0
    count_after_removal: int = 0
    amended_notice_count: int | None = None
    dispatch_status: int = 0
    status_after_dispatch: str = ""
    border_read_status: int = 0
    border_read_count: int = 0
    handover_status: int = 0
    status_after_handover: str = ""
    record_by_sender: dict[str, Any] = field(default_factory=dict)
    record_by_receiver: dict[str, Any] = field(default_factory=dict)
    other_consul_manifest_status: int = 0
    other_consul_record_status: int = 0
    other_consul_notice_status: int = 0
    other_consul_verification_status: int = 0
    other_consul_notifications: int = -1
    other_consul_verifications: int = -1
    other_consul_lists_manifest: bool = True


async def land_return(
    http: httpx.AsyncClient, tokens: TokenSource, services: dict[str, str]
) -> LandReturn:
    """Runs the journey; a failure carries the timeline so far as a note."""
    facts = LandReturn(Timeline(TITLE))
    with facts.timeline.attached_to_failure():
        await _journey(facts, http, tokens, services)
    return facts


async def _journey(
    facts: LandReturn, http: httpx.AsyncClient, tokens: TokenSource, services: dict[str, str]
) -> None:
    timeline = facts.timeline

    def actor(username: str) -> Actor:
        return Actor(username, http=http, tokens=tokens, services=services, timeline=timeline)

    inm = await actor("inm.mx").identify()
    consul = await actor("consul.gt.tapachula").identify()
    border = await actor("border.gt.tecun").identify()
    other = await actor("consul.sv.tapachula").identify()

    tag = uuid.uuid4().hex[:6]
    departure, arrival = arrival_slot()
    people = returnees(tag)
    created = await inm.post(
        "repatriation",
        "/v1/manifests",
        {
            "receiving_country": "GT",
            "reception_point": RECEPTION_POINT,
            "scheduled_departure": departure.isoformat(),
            "scheduled_arrival": arrival.isoformat(),
            "vehicle": {"plate": f"CHS-{tag[:4].upper()}", "seats": 40},
            "returnees": people,
        },
    )
    facts.created_status = created.status_code
    manifest = created.json()
    if created.status_code != 201:
        inm.record("creates a manifest, refused", created, sees=[created.text[:300]])
        return
    facts.manifest_id = manifest_id = manifest["id"]
    facts.reference = manifest["reference"]
    facts.created_count = len(manifest["returnees"])
    arrival_date = arrival.date()
    facts.children = sum(
        1 for r in manifest["returnees"] if _age(r["date_of_birth"], arrival_date) < 18
    )
    facts.vulnerable = sum(1 for r in manifest["returnees"] if r["vulnerable"])
    inm.record(
        f"creates manifest {facts.reference}: {facts.created_count} Guatemalans to "
        f"{RECEPTION_POINT}, arriving {arrival:%a %d %b %H:%M} Guatemala time",
        created,
        sees=[
            f"4 families, {facts.children} children with a parent, {facts.vulnerable} "
            "vulnerable (listed first): a man born 1950, a pregnant woman"
        ],
    )
    by_name = {_name(r): r["id"] for r in manifest["returnees"]}
    rejected_id = by_name[(REJECTED[0], REJECTED[1])]
    absent_id = by_name[(NOT_PRESENTED[0], NOT_PRESENTED[1])]

    submitted = await inm.post("repatriation", f"/v1/manifests/{manifest_id}/submit")
    facts.submitted_status = submitted.json().get("status", "")
    inm.record("submits the manifest (Guatemala must be told)", submitted)

    # Guatemala's consul in Tapachula: the notice, then one verification request per person.
    async def notices() -> list[dict[str, Any]]:
        listed = await consul.get("consular", "/v1/notifications", related_id=manifest_id)
        return [n for n in listed.json()["items"] if n["kind"] == "repatriation_notice"]

    (notice, *_) = await wait_until(notices, timeout=WAIT_S, what="the repatriation notice")
    facts.notice = notice
    consul.note(
        "is notified of the manifest",
        f"consular GET /v1/notifications?related_id={manifest_id} → 200",
        sees=[
            f"{notice['kind']} to {notice['consular_post']}: {notice['manifest']['reference']}, "
            f"{notice['manifest']['returnee_count']} people, status {notice['status']}"
        ],
    )

    async def pending() -> list[dict[str, Any]]:
        listed = await consul.get(
            "consular", "/v1/verifications", status="pending", related_id=manifest_id
        )
        items: list[dict[str, Any]] = listed.json()["items"]
        return items if len(items) >= len(people) else []

    requests = await wait_until(pending, timeout=WAIT_S, what="30 verification requests")
    facts.pending_verifications = len(requests)
    facts.claimed_nationalities = {v["claimed_nationality"] for v in requests}
    consul.note(
        "lists the nationality verification requests",
        f"consular GET /v1/verifications?status=pending&related_id={manifest_id} → 200",
        sees=[f"{len(requests)} pending, each with name, sex and date of birth"],
    )

    confirmations: Counter[int] = Counter()
    for request in requests:
        rejecting = request["related"]["returnee_id"] == rejected_id
        body = (
            {"decision": "rejected", "reason": REJECTION_REASON}
            if rejecting
            else {"decision": "confirmed"}
        )
        decided = await consul.post("consular", f"/v1/verifications/{request['id']}/decision", body)
        facts.decision_statuses[decided.status_code] += 1
        if not rejecting:
            confirmations[decided.status_code] += 1
        else:
            consul.record(
                f"rejects {REJECTED[0]} {REJECTED[1]}: {REJECTION_REASON}",
                decided,
            )
    consul.note(
        "confirms the other 29 after the interviews",
        f"{sum(confirmations.values())} x consular POST /v1/verifications/{{id}}/decision → "
        f"{', '.join(f'{n} x {code}' for code, n in sorted(confirmations.items()))}",
    )

    async def decided_back() -> list[dict[str, Any]]:
        read = (await inm.get("repatriation", f"/v1/manifests/{manifest_id}")).json()
        rows: list[dict[str, Any]] = read["returnees"]
        return rows if all(r["nationality_status"] != "pending" for r in rows) else []

    back = await wait_until(decided_back, timeout=WAIT_S, what="the decisions in repatriation")
    facts.nationality_statuses = Counter(r["nationality_status"] for r in back)
    rejected_row = next((r for r in back if r["id"] == rejected_id), {})
    facts.rejected_reason_on_manifest = rejected_row.get("nationality_rejection_reason")
    inm.note(
        "sees the consul's decisions on the manifest",
        f"repatriation GET /v1/manifests/{manifest_id} → 200",
        sees=[
            f"{facts.nationality_statuses['confirmed']} confirmed, "
            f"{facts.nationality_statuses['rejected']} rejected "
            f"({facts.rejected_reason_on_manifest})"
        ],
    )

    removed = await inm.call(
        "DELETE",
        "repatriation",
        f"/v1/manifests/{manifest_id}/returnees/{rejected_id}",
        params={"reason": REMOVAL_REASON},
    )
    facts.removal_status = removed.status_code
    facts.count_after_removal = len(removed.json().get("returnees", []))
    inm.record(
        f"takes {REJECTED[0]} {REJECTED[1]} off the bus (he travels alone: no family split)",
        removed,
        sees=[f"{facts.count_after_removal} people left"],
    )

    async def amended() -> list[dict[str, Any]]:
        return [n for n in await notices() if n["manifest"]["returnee_count"] == 29]

    try:
        (again, *_) = await wait_until(amended, timeout=WAIT_S, what="the amended notice")
        facts.amended_notice_count = again["manifest"]["returnee_count"]
        consul.note(
            "is told again about the amended manifest",
            f"consular GET /v1/notifications?related_id={manifest_id} → 200",
            sees=[f"version {again['manifest']['version']}: 29 people"],
        )
    except AssertionError:
        consul.note("is NOT told about the amended manifest (waited 60 s)")

    dispatched = await inm.post("repatriation", f"/v1/manifests/{manifest_id}/dispatch")
    facts.dispatch_status = dispatched.status_code
    facts.status_after_dispatch = dispatched.json().get("status", "")
    inm.record("dispatches the bus", dispatched, sees=[f"status {facts.status_after_dispatch}"])

    read = await border.get("repatriation", f"/v1/manifests/{manifest_id}")
    facts.border_read_status = read.status_code
    facts.border_read_count = len(read.json().get("returnees", []))
    border.record(
        "reads the manifest of the bus coming to Tecún Umán",
        read,
        sees=[f"{facts.border_read_count} people, vulnerable first"],
    )

    items = [
        {"returnee_id": r["id"], "outcome": "not_presented" if r["id"] == absent_id else "received"}
        for r in read.json().get("returnees", [])
    ]
    handed = await border.post(
        "repatriation", f"/v1/manifests/{manifest_id}/handovers", {"items": items}
    )
    facts.handover_status = handed.status_code
    facts.status_after_handover = handed.json()["status"]
    border.record(
        f"receives 28 people; {NOT_PRESENTED[0]} {NOT_PRESENTED[1]} is not presented",
        handed,
        sees=[f"manifest {facts.status_after_handover}"],
    )

    by_sender = await inm.get("repatriation", f"/v1/manifests/{manifest_id}/handover-record")
    by_receiver = await border.get("repatriation", f"/v1/manifests/{manifest_id}/handover-record")
    facts.record_by_sender = by_sender.json()
    facts.record_by_receiver = by_receiver.json()
    for who, response in ((inm, by_sender), (border, by_receiver)):
        totals = response.json().get("totals", {})
        who.record(
            "reads the hand-over record (acta de entrega)",
            response,
            sees=[
                f"received {totals.get('received')}, not presented {totals.get('not_presented')}"
                f", refused {totals.get('refused')}, pending {totals.get('pending')} of "
                f"{totals.get('total')}"
            ],
        )
    same = facts.record_by_sender == facts.record_by_receiver
    timeline.add(
        "both countries",
        "compare the two hand-over records",
        sees=["the same document, field for field" if same else "DIFFERENT documents"],
    )

    # El Salvador's consul in the same city: not even that the manifest exists.
    hidden = await other.get("repatriation", f"/v1/manifests/{manifest_id}")
    facts.other_consul_manifest_status = hidden.status_code
    record = await other.get("repatriation", f"/v1/manifests/{manifest_id}/handover-record")
    facts.other_consul_record_status = record.status_code
    listed = await other.get("repatriation", "/v1/manifests", receiving_country="GT", limit=200)
    facts.other_consul_lists_manifest = any(
        m["id"] == manifest_id for m in listed.json().get("items", [])
    )
    about = await other.get("consular", "/v1/notifications", related_id=manifest_id)
    facts.other_consul_notifications = len(about.json().get("items", []))
    asked = await other.get("consular", "/v1/verifications", related_id=manifest_id)
    facts.other_consul_verifications = len(asked.json().get("items", []))
    notice_read = await other.get("consular", f"/v1/notifications/{notice['id']}")
    facts.other_consul_notice_status = notice_read.status_code
    verification_read = await other.get("consular", f"/v1/verifications/{requests[0]['id']}")
    facts.other_consul_verification_status = verification_read.status_code
    other.note(
        "looks for the manifest",
        f"repatriation GET /v1/manifests/{manifest_id} → {hidden.status_code}; "
        f"…/handover-record → {record.status_code}; GT notice → {notice_read.status_code}; "
        f"a GT verification → {verification_read.status_code}",
        cannot_see=[
            f"the manifest (not in its list of {len(listed.json().get('items', []))})",
            f"notifications about it: sees {facts.other_consul_notifications}",
            f"verification requests about it: sees {facts.other_consul_verifications}",
        ],
    )


def _age(born: str, on: date) -> int:
    b = date.fromisoformat(born)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))
