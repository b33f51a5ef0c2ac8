"""Debian's Chromium for the browser tests: `python -m puebla_dev.devstack.browser` (what
`make test` runs first) installs it when it is missing.

Playwright's own browser download cannot work on these machines (it is not a package
registry), so Playwright drives the distribution's `chromium` through `executable_path`.
Installing needs root and apt-get; elsewhere the message says what to install.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from puebla_dev.devstack import packages

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Flags for a headless Chromium on a closed network: without the background-networking ones
# it keeps trying Google's hosts; as root it needs --no-sandbox.
LAUNCH_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class BrowserMissing(RuntimeError):
    pass


def chromium() -> Path | None:
    given = os.environ.get("PUEBLA_CHROMIUM")
    for candidate in ([given] if given else []) + list(CANDIDATES):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    found = shutil.which("chromium")
    return Path(found) if found else None


def launch_args() -> list[str]:
    return [*LAUNCH_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]


def ensure_chromium() -> Path:
    """The Chromium to drive; installed from Debian's packages when missing and possible."""
    found = chromium()
    if found is not None:
        return found
    if not packages.can_install():
        raise BrowserMissing(
            "the browser tests need Chromium: install Debian's package (as root: "
            "apt-get install chromium), or point PUEBLA_CHROMIUM at a Chromium binary"
        )
    try:
        packages.apt_install("chromium", recommends=True)
    except packages.PackageMissing as exc:
        raise BrowserMissing(str(exc)) from None
    found = chromium()
    if found is None:
        raise BrowserMissing("apt-get installed chromium, yet no chromium binary was found")
    return found


def main() -> int:
    try:
        path = ensure_chromium()
    except BrowserMissing as exc:
        sys.stderr.write(f"puebla: {exc}\n")
        return 1
    sys.stdout.write(f"chromium: {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
