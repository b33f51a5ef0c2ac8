"""`puebla.collector.settle`: start-up's objects out of the collector's sight, once."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from puebla import collector


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    threshold = gc.get_threshold()
    monkeypatch.setattr(collector, "_settled", False)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_is_frozen_and_young_collections_are_rarer(fresh_process: None) -> None:
    built_at_start = [[n] for n in range(1000)]  # noqa: F841 - alive while settle() runs
    before = gc.get_freeze_count()
    collector.settle()
    assert gc.get_freeze_count() >= before + 1000
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD


def test_only_the_first_call_freezes(fresh_process: None) -> None:
    collector.settle()
    frozen = gc.get_freeze_count()
    later = [[n] for n in range(1000)]  # noqa: F841 - a later app's objects
    collector.settle()
    assert gc.get_freeze_count() == frozen
