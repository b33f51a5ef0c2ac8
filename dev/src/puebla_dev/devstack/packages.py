"""Debian packages the tests need and a fresh machine lacks (Chromium, Prometheus's tools),
installed with apt-get when missing. Needs root and apt-get; elsewhere the caller's message
says what to install by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# While installing, `invoke-rc.d` asks this script whether it may start a package's daemon:
# 101 is "no". Debian's prometheus would otherwise start on 0.0.0.0:9090 at once.
POLICY = Path("/usr/sbin/policy-rc.d")
_NO_DAEMONS = "#!/bin/sh\n# puebla_dev: no daemon starts while packages are installed\nexit 101\n"


class PackageMissing(RuntimeError):
    pass


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(*packages: str, recommends: bool = False) -> None:
    """Installs `packages` (their recommended extras only if asked: Chromium's fonts; no
    daemon started); raises PackageMissing with apt-get's own words when it fails."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    ours = not POLICY.exists()
    if ours:
        POLICY.write_text(_NO_DAEMONS)
        POLICY.chmod(0o755)
    try:
        for command in (
            ["apt-get", "update", "-qq"],
            [
                "apt-get",
                "install",
                "-y",
                "-qq",
                *([] if recommends else ["--no-install-recommends"]),
                *packages,
            ],
        ):
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise PackageMissing(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    finally:
        if ours:
            POLICY.unlink(missing_ok=True)
