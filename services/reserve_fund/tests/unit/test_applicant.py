import pytest

from reserve_fund.domain import Authority, AuthorityRole
from reserve_fund.domain.errors import ApplicantNotAuthority, NotRequestingAuthority


class TestApplicant:
    def test_the_consulate_of_the_return_country_may_apply(self, desk):
        consul = Authority("consul.gt.tapachula", "GT", AuthorityRole.CONSULAR_OFFICER)
        application = desk.draft(requested_by=consul)
        assert application.requesting_country == "GT"

    def test_the_migration_authority_of_the_departure_country_may_apply(self, desk):
        officer = Authority("inm.tapachula", "MX", AuthorityRole.IMMIGRATION_OFFICER)
        application = desk.draft(requested_by=officer)
        assert application.requesting_country == "MX"

    def test_a_third_country_cannot_apply_for_someone_elses_national(self, desk):
        # A Salvadoran in Mexico: Guatemala is neither where she is nor where she returns to.
        consul = Authority("consul.gt.tapachula", "GT", AuthorityRole.CONSULAR_OFFICER)
        with pytest.raises(ApplicantNotAuthority) as refused:
            desk.draft(
                requested_by=consul,
                beneficiary=desk.beneficiary(nationality="SV"),
                current_country="MX",
            )
        assert refused.value.kind == "forbidden"
        assert refused.value.rule == "applicant.not_departure_or_return_authority"

    def test_the_applicant_rule_is_checked_before_eligibility(self, desk):
        consul = Authority("consul.hn", "HN", AuthorityRole.CONSULAR_OFFICER)
        with pytest.raises(ApplicantNotAuthority):
            desk.draft(requested_by=consul, categories=set())


class TestRequestingAuthority:
    def test_another_country_cannot_submit_the_draft(self, desk):
        application = desk.draft()
        mexico = Authority("inm.tapachula", "MX", AuthorityRole.IMMIGRATION_OFFICER)
        with pytest.raises(NotRequestingAuthority) as refused:
            application.submit(by=mexico, rules=desk.rules, now=desk.now)
        assert refused.value.kind == "forbidden"
        assert application.status == "draft"

    def test_a_colleague_of_the_same_country_may_submit(self, desk):
        application = desk.draft()
        colleague = Authority("consul.gt.mexico", "GT", AuthorityRole.CONSULAR_OFFICER)
        application.submit(by=colleague, rules=desk.rules, now=desk.now)
        assert application.status == "submitted"

    def test_another_country_cannot_answer_a_question(self, desk):
        application = desk.submitted()
        application.request_information(question="Ticket quote?", by="iom.officer", now=desk.now)
        mexico = Authority("inm.tapachula", "MX", AuthorityRole.IMMIGRATION_OFFICER)
        with pytest.raises(NotRequestingAuthority):
            application.provide_information(
                answer="Attached.", by=mexico, rules=desk.rules, now=desk.now
            )
        assert application.status == "info_requested"
