"""Who the shell says is signed in, from the access token's claims."""

from __future__ import annotations

from console.domain.officer import Officer


def test_the_officer_of_a_border_officers_token() -> None:
    officer = Officer.from_claims(
        {
            "sub": "s-1",
            "preferred_username": "border.gt.tecun",
            "name": "Tomás Cux",
            "realm_access": {"roles": ["default-roles-rcm", "border_officer", "offline_access"]},
            "country": "GT",
            "agency": "IGM",
            "border_post": "GT-TECUN-UMAN",
        }
    )
    assert officer.roles == ("border_officer",)  # the realm's own roles are not shown
    assert (officer.name, officer.country, officer.post) == ("Tomás Cux", "GT", "GT-TECUN-UMAN")
    assert Officer.from_record(officer.record()) == officer


def test_claims_of_the_wrong_shape_give_an_officer_without_roles() -> None:
    officer = Officer.from_claims({"sub": "s-2", "realm_access": ["border_officer"], "name": 3})
    assert officer.roles == ()
    assert officer.username == "s-2"
    assert officer.name == "s-2"
