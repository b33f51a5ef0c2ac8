from datetime import UTC, date, datetime

import pytest

from reserve_fund.domain import (
    Authority,
    AuthorityRole,
    Category,
    Consent,
    ConsentGiver,
    age_on,
)
from reserve_fund.domain.errors import (
    ConsentMissing,
    InvalidBeneficiary,
    NoCategory,
    NotAChild,
    NotIntraregional,
    NotOver70,
)


class TestIntraregional:
    def test_a_guatemalan_in_mexico_is_eligible(self, desk):
        application = desk.draft(current_country="MX")
        assert application.current_country == "MX"
        assert application.beneficiary.nationality == "GT"

    def test_someone_in_their_own_country_is_refused(self, desk):
        with pytest.raises(NotIntraregional) as refused:
            desk.draft(current_country="GT")
        assert refused.value.rule == "eligibility.not_in_another_member_state"
        assert refused.value.field == "current_country"

    def test_a_national_of_a_non_member_is_refused(self, desk):
        with pytest.raises(NotIntraregional) as refused:
            desk.draft(
                beneficiary=desk.beneficiary(nationality="VE"),
                current_country="MX",
                requested_by=Authority("inm.tapachula", "MX", AuthorityRole.IMMIGRATION_OFFICER),
            )
        assert refused.value.rule == "eligibility.nationality_not_member"
        assert refused.value.field == "beneficiary.nationality"

    def test_someone_outside_the_member_states_is_refused(self, desk):
        with pytest.raises(NotIntraregional) as refused:
            desk.draft(current_country="ES")
        assert refused.value.rule == "eligibility.current_country_not_member"

    @pytest.mark.parametrize(
        ("nationality", "current_country"), [("BZ", "US"), ("CA", "DO"), ("PA", "CR"), ("NI", "HN")]
    )
    def test_every_pair_of_members_counts(self, desk, nationality, current_country):
        consul = Authority("consul", nationality, AuthorityRole.CONSULAR_OFFICER)
        application = desk.draft(
            beneficiary=desk.beneficiary(nationality=nationality),
            current_country=current_country,
            requested_by=consul,
        )
        assert application.current_country == current_country


class TestCategories:
    def test_no_category_is_refused(self, desk):
        with pytest.raises(NoCategory) as refused:
            desk.draft(categories=set())
        assert refused.value.rule == "eligibility.no_category"
        assert refused.value.field == "categories"

    def test_over_70_claimed_for_someone_who_is_69_is_refused(self, desk):
        # Born 5 May 1956: on 4 May 2026 they are 69, one day short of 70.
        with pytest.raises(NotOver70) as refused:
            desk.draft(
                beneficiary=desk.beneficiary(born=date(1956, 5, 5)), categories={Category.OVER_70}
            )
        assert refused.value.rule == "eligibility.not_over_70"
        assert "69" in refused.value.message

    def test_over_70_from_the_seventieth_birthday(self, desk):
        application = desk.draft(
            beneficiary=desk.beneficiary(born=date(1956, 5, 4)), categories={Category.OVER_70}
        )
        assert application.categories == frozenset({Category.OVER_70})

    def test_over_70_is_added_when_the_date_of_birth_shows_it(self, desk):
        application = desk.draft(
            beneficiary=desk.beneficiary(born=date(1950, 1, 15)), categories=set()
        )
        assert application.categories == frozenset({Category.OVER_70})

    def test_over_70_is_added_beside_what_was_claimed(self, desk):
        application = desk.draft(
            beneficiary=desk.beneficiary(born=date(1950, 1, 15)), categories={Category.DISABILITY}
        )
        assert application.categories == frozenset({Category.DISABILITY, Category.OVER_70})

    def test_unaccompanied_child_for_an_18_year_old_is_refused(self, desk):
        with pytest.raises(NotAChild) as refused:
            desk.draft(
                beneficiary=desk.beneficiary(born=date(2008, 5, 4)),
                categories={Category.UNACCOMPANIED_CHILD},
                voluntary_consent=Consent(True, ConsentGiver.GUARDIAN, desk.now),
            )
        assert refused.value.rule == "eligibility.not_a_child"

    def test_unaccompanied_child_for_a_17_year_old(self, desk):
        application = desk.draft(
            beneficiary=desk.beneficiary(born=date(2008, 5, 5)),
            categories={Category.UNACCOMPANIED_CHILD},
            voluntary_consent=Consent(True, ConsentGiver.AUTHORITY, desk.now),
        )
        assert application.categories == frozenset({Category.UNACCOMPANIED_CHILD})

    def test_a_child_claimed_at_filing_who_turned_18_before_submission_is_refused(self, desk):
        application = desk.draft(
            beneficiary=desk.beneficiary(born=date(2008, 5, 10)),
            categories={Category.UNACCOMPANIED_CHILD},
            voluntary_consent=Consent(True, ConsentGiver.GUARDIAN, desk.now),
        )
        with pytest.raises(NotAChild):
            application.submit(
                by=desk.consul, rules=desk.rules, now=datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
            )
        assert application.status == "draft"


