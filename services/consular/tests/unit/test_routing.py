from datetime import UTC, date, datetime
from typing import Any

import pytest

from consular.domain import seed
from consular.domain.commands import NotifyRepatriation, NotifyRepatriationCancelled
from consular.domain.directory import ConsularPost, Directory, PostKind, route
from consular.domain.errors import InvalidInput, NoConsularPost
from consular.domain.events import NotificationCreated
from consular.domain.rules import NotificationKind
from consular.domain.states import NotificationStatus
from consular.domain.triggers import notify_on_repatriation, notify_on_repatriation_cancelled
from consular.domain.values import Place, Related

ON = date(2026, 3, 10)


MEMBERS = ("BZ", "CA", "CR", "DO", "SV", "GT", "HN", "MX", "NI", "PA", "US")


def _post(code, kind, jurisdiction, valid_from=date(2020, 1, 1), valid_to=None):
    return ConsularPost(
        code=code,
        country="GT",
        kind=kind,
        city="x",
        host_country="MX",
        jurisdiction=frozenset(jurisdiction),
        email=f"{code.lower()}@gt.example",
        valid_from=valid_from,
        valid_to=valid_to,
    )


class TestRouting:
    def test_chiapas_goes_to_tapachula(self):
        post = route(seed.directory(), "GT", "MX", "Chiapas", ON)
        assert post.code == "GT-CONS-TAPACHULA"
        assert post.email == "consulado.tapachula@gt.example"

    def test_state_by_iso_code_or_name_without_accents(self):
        directory = seed.directory()
        assert route(directory, "HN", "MX", "MX-YUC", ON).code == "HN-CONS-TAPACHULA"
        assert route(directory, "HN", "MX", "YUC", ON).code == "HN-CONS-TAPACHULA"
        assert route(directory, "HN", "MX", " yucatan ", ON).code == "HN-CONS-TAPACHULA"

    def test_veracruz_and_oaxaca_go_to_acayucan(self):
        directory = seed.directory()
        assert route(directory, "SV", "MX", "Veracruz", ON).code == "SV-CONS-ACAYUCAN"
        assert route(directory, "NI", "MX", "Oaxaca", ON).code == "NI-CONS-ACAYUCAN"

    def test_the_rest_of_mexico_goes_to_mexico_city(self):
        directory = seed.directory()
        assert route(directory, "SV", "MX", "Jalisco", ON).code == "SV-CONS-MEXICO"
        assert route(directory, "GT", "MX", "CDMX", ON).code == "GT-CONS-MEXICO"

    def test_unknown_state_falls_back_to_the_embassy(self):
        assert route(seed.directory(), "NI", "MX", "Atlántida", ON).code == "NI-EMB-MEXICO"

    def test_missing_state_falls_back_to_the_embassy(self):
        assert route(seed.directory(), "GT", "MX", None, ON).code == "GT-EMB-MEXICO"

    def test_country_with_only_an_embassy_there_gets_the_embassy(self):
        post = route(seed.directory(), "HN", "GT", "Quetzaltenango", ON)
        assert post.code == "HN-EMB-GUATEMALA"
        assert post.kind is PostKind.EMBASSY

    def test_no_post_in_the_host_country_is_a_clear_error(self):
        with pytest.raises(NoConsularPost) as refused:
            route(seed.directory(), "VE", "MX", "Chiapas", ON)
        assert refused.value.rule == "no_consular_post"
        assert refused.value.field == "person.nationality"
        assert str(refused.value) == "VE has no consular post in MX on 2026-03-10"

    @pytest.mark.parametrize("host", MEMBERS)
    def test_every_member_state_has_a_post_in_every_other_one(self, host):
        for nationality in MEMBERS:
            if nationality != host:
                post = route(seed.directory(), nationality, host, None, ON)
                assert (post.country, post.host_country) == (nationality, host)
                assert post.placeholder  # seeded: an invented address

    def test_a_nicaraguan_found_in_costa_rica_goes_to_the_embassy_in_san_jose(self):
        post = route(seed.directory(), "NI", "CR", "San José", ON)
        assert (post.code, post.kind, post.city) == (
            "NI-EMB-SAN-JOSE",
            PostKind.EMBASSY,
            "San José",
        )

    def test_without_an_embassy_the_mission_accredited_from_abroad_is_told(self):
        post = route(seed.directory(), "CA", "BZ", None, ON)
        assert (post.code, post.kind, post.city) == (
            "CA-ACC-BELMOPAN",
            PostKind.CONCURRENT_ACCREDITATION,
            "Ciudad de Guatemala",
        )

    def test_an_embassy_comes_before_a_concurrent_accreditation(self):
        directory = Directory(
            posts=(
                _post("GT-ACC-A", PostKind.CONCURRENT_ACCREDITATION, set()),
                _post("GT-EMB-B", PostKind.EMBASSY, set()),
            )
        )
        assert route(directory, "GT", "MX", None, ON).code == "GT-EMB-B"

    def test_a_consulate_no_longer_valid_gives_way_to_the_embassy(self):
        directory = Directory(
            posts=(
                _post("GT-CONS-A", PostKind.CONSULATE, {"MX-CHP"}, valid_to=date(2026, 3, 10)),
                _post("GT-EMB-B", PostKind.EMBASSY, set()),
            ),
            subdivisions=seed.MEXICAN_STATES,
        )
        assert route(directory, "GT", "MX", "Chiapas", date(2026, 3, 9)).code == "GT-CONS-A"
        assert route(directory, "GT", "MX", "Chiapas", date(2026, 3, 10)).code == "GT-EMB-B"

    def test_a_post_not_yet_open_routes_nothing(self):
        directory = Directory(
            posts=(_post("GT-EMB-B", PostKind.EMBASSY, set(), valid_from=date(2026, 3, 11)),)
        )
        with pytest.raises(NoConsularPost):
            route(directory, "GT", "MX", "Chiapas", date(2026, 3, 10))

    def test_two_consulates_covering_one_state_at_once_are_refused(self):
        with pytest.raises(ValueError, match="GT-CONS-A and GT-CONS-B both cover"):
            Directory(
                posts=(
                    _post("GT-CONS-A", PostKind.CONSULATE, {"MX-CHP", "MX-TAB"}),
                    _post("GT-CONS-B", PostKind.CONSULATE, {"MX-CHP"}, valid_from=date(2025, 1, 1)),
                )
            )

    def test_a_successor_consulate_may_take_over_a_state(self):
        directory = Directory(
            posts=(
                _post("GT-CONS-A", PostKind.CONSULATE, {"MX-CHP"}, valid_to=date(2026, 1, 1)),
                _post("GT-CONS-B", PostKind.CONSULATE, {"MX-CHP"}, valid_from=date(2026, 1, 1)),
            ),
            subdivisions=seed.MEXICAN_STATES,
        )
        assert route(directory, "GT", "MX", "MX-CHP", date(2025, 12, 31)).code == "GT-CONS-A"
        assert route(directory, "GT", "MX", "MX-CHP", date(2026, 1, 1)).code == "GT-CONS-B"


