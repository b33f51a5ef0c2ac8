"""The console's browser tests: the stack with the console (the `system` fixture) and one
Chromium for the session (`chromium_browser`, Debian's)."""

from __future__ import annotations

import pytest

from puebla.devstack import stack


@pytest.fixture(scope="session")
def console_url(system: dict[str, str]) -> str:
    return stack.console_url()
