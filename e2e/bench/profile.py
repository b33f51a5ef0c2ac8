"""Sampling profiles with py-spy (attached by pid, `--nonblocking`: the target never pauses).

Samples are on-CPU stacks only (py-spy leaves idle out unless asked), so the shares below are
shares of the process's CPU time. Coroutine frames appear in the stacks when their task is the
one running, so a hot path's inclusive share is the CPU spent under it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .procs import LOG_DIR

# Hot paths of the hand-over request and of the relay: label → a substring of a frame.
HOT_PATHS: list[tuple[str, tuple[str, ...]]] = [
    ("JWT verification (PyJWT, RSA)", ("TokenVerifier.verify",)),
    (
        "handler: record_handovers (lock, load, domain, flush, commit)",
        ("record_handovers (repatriation/service_layer",),
    ),
    ("  load manifest FOR UPDATE + its returnees", ("get_for_update",)),
    ("  domain: Manifest.record_handovers", ("Manifest.record_handovers",)),
    ("  flush: UPDATE manifest + returnees", ("SqlManifestRepository.flush",)),
    ("  outbox: envelopes + INSERT + NOTIFY", ("_write_outbox",)),
    ("  audit: hash chain (advisory lock, last hash, INSERT)", ("append (puebla/db/audit",)),
    ("  integration: domain → contract events/audit", ("repatriation/adapters/integration",)),
    (
        "read-back: handover_record query + shaping",
        ("handover_record (repatriation/service_layer",),
    ),
    ("response: pydantic validate + dump", ("HandoverRecordRead", "model_validate", "model_dump")),
    ("FastAPI: path/body validation, dependencies", ("solve_dependencies",)),
    ("FastAPI: response validation + serialization", ("serialize_response", "jsonable_encoder")),
    ("structlog / logging", ("structlog", "logging/__init__")),
    ("SQLAlchemy, incl. the asyncpg calls under it", ("sqlalchemy/",)),
    ("asyncpg driver (protocol, encode/decode)", ("asyncpg/",)),
    ("JSON encode/decode", ("json/encoder", "json/decoder", "json/__init__", "orjson")),
    ("relay: publish_pending", ("OutboxRelay.publish_pending",)),
    ("nats client", ("nats/",)),
]


def py_spy() -> str:
    return str(Path(sys.executable).parent / "py-spy")


@dataclass
class Recording:
    pid: int
    label: str
    out: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def record(pid: int, label: str, *, rate: int = 250) -> Recording:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    out = LOG_DIR.parent / f"profile-{label}.txt"
    out.unlink(missing_ok=True)
    log = open(LOG_DIR / f"py-spy-{label}.log", "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--full-filenames",
            "--duration",
            "900",
            "--subprocesses",  # uvicorn --workers: the supervisor's children are the servers
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return Recording(pid, label, out, proc)


def _stacks(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        stacks.append((head.split(";"), int(count)))
    return stacks


def _path(frame: str) -> str:
    """`Func (/…/site-packages/pkg/mod.py:12)` → `pkg/mod.py`; project files from `src/`."""
    _, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            return path.rsplit(marker, 1)[1]
    return path


def _package(frame: str) -> str:
    """The distribution a frame's code belongs to (the project's own code marked as such)."""
    path = _path(frame)
    if path.startswith("<frozen"):
        return "python runtime"
    top = path.split("/", 1)[0] if "/" in path else path.removesuffix(".py")
    if top in ("repatriation", "puebla", "consular", "child_protection"):
        return f"{top} (project)"
    if top == "opentelemetry":
        return "opentelemetry"
    return top


# Where a thread waits, not works: py-spy's `--nonblocking` mode counts some of these as
# active (an anyio worker thread parked on its queue, the selector of an idle loop).
IDLE = ("Condition.wait (threading.py)", "EpollSelector.select (selectors.py)")

# Libraries by the layer they belong to; a sample goes to the deepest frame of a known layer
# (so a stdlib helper called by SQLAlchemy counts as SQLAlchemy).
LAYERS = {
    "asyncpg": "asyncpg (driver, protocol)",
    "sqlalchemy": "SQLAlchemy (core, ORM session, async adaption)",
    "opentelemetry": "OpenTelemetry (spans per request and per statement)",
    "fastapi": "FastAPI/Starlette (routing, validation, middleware)",
    "starlette": "FastAPI/Starlette (routing, validation, middleware)",
    "pydantic": "pydantic (models, validation, dumps)",
    "pydantic_core": "pydantic (models, validation, dumps)",
    "uvicorn": "uvicorn/httptools (HTTP)",
    "httptools": "uvicorn/httptools (HTTP)",
    "jwt": "JWT (PyJWT, cryptography)",
    "cryptography": "JWT (PyJWT, cryptography)",
    "structlog": "logging (structlog)",
    "logging": "logging (structlog)",
    "nats": "nats client",
    "json": "json (stdlib)",
    "repatriation (project)": "project code (puebla, repatriation)",
    "puebla (project)": "project code (puebla, repatriation)",
    "consular (project)": "project code (puebla, consular)",
    "child_protection (project)": "project code (puebla, child_protection)",
}


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        layer = LAYERS.get(_package(frame))
        if layer is not None:
            return layer
    return "event loop and stdlib (asyncio, uvloop, threading)"


def summarize(path: Path, *, top: int = 12) -> dict[str, Any]:
    """Shares of the on-CPU samples: by layer (the deepest frame of a known library), by
    function (the innermost frame), and the inclusive share of each hot path."""
    if not path.exists():
        return {"samples": 0}
    every = _stacks(path)
    stacks = []
    idle = 0
    for frames, n in every:
        innermost = f"{frames[-1].split(' (')[0]} ({_path(frames[-1]).rsplit('/', 1)[-1]})"
        if innermost in IDLE:
            idle += n
        else:
            stacks.append((frames, n))
    total = sum(n for _, n in stacks)
    if not total:
        return {"samples": 0}
    layers: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for frames, n in stacks:
        layers[_layer(frames)] += n
        functions[f"{frames[-1].split(' (')[0]} ({_path(frames[-1])})"] += n
        joined = ";".join(f"{f.split(' (')[0]} ({_path(f)})" for f in frames)
        for label, needles in HOT_PATHS:
            if any(needle in joined for needle in needles):
                inclusive[label] += n

    def share(count: int) -> float:
        return round(100 * count / total, 1)

    return {
        "samples": total,
        "idle_samples_left_out": idle,
        "self_by_layer_pct": {k: share(v) for k, v in layers.most_common()},
        "self_by_function_pct": {k: share(v) for k, v in functions.most_common(top)},
        "hot_paths_inclusive_pct": {
            label: share(inclusive[label]) for label, _ in HOT_PATHS if inclusive[label]
        },
    }
