"""The pytest plugin every suite loads (`-p puebla_dev.testing.plugin` in pyproject.toml).

One stack per test session: PostgreSQL, NATS and Keycloak are reused when they already run
(e.g. under `make run`) and started otherwise, then stopped at the end if this session
started them. Hypothesis runs under one profile for the whole repository (`ci` when `CI`
is set, else `dev` with a printed seed): see `puebla_dev.testing.replay`.

Tests run as `PUEBLA_ENV=dev` (set here, explicitly, for the in-process apps and every process
a test starts): child_protection refuses its public dev keys anywhere else.
"""

import os

os.environ["PUEBLA_ENV"] = "dev"

from puebla_dev.testing.browser import *  # noqa: F403
from puebla_dev.testing.infra import *  # noqa: F403
from puebla_dev.testing.keycloak import *  # noqa: F403
from puebla_dev.testing.replay import *  # noqa: F403
from puebla_dev.testing.service import *  # noqa: F403