class TestConsent:
    def test_no_consent_is_refused(self, desk):
        with pytest.raises(ConsentMissing) as refused:
            desk.draft(voluntary_consent=None)
        assert refused.value.rule == "consent.missing"
        assert refused.value.field == "voluntary_consent"

    def test_consent_refused_by_the_beneficiary_stops_the_application(self, desk):
        with pytest.raises(ConsentMissing) as refused:
            desk.draft(voluntary_consent=Consent(False, ConsentGiver.BENEFICIARY, desk.now))
        assert refused.value.rule == "consent.missing"

    def test_a_child_cannot_consent_alone(self, desk):
        with pytest.raises(ConsentMissing) as refused:
            desk.draft(
                beneficiary=desk.beneficiary(born=date(2012, 1, 1)),
                categories={Category.UNACCOMPANIED_CHILD},
                voluntary_consent=Consent(True, ConsentGiver.BENEFICIARY, desk.now),
            )
        assert refused.value.rule == "consent.child_through_guardian"

    def test_an_authority_does_not_decide_for_an_adult(self, desk):
        with pytest.raises(ConsentMissing) as refused:
            desk.draft(voluntary_consent=Consent(True, ConsentGiver.AUTHORITY, desk.now))
        assert refused.value.rule == "consent.adult_decides"

    def test_an_adults_legal_guardian_may_consent(self, desk):
        consent = Consent(True, ConsentGiver.GUARDIAN, desk.now)
        assert desk.draft(voluntary_consent=consent).voluntary_consent == consent

    def test_consent_recorded_after_the_filing_is_refused(self, desk):
        later = datetime(2026, 5, 4, 15, 1, tzinfo=UTC)
        with pytest.raises(ConsentMissing) as refused:
            desk.draft(voluntary_consent=Consent(True, ConsentGiver.BENEFICIARY, later))
        assert refused.value.rule == "consent.recorded_in_future"

    def test_consent_time_without_offset_is_refused(self, desk):
        naive = datetime(2026, 5, 4, 9, 0)  # noqa: DTZ001 - the point of the test
        with pytest.raises(ConsentMissing) as refused:
            desk.draft(voluntary_consent=Consent(True, ConsentGiver.BENEFICIARY, naive))
        assert refused.value.rule == "consent.recorded_at_naive"


class TestBeneficiary:
    def test_born_after_the_filing_date_is_refused(self, desk):
        with pytest.raises(InvalidBeneficiary) as refused:
            desk.draft(beneficiary=desk.beneficiary(born=date(2026, 5, 5)))
        assert refused.value.field == "beneficiary.date_of_birth"


class TestAgeOn:
    def test_counts_completed_years(self):
        assert age_on(date(1956, 5, 5), date(2026, 5, 4)) == 69
        assert age_on(date(1956, 5, 4), date(2026, 5, 4)) == 70

    def test_a_leap_day_birthday_falls_on_the_first_of_march_in_common_years(self):
        assert age_on(date(1956, 2, 29), date(2026, 2, 28)) == 69
        assert age_on(date(1956, 2, 29), date(2026, 3, 1)) == 70
