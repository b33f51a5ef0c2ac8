"""Hypothesis settings for every suite of the repository: a failing property can be replayed.

Two profiles, registered once here (the plugin every suite loads), so no test module has to:

- `ci`, selected when `CI` is set (`.ci/run` sets it): `derandomize=True`, each test draws
  the same examples on every run, so a red CI run goes red again when it is run again; the
  shrunk example and its `@reproduce_failure` blob are printed; no example database (a CI
  machine starts from nothing).
- `dev`, selected otherwise: random examples, but from one seed per session that is printed in
  the header and again after a failure, so `--hypothesis-seed=<n>` (or
  `PUEBLA_HYPOTHESIS_SEED=<n>`) replays the very same draws.

Test modules that build their own `settings(max_examples=…)` inherit the profile: a
`settings` object takes what it does not set from the profile loaded when it is built, and
this plugin loads it in `pytest_configure`, before any test module is imported.
`--hypothesis-profile` and `--hypothesis-seed` given by hand win.
"""

from __future__ import annotations

import os
import random
import sys

import pytest
from hypothesis import HealthCheck, settings

__all__ = [
    "CI_PROFILE",
    "DEV_PROFILE",
    "SEED_ENV",
    "in_ci",
    "pytest_configure",
    "pytest_report_header",
    "pytest_terminal_summary",
]

CI_PROFILE = "ci"
DEV_PROFILE = "dev"
SEED_ENV = "PUEBLA_HYPOTHESIS_SEED"

settings.register_profile(
    CI_PROFILE,
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(DEV_PROFILE, print_blob=True)

_SEED = pytest.StashKey[int | None]()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(tryfirst=True)  # before hypothesis's own plugin reads --hypothesis-seed
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(CI_PROFILE if in_ci() else DEV_PROFILE)
    seed: int | None = None
    if not settings.get_profile(settings.get_current_profile_name()).derandomize:
        given = config.getoption("hypothesis_seed", None) or os.environ.get(SEED_ENV)
        seed = int(given) if given else random.SystemRandom().randrange(2**32)
        # Hypothesis's plugin turns the option into the seed of every test of the session.
        config.option.hypothesis_seed = str(seed)
    config.stash[_SEED] = seed


def _replay_hint(config: pytest.Config) -> str:
    seed = config.stash.get(_SEED, None)
    name = settings.get_current_profile_name()
    if seed is None:
        return f"hypothesis: profile {name!r}, derandomized (a rerun draws the same examples)"
    return (
        f"hypothesis: profile {name!r}, seed {seed}"
        f" (replay: --hypothesis-seed={seed} or {SEED_ENV}={seed})"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return _replay_hint(config)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    # Said again at the end, where a failure is read: the header has long scrolled away.
    if exitstatus != 0 and "hypothesis" in sys.modules:
        terminalreporter.write_line(_replay_hint(config))
