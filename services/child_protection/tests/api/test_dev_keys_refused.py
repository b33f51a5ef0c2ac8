"""Security review 11: neither the API (its lifespan fails) nor the worker process starts with a
public dev key or without keys outside `PUEBLA_ENV=dev`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from child_protection.bootstrap import DevKeyRefused
from child_protection.entrypoints.api.app import create_app
from puebla.runtime import Runtime

COMPOSE_K1 = "k1:5OoeeMH6cnTqvvPkUnH51urnTaHFMgai8yPsL77O0rw="


@pytest.mark.parametrize("keys", [None, COMPOSE_K1])
async def test_the_api_does_not_start_outside_dev(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, keys: str | None
) -> None:
    monkeypatch.delenv("PUEBLA_ENV", raising=False)
    if keys is None:
        monkeypatch.delenv("CHILD_PROTECTION_ENCRYPTION_KEYS", raising=False)
    else:
        monkeypatch.setenv("CHILD_PROTECTION_ENCRYPTION_KEYS", keys)
    app = create_app(runtime)

    with pytest.raises(DevKeyRefused):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - never reached


def test_the_worker_process_exits_before_it_starts() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PUEBLA_ENV"}
    env["CHILD_PROTECTION_ENCRYPTION_KEYS"] = COMPOSE_K1
    done = subprocess.run(
        [sys.executable, "-m", "child_protection.entrypoints.worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DevKeyRefused" in done.stderr
    assert "public dev key (k1)" in done.stderr
