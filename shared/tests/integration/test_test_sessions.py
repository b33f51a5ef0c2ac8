"""`make pytest` runs two pytest sessions side by side (`puebla_dev.testing.shards`): a red
session makes the run red, whichever ends first, and what the run started is stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from puebla_dev.testing import shards


def _suite(tmp_path: Path, name: str, body: str) -> shards.Session:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # none of the repository's options
    test = tmp_path / f"test_{name}.py"
    test.write_text(body)
    return shards.Session(name, ("-q", "-c", str(tmp_path / "pytest.ini"), str(test)))


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PUEBLA_VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_a_failing_session_fails_the_run_and_the_infrastructure_is_stopped(
    tmp_path: Path, var: Path
) -> None:
    stopped: list[list[str]] = []
    sessions = (
        _suite(tmp_path, "green", "def test_ok():\n    assert True\n"),
        _suite(tmp_path, "red", "def test_broken():\n    assert 1 == 2\n"),
    )
    code = shards.run(
        [], sessions=sessions, start=lambda: ["postgres", "nats"], stop=stopped.append
    )
    assert code == 1  # pytest's "tests failed"
    assert stopped == [["postgres", "nats"]]
    assert "1 passed" in (var / "test-sessions" / "green.log").read_text()
    assert "1 failed" in (var / "test-sessions" / "red.log").read_text()


def test_two_green_sessions_make_a_green_run(tmp_path: Path, var: Path) -> None:
    sessions = (
        _suite(tmp_path, "one", "def test_one():\n    assert True\n"),
        _suite(tmp_path, "two", "def test_two():\n    assert True\n"),
    )
    assert shards.run([], sessions=sessions, start=list, stop=lambda _: None) == 0