class TestSeedDirectory:
    def test_each_country_has_exactly_one_consulate_for_each_of_the_32_states(self):
        directory = seed.directory()
        assert len(seed.MEXICAN_STATES) == 32
        for country in ("GT", "SV", "HN", "NI"):
            consulates = [
                p for p in directory.posts_of(country, "MX", ON) if p.kind is PostKind.CONSULATE
            ]
            covered = sorted(s for p in consulates for s in p.jurisdiction)
            assert covered == sorted(seed.MEXICAN_STATES), country

    def test_the_demo_users_posts_exist(self):
        directory = seed.directory()
        for code in ("GT-CONS-TAPACHULA", "HN-CONS-TAPACHULA", "SV-CONS-TAPACHULA"):
            post = directory.post(code, ON)
            assert post is not None
            assert post.city == "Tapachula"
            assert post.jurisdiction == {"MX-CHP", "MX-TAB", "MX-CAM", "MX-ROO", "MX-YUC"}

    def test_guatemala_has_no_post_in_guatemala(self):
        assert list(seed.directory().posts_of("GT", "GT", ON)) == []

    def test_every_email_is_a_demo_address(self):
        assert all(p["email"].endswith(".example") for p in seed.POSTS)


def _manifest(**overrides):
    fields: dict[str, Any] = {
        "manifest_id": "m-1",
        "manifest_reference": "MX-GT-2026-000123",
        "manifest_version": 2,
        "sending_country": "MX",
        "receiving_country": "GT",
        "departure": Place("MX", "Chiapas", "Tapachula"),
        "reception_point": "GT-TECUN-UMAN",
        "scheduled_arrival": datetime(2026, 3, 12, 16, 0, tzinfo=UTC),
        "returnee_count": 31,
        "notified_at": datetime(2026, 3, 10, 17, 0, tzinfo=UTC),
    }
    fields.update(overrides)
    return NotifyRepatriation(**fields)


