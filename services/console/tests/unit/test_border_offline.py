"""What the browser may keep for a border post without a link (no browser, no API)."""

from __future__ import annotations

from datetime import date

from console.entrypoints.pages.border_offline import (
    WORDS_FOR_SCRIPT,
    person_of,
    script_words,
    service_worker,
    shell_urls,
)


def test_the_shell_is_the_offline_page_and_digest_addressed_static_files_only() -> None:
    urls = shell_urls()
    assert urls[0] == "/offline"
    assert all(u.startswith("/static/") and "?v=" in u for u in urls[1:])
    assert not [u for u in urls if u.startswith(("/arrivals", "/manifests"))]


async def test_the_worker_caches_the_shell_and_answers_navigations_network_first() -> None:
    answer = await service_worker()
    script = bytes(answer.body).decode()
    assert answer.headers["cache-control"] == "no-cache"
    for url in shell_urls():
        assert f'"{url}"' in script
    # A page is asked of the network first; the shell only when it cannot be reached.
    assert 'fetch(request).catch(() => caches.match("/offline"))' in script
    assert "cache.put" not in script  # nothing else is ever put in its cache


def test_a_person_in_the_copy_carries_no_more_than_the_online_hand_over_shows() -> None:
    person = {
        "id": "0190-x",
        "given_names": "Rosa",
        "surnames": "Tzoc Ajú",
        "sex": "F",
        "date_of_birth": "2015-03-02",
        "family_group": "f1",
        "vulnerable": False,
        "vulnerabilities": {"pregnant": False},
        "place_of_origin": "Quiché",
        "document": {"type": "passport", "number": "G123"},
        "protection_need": False,
    }
    kept = person_of(person, date(2026, 12, 2))
    assert kept == {
        "id": "0190-x",
        "given_names": "Rosa",
        "surnames": "Tzoc Ajú",
        "sex": "F",
        "age": 11,
        "family_group": "f1",
        "vulnerable": False,
        "tags": ["child"],
    }


def test_the_script_has_every_word_in_both_languages() -> None:
    for locale in ("es", "en"):
        words = script_words(locale)
        assert set(WORDS_FOR_SCRIPT) <= set(words)
        assert all(words[k] for k in WORDS_FOR_SCRIPT)
        assert set(words["outcomes"]) == {"received", "not_presented", "refused"}
    assert script_words("es")["offline_title"] == "Trabajando sin conexión"
