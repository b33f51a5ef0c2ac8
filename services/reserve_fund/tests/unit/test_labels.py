"""Who may see an event about an application (its envelope's `access`): IOM, the requesting
country and the beneficiary's nationality — and while the child case it names is blocked for the
consulate, never the nationality, whoever filed it (POLICY.md, the protection exception)."""

from __future__ import annotations

import pytest

from reserve_fund.adapters.integration import access_of, outgoing
from reserve_fund.domain import Authority, AuthorityRole

MX_INM = Authority("inm.mx", "MX", AuthorityRole.IMMIGRATION_OFFICER)


class TestAccessOf:
    @pytest.mark.parametrize(
        ("requesting", "nationality", "expected"),
        [
            ("MX", "HN", ["IOM", "MX", "HN"]),
            ("HN", "HN", ["IOM", "HN"]),
        ],
    )
    def test_an_application_in_view_is_labelled_for_iom_the_requester_and_the_nationality(
        self, requesting, nationality, expected
    ):
        assert access_of(requesting, nationality) == expected

    @pytest.mark.parametrize(
        ("requesting", "nationality", "expected"),
        [
            # filed by the host country: the host and IOM
            ("MX", "HN", ["IOM", "MX"]),
            # filed by the child's own consul: its state no longer sees the application at all
            ("HN", "HN", ["IOM"]),
        ],
    )
    def test_while_hidden_from_the_nationality_it_is_never_on_the_label(
        self, requesting, nationality, expected
    ):
        assert access_of(requesting, nationality, hidden_from_nationality=True) == expected


class TestOutgoing:
    def test_every_event_written_while_hidden_leaves_the_nationality_out(self, desk):
        application = desk.reviewed(
            requested_by=MX_INM, beneficiary=desk.beneficiary(nationality="HN")
        )
        application.reject(reason="Not eligible.", by="iom.approver", now=desk.now)
        hidden = [
            e
            for e in (
                outgoing(event, application, hidden_from_nationality=True)
                for event in application.events
            )
            if e is not None
        ]
        in_view = [e for e in (outgoing(ev, application) for ev in application.events) if e]
        assert [e.event_type for e in hidden] == [
            "fund.application.submitted.v1",
            "fund.application.rejected.v1",
        ]
        assert [list(e.access) for e in hidden] == [["IOM", "MX"], ["IOM", "MX"]]
        assert [list(e.access) for e in in_view] == [["IOM", "MX", "HN"], ["IOM", "MX", "HN"]]