class TestRepatriationRouting:
    NOW = datetime(2026, 3, 10, 17, 0, 5, tzinfo=UTC)

    def test_manifest_from_chiapas_goes_to_the_receiving_countrys_consulate_in_tapachula(
        self, reference, new_id
    ):
        notice = notify_on_repatriation(_manifest(), reference, new_id(), self.NOW)
        assert notice.kind is NotificationKind.REPATRIATION_NOTICE
        assert notice.status is NotificationStatus.PENDING
        assert notice.nationality == "GT"
        assert notice.host_country == "MX"
        assert notice.consular_post == "GT-CONS-TAPACHULA"
        assert notice.person is None
        assert notice.related == Related("repatriation", "m-1")
        assert notice.source_key == "repatriation:m-1:notice:v2"
        assert notice.manifest is not None
        assert notice.manifest.returnee_count == 31

    def test_manifest_from_acayucan_goes_to_acayucan(self, reference, new_id):
        departure = Place("MX", "Veracruz", "Acayucan")
        cmd = _manifest(receiving_country="HN", departure=departure)
        notice = notify_on_repatriation(cmd, reference, new_id(), self.NOW)
        assert notice.consular_post == "HN-CONS-ACAYUCAN"
        assert isinstance(notice.events[0], NotificationCreated)

    def test_an_amendment_is_a_new_notice(self, reference, new_id):
        first = notify_on_repatriation(_manifest(), reference, new_id(), self.NOW)
        amended = notify_on_repatriation(
            _manifest(manifest_version=3), reference, new_id(), self.NOW
        )
        assert first.source_key == "repatriation:m-1:notice:v2"
        assert amended.source_key == "repatriation:m-1:notice:v3"

    def test_cancellation_is_its_own_kind_to_the_same_post(self, reference, new_id):
        cmd = NotifyRepatriationCancelled(
            manifest_id="m-1",
            manifest_reference="MX-GT-2026-000123",
            manifest_version=4,
            sending_country="MX",
            receiving_country="GT",
            departure=Place("MX", "Chiapas", "Tapachula"),
            reception_point="GT-TECUN-UMAN",
            cancelled_at=datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
        )
        notice = notify_on_repatriation_cancelled(
            cmd, reference, new_id(), datetime(2026, 3, 11, 9, 1, tzinfo=UTC)
        )
        assert notice.kind is NotificationKind.REPATRIATION_CANCELLATION
        assert notice.consular_post == "GT-CONS-TAPACHULA"
        assert notice.source_key == "repatriation:m-1:cancellation"
        assert notice.due_at == datetime(2026, 3, 12, 9, 0, tzinfo=UTC)

    def test_a_manifest_must_cross_a_border(self, reference, new_id):
        with pytest.raises(InvalidInput) as refused:
            notify_on_repatriation(_manifest(receiving_country="MX"), reference, new_id(), self.NOW)
        assert refused.value.rule == "same_country"
