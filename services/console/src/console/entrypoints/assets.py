"""The console's own static files, served by itself, addressed by their content's digest
(`/static/console.css?v=1a2b3c4d`) so a browser keeps them a year and fetches a changed one
at once. The vendored htmx is checked against its recorded digest when the console starts."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
HTMX = "vendor/htmx-2.0.11.min.js"
# sha384 of npm htmx.org@2.0.11 dist/htmx.min.js (static/vendor/README.md).
HTMX_SHA384 = "2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def check_vendored() -> None:
    digest = base64.b64encode(hashlib.sha384((STATIC_DIR / HTMX).read_bytes()).digest()).decode()
    if digest != HTMX_SHA384:
        raise RuntimeError(f"{HTMX} is not the file recorded in static/vendor/README.md")


@cache
def url_of(name: str) -> str:
    path = (STATIC_DIR / name).resolve()
    if STATIC_DIR not in path.parents:
        raise ValueError(f"not a static file: {name}")
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={version}"
