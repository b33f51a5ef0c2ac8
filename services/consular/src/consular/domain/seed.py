"""Seed reference data, as plain rows, so that the migration that loads it and the tests that
rely on it use the same values. `reference_data()` builds the value objects from the rows.

Posts (all valid from `SEED_VALID_FROM`, open-ended; e-mail addresses are demo values under
`.example` domains — replace them through the reference-data tables, never in code):

- In Mexico, each of GT, SV, HN and NI has three consulates and its embassy:
  - `<CC>-CONS-TAPACHULA` (Chiapas): the south-east — Chiapas, Tabasco, Campeche, Quintana Roo,
    Yucatán; the Siglo XXI migration station and the Suchiate crossings are here.
  - `<CC>-CONS-ACAYUCAN` (Veracruz): the Gulf corridor — Veracruz, Oaxaca, Tamaulipas; the
    Acayucan migration station is here and the Gulf route runs north to Tamaulipas.
  - `<CC>-CONS-MEXICO` (Mexico City): the other 24 states.
  - `<CC>-EMB-MEXICO`: fallback when the state is unknown or no consulate covers it.
  The three jurisdictions partition Mexico's 32 states: each state has exactly one consulate
  of each of the four countries.
- Embassies only, as fallback, in Guatemala (of MX, SV, HN, NI) and in El Salvador (of MX, GT,
  HN, NI), where the demo immigration officers `igm.gt` and `dgme.sv` work. Guatemala has no
  post in Guatemala: a Guatemalan is never "notified about" in Guatemala (host national).

Every RCM member state in every other one (`DIRECTORY_EVERY_MEMBER`, migration
`0004_consular_withdrawals`): where no post above exists, the embassy in the host's capital
(`<CC>-EMB-<CAPITAL>`), or, where a state is not known to have a resident mission there, its
mission accredited from a third country (`<CC>-ACC-<CAPITAL>`, kind `concurrent_accreditation`:
Belize in Nicaragua, Panama and the Dominican Republic; Canada, Costa Rica, the Dominican
Republic, Nicaragua and Panama in Belize — `CONCURRENT` below). Which missions are resident and
which accredited is an assumption to confirm with each foreign ministry. Every seeded address is
invented (`.example` domains) and every seeded row is marked `placeholder` in the table.

Mandatory notification: the US list's RCM members (Belize, Costa Rica; US State Department,
"Countries and jurisdictions with mandatory notifications"), and Mexico for a detained national
of every other member state (`MEXICO_MANDATORY`): the Ley de Migración (art. 69) and Memorandum
practice, where the consul interviews every national before return, make Mexico notify the
consulate by default. The protection exception still comes first (nothing is sent for a person
with a protection need) and the person's objection is recorded and shown (`do_not_act`).

Clocks: the defaults (sent within 24 h, acknowledged within 72 h) for every RCM member, each with
the zone of its capital (Mexico: America/Mexico_City, which covers Chiapas, Veracruz and the
capital and keeps no daylight-saving time since 2022).

Departures (an assumption, configurable as reference data): a repatriation manifest names its
reception point, not where the bus leaves. Routing a repatriation notice needs the departure
place in the sending country, so `DEPARTURES` maps each reception point (for a sending country)
to the state the buses leave from. Seed: every reception point in GT, SV, HN and NI is served
from Chiapas (`MX-CHP`), because INM's Siglo XXI migration station in Tapachula dispatches the
land returns to Central America; a Guatemalan notice therefore goes to `GT-CONS-TAPACHULA`.
A reception point without a row routes to the receiving country's embassy in the sending
country. Rows are versioned like the posts, so a bus route moved to Acayucan is a new row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict

from consular.domain.directory import ConsularPost, Directory, PostKind
from consular.domain.reference import MandatoryNotification, NotificationClock, ReferenceData

SEED_VALID_FROM = date(2006, 5, 1)  # the Memorandum's signature month


class PostRow(TypedDict):
    code: str
    country: str
    kind: str
    city: str
    host_country: str
    jurisdiction: tuple[str, ...]
    email: str
    valid_from: date
    valid_to: date | None


class MandatoryRow(TypedDict):
    host_country: str
    nationality: str
    valid_from: date
    valid_to: date | None


class ClockRow(TypedDict):
    host_country: str
    time_zone: str
    send_within_hours: int
    acknowledge_within_hours: int
    valid_from: date
    valid_to: date | None


class DepartureRow(TypedDict):
    reception_point: str
    sending_country: str
    state: str  # ISO 3166-2 code of the sending country's state the bus leaves from
    city: str
    station: str
    valid_from: date
    valid_to: date | None


# ISO 3166-2:MX, with the names an officer may type for each state.
MEXICAN_STATES: dict[str, tuple[str, ...]] = {
    "MX-AGU": ("Aguascalientes",),
    "MX-BCN": ("Baja California",),
    "MX-BCS": ("Baja California Sur",),
    "MX-CAM": ("Campeche",),
    "MX-CHP": ("Chiapas",),
    "MX-CHH": ("Chihuahua",),
    "MX-CMX": ("Ciudad de México", "CDMX", "Mexico City", "Distrito Federal", "DF"),
    "MX-COA": ("Coahuila", "Coahuila de Zaragoza"),
    "MX-COL": ("Colima",),
    "MX-DUR": ("Durango",),
    "MX-GUA": ("Guanajuato",),
    "MX-GRO": ("Guerrero",),
    "MX-HID": ("Hidalgo",),
    "MX-JAL": ("Jalisco",),
    "MX-MEX": ("México", "Estado de México", "Edomex"),
    "MX-MIC": ("Michoacán", "Michoacán de Ocampo"),
    "MX-MOR": ("Morelos",),
    "MX-NAY": ("Nayarit",),
    "MX-NLE": ("Nuevo León",),
    "MX-OAX": ("Oaxaca",),
    "MX-PUE": ("Puebla",),
    "MX-QUE": ("Querétaro",),
    "MX-ROO": ("Quintana Roo",),
    "MX-SLP": ("San Luis Potosí",),
    "MX-SIN": ("Sinaloa",),
    "MX-SON": ("Sonora",),
    "MX-TAB": ("Tabasco",),
    "MX-TAM": ("Tamaulipas",),
    "MX-TLA": ("Tlaxcala",),
    "MX-VER": ("Veracruz", "Veracruz de Ignacio de la Llave"),
    "MX-YUC": ("Yucatán",),
    "MX-ZAC": ("Zacatecas",),
}

TAPACHULA_JURISDICTION = ("MX-CHP", "MX-TAB", "MX-CAM", "MX-ROO", "MX-YUC")
ACAYUCAN_JURISDICTION = ("MX-VER", "MX-OAX", "MX-TAM")
MEXICO_CITY_JURISDICTION = tuple(
    code
    for code in MEXICAN_STATES
    if code not in TAPACHULA_JURISDICTION and code not in ACAYUCAN_JURISDICTION
)

# The RCM member states (DOMAIN.md): each is a nationality in every other one as host.
MEMBERS = ("BZ", "CA", "CR", "DO", "SV", "GT", "HN", "MX", "NI", "PA", "US")

# The demo e-mail domain of each state (never a real government domain).
_MAIL_DOMAIN = {c: f"{c.lower()}.example" for c in MEMBERS}


def _post(
    code: str, country: str, kind: PostKind, city: str, host: str, jurisdiction: tuple[str, ...]
) -> PostRow:
    slug = code.split("-", 2)[2].lower().replace("-", "")
    prefix = "consulado" if kind is PostKind.CONSULATE else "embajada"
    return PostRow(
        code=code,
        country=country,
        kind=kind.value,
        city=city,
        host_country=host,
        jurisdiction=jurisdiction,
        email=f"{prefix}.{slug}@{_MAIL_DOMAIN[country]}",
        valid_from=SEED_VALID_FROM,
        valid_to=None,
    )


def _posts_in_mexico(country: str) -> list[PostRow]:
    consulates = (
        ("TAPACHULA", "Tapachula", TAPACHULA_JURISDICTION),
        ("ACAYUCAN", "Acayucan", ACAYUCAN_JURISDICTION),
        ("MEXICO", "Ciudad de México", MEXICO_CITY_JURISDICTION),
    )
    return [
        *(
            _post(f"{country}-CONS-{slug}", country, PostKind.CONSULATE, city, "MX", states)
            for slug, city, states in consulates
        ),
        _post(f"{country}-EMB-MEXICO", country, PostKind.EMBASSY, "Ciudad de México", "MX", ()),
    ]


POSTS: tuple[PostRow, ...] = (
    *(row for country in ("GT", "SV", "HN", "NI") for row in _posts_in_mexico(country)),
    *(
        _post(f"{c}-EMB-GUATEMALA", c, PostKind.EMBASSY, "Ciudad de Guatemala", "GT", ())
        for c in ("MX", "SV", "HN", "NI")
    ),
    *(
        _post(f"{c}-EMB-SAN-SALVADOR", c, PostKind.EMBASSY, "San Salvador", "SV", ())
        for c in ("MX", "GT", "HN", "NI")
    ),
)

# The capital (and the slug of post codes) of each member state as host.
CAPITALS: dict[str, tuple[str, str]] = {
    "BZ": ("BELMOPAN", "Belmopan"),
    "CA": ("OTTAWA", "Ottawa"),
    "CR": ("SAN-JOSE", "San José"),
    "DO": ("SANTO-DOMINGO", "Santo Domingo"),
    "SV": ("SAN-SALVADOR", "San Salvador"),
    "GT": ("GUATEMALA", "Ciudad de Guatemala"),
    "HN": ("TEGUCIGALPA", "Tegucigalpa"),
    "MX": ("MEXICO", "Ciudad de México"),
    "NI": ("MANAGUA", "Managua"),
    "PA": ("PANAMA", "Ciudad de Panamá"),
    "US": ("WASHINGTON", "Washington, D.C."),
}

# (nationality, host) → the country where the mission accredited to the host sits.
CONCURRENT: dict[tuple[str, str], str] = {
    ("BZ", "NI"): "CR",
    ("BZ", "PA"): "CR",
    ("BZ", "DO"): "MX",
    ("CA", "BZ"): "GT",
    ("CR", "BZ"): "MX",
    ("DO", "BZ"): "MX",
    ("NI", "BZ"): "GT",
    ("PA", "BZ"): "MX",
}


def _every_member() -> tuple[PostRow, ...]:
    """A post for every (nationality, host) pair of member states that `POSTS` lacks."""
    covered = {(p["country"], p["host_country"]) for p in POSTS}
    rows: list[PostRow] = []
    for host in MEMBERS:
        slug, city = CAPITALS[host]
        for country in MEMBERS:
            if country == host or (country, host) in covered:
                continue
            resident = CONCURRENT.get((country, host))
            if resident is None:
                rows.append(
                    _post(f"{country}-EMB-{slug}", country, PostKind.EMBASSY, city, host, ())
                )
            else:
                row = _post(
                    f"{country}-ACC-{slug}",
                    country,
                    PostKind.CONCURRENT_ACCREDITATION,
                    CAPITALS[resident][1],
                    host,
                    (),
                )
                mailbox = slug.lower().replace("-", "")
                row["email"] = f"concurrente.{mailbox}@{_MAIL_DOMAIN[country]}"
                rows.append(row)
    return tuple(rows)


DIRECTORY_EVERY_MEMBER: tuple[PostRow, ...] = _every_member()
ALL_POSTS: tuple[PostRow, ...] = (*POSTS, *DIRECTORY_EVERY_MEMBER)

MANDATORY_NOTIFICATIONS: tuple[MandatoryRow, ...] = (
    MandatoryRow(host_country="US", nationality="BZ", valid_from=SEED_VALID_FROM, valid_to=None),
    MandatoryRow(host_country="US", nationality="CR", valid_from=SEED_VALID_FROM, valid_to=None),
)

MEXICO_MANDATORY: tuple[MandatoryRow, ...] = tuple(
    MandatoryRow(host_country="MX", nationality=c, valid_from=SEED_VALID_FROM, valid_to=None)
    for c in MEMBERS
    if c != "MX"
)

_CAPITAL_ZONES = {
    "BZ": "America/Belize",
    "CA": "America/Toronto",
    "CR": "America/Costa_Rica",
    "DO": "America/Santo_Domingo",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "MX": "America/Mexico_City",
    "NI": "America/Managua",
    "PA": "America/Panama",
    "SV": "America/El_Salvador",
    "US": "America/New_York",
}

CLOCKS: tuple[ClockRow, ...] = tuple(
    ClockRow(
        host_country=country,
        time_zone=zone,
        send_within_hours=24,
        acknowledge_within_hours=72,
        valid_from=SEED_VALID_FROM,
        valid_to=None,
    )
    for country, zone in _CAPITAL_ZONES.items()
)


def consular_post(row: PostRow, *, placeholder: bool = True) -> ConsularPost:
    return ConsularPost(
        code=row["code"],
        country=row["country"],
        kind=PostKind(row["kind"]),
        city=row["city"],
        host_country=row["host_country"],
        jurisdiction=frozenset(row["jurisdiction"]),
        email=row["email"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        placeholder=placeholder,
    )


def directory() -> Directory:
    return Directory(posts=tuple(consular_post(r) for r in ALL_POSTS), subdivisions=MEXICAN_STATES)


def reference_data() -> ReferenceData:
    return ReferenceData(
        directory=directory(),
        mandatory=tuple(
            MandatoryNotification(
                host_country=r["host_country"],
                nationality=r["nationality"],
                valid_from=r["valid_from"],
                valid_to=r["valid_to"],
            )
            for r in (*MANDATORY_NOTIFICATIONS, *MEXICO_MANDATORY)
        ),
        clocks=tuple(
            NotificationClock(
                host_country=r["host_country"],
                time_zone=r["time_zone"],
                send_within=timedelta(hours=r["send_within_hours"]),
                acknowledge_within=timedelta(hours=r["acknowledge_within_hours"]),
                valid_from=r["valid_from"],
                valid_to=r["valid_to"],
            )
            for r in CLOCKS
        ),
    )


RECEPTION_POINTS_SERVED_FROM_TAPACHULA = (
    "GT-TECUN-UMAN",
    "GT-EL-CARMEN",
    "GT-LA-MESILLA",
    "SV-LAS-CHINAMAS",
    "SV-LA-HACHADURA",
    "HN-CORINTO",
    "HN-AGUA-CALIENTE",
    "NI-EL-GUASAULE",
)

DEPARTURES: tuple[DepartureRow, ...] = tuple(
    DepartureRow(
        reception_point=point,
        sending_country="MX",
        state="MX-CHP",
        city="Tapachula",
        station="Estación Migratoria Siglo XXI",
        valid_from=SEED_VALID_FROM,
        valid_to=None,
    )
    for point in RECEPTION_POINTS_SERVED_FROM_TAPACHULA
)
