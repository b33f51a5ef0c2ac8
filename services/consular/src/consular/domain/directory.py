"""The directory of consular posts and the routing of a notification to one of them.

DOMAIN.md §4 "Routing": each notification goes to the post of the person's nationality whose
jurisdiction covers the place; fallback: that country's embassy in the host country, and where it
has none, the mission accredited to the host country from abroad (concurrent accreditation).

Posts are versioned reference data: a row is valid on `[valid_from, valid_to)` (`valid_to`
exclusive, `None` = open), so a new version starts the day the old one ends without a gap or an
overlap. Jurisdictions hold ISO 3166-2 codes of the host country's states (`MX-CHP`); a place may
name its state by code (`MX-CHP`, `CHP`) or by name (`Chiapas`, `chiapas`, `Yucatan`), which
`Directory.state_code` resolves through the subdivision names of the reference data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from consular.domain.errors import NoConsularPost


class PostKind(StrEnum):
    CONSULATE = "consulate"
    EMBASSY = "embassy"
    # A mission resident in a third country and accredited to the host country as well (e.g.
    # an embassy in Guatemala City that also covers Belize): `city` is where it sits.
    CONCURRENT_ACCREDITATION = "concurrent_accreditation"


@dataclass(frozen=True)
class ConsularPost:
    """A post of `country` (the sending state) located in `host_country`.

    An embassy's `jurisdiction` is usually empty: it is the fallback for the whole host country.
    `email` is where the worker sends the notice; `placeholder` marks an invented address
    (seeded demo data, to be replaced through the reference-data tables).
    """

    code: str
    country: str
    kind: PostKind
    city: str
    host_country: str
    jurisdiction: frozenset[str]
    email: str
    valid_from: date
    valid_to: date | None = None
    placeholder: bool = False

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    def covers(self, state_code: str) -> bool:
        return state_code in self.jurisdiction


def _fold(name: str) -> str:
    # "Yucatán", "YUCATAN " and "yucatan" are the same state to an officer typing a report.
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def _overlap(a: ConsularPost, b: ConsularPost) -> bool:
    a_ends_after_b_starts = a.valid_to is None or b.valid_from < a.valid_to
    b_ends_after_a_starts = b.valid_to is None or a.valid_from < b.valid_to
    return a_ends_after_b_starts and b_ends_after_a_starts


@dataclass(frozen=True)
class Directory:
    """All posts, every version, plus the names of the host countries' states.

    `subdivisions` maps an ISO 3166-2 code to the names it is known by (first: the usual name).
    Construction refuses reference data that would make routing ambiguous: two consulates of the
    same country, valid at the same time, covering the same state.
    """

    posts: tuple[ConsularPost, ...]
    subdivisions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        consulates = [p for p in self.posts if p.kind is PostKind.CONSULATE]
        for i, a in enumerate(consulates):
            for b in consulates[i + 1 :]:
                same_country = (a.country, a.host_country) == (b.country, b.host_country)
                shared = a.jurisdiction & b.jurisdiction
                if same_country and shared and _overlap(a, b):
                    raise ValueError(
                        f"{a.code} and {b.code} both cover {sorted(shared)} at the same time"
                    )

    def post(self, code: str, on: date) -> ConsularPost | None:
        return next((p for p in self.posts if p.code == code and p.valid_on(on)), None)

    def posts_of(self, country: str, host_country: str, on: date) -> Iterable[ConsularPost]:
        return (
            p
            for p in self.posts
            if p.country == country and p.host_country == host_country and p.valid_on(on)
        )

    def state_code(self, host_country: str, state: str | None) -> str | None:
        """The ISO 3166-2 code of `state` in `host_country`, or `None` if it is not known."""
        if not state or not state.strip():
            return None
        wanted = state.strip().upper()
        prefix = f"{host_country}-"
        code = wanted if wanted.startswith(prefix) else prefix + wanted
        if code in self.subdivisions:
            return code
        folded = _fold(state)
        for known, names in self.subdivisions.items():
            if known.startswith(prefix) and any(_fold(n) == folded for n in names):
                return known
        return None


def route(
    directory: Directory,
    nationality: str,
    host_country: str,
    place_state: str | None,
    on: date,
) -> ConsularPost:
    """The post of `nationality` in `host_country` that must be told about something that
    happened in `place_state` on `on` (a date in the host country's calendar).

    1. the consulate whose jurisdiction covers the state;
    2. otherwise (no such consulate, unknown or missing state) that country's embassy;
    3. otherwise its mission accredited to the host country from abroad;
    4. otherwise `NoConsularPost`: the country has no post for the host country at all (the
       caller keeps the notification `unroutable`).

    For a repatriation manifest the host country is the *sending* country and the place is the
    departure: a manifest from Chiapas to Guatemala goes to Guatemala's consulate in Tapachula,
    since Guatemala has no consulates in Guatemala.
    """
    candidates = list(directory.posts_of(nationality, host_country, on))
    state = directory.state_code(host_country, place_state)
    if state is not None:
        for post in sorted(candidates, key=lambda p: p.code):
            if post.kind is PostKind.CONSULATE and post.covers(state):
                return post
    for fallback in (PostKind.EMBASSY, PostKind.CONCURRENT_ACCREDITATION):
        posts = sorted((p for p in candidates if p.kind is fallback), key=lambda p: p.code)
        if posts:
            return posts[0]
    raise NoConsularPost(
        f"{nationality} has no consular post in {host_country} on {on.isoformat()}"
    )
