"""`make pytest`: every test, as two pytest sessions side by side on one stack.

Run one after the other, the suites left a core idle about half the time: the browser
journeys and the running system wait on Chromium, Keycloak and the services while the
in-process suites wait on PostgreSQL. So the infrastructure (Keycloak, PostgreSQL, NATS, the
mail sink) is started here once, whatever is not already running, and two sessions share it
(Keycloak's boot overlaps the tests that need none: the sessions wait for it themselves):

- `stack`: the e2e tests on the running system and the console in Chromium (they start the
  services and the console, as one session does);
- `in-process`: the library's and the services' own tests (their own `<name>_test`
  databases), and the fault tests, which bring up a second stack of their own.

Neither session touches what the other's tests use: unique ids in shared databases, the
in-process apps on databases of their own, the fault stack on its own ports and `var/`. Each
session's output goes to `var/test-sessions/<name>.log` and is printed whole when it ends;
the exit status is the first failing session's. Arguments are passed to both sessions
(`make pytest ARGS="-x"`, say); `pytest` on its own still runs everything as one session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from puebla_dev.devstack import stack
from puebla_dev.devstack.processes import var_dir
from puebla_dev.testing.keycloak import STARTED_FOR_SESSIONS

FAULTS = "e2e/tests/test_faults.py"


@dataclass(frozen=True)
class Session:
    name: str
    arguments: tuple[str, ...]  # what it runs, as pytest arguments


SESSIONS = (
    Session("stack", ("-q", "e2e/tests", f"--ignore={FAULTS}")),
    Session("in-process", ("-q", "shared/tests", "services", FAULTS)),
)


def _start(session: Session, extra: list[str], logs: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = logs / f"{session.name}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", *session.arguments, *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Keycloak is this run's (started, or reused): each session waits for it.
            env={**os.environ, STARTED_FOR_SESSIONS: "1"},
        )
    return proc, log


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(
    extra: list[str],
    *,
    sessions: tuple[Session, ...] = SESSIONS,
    start: Callable[[], list[str]] = lambda: stack.start_infrastructure(wait_for_keycloak=False),
    stop: Callable[[list[str]], object] = stack.stop,
) -> int:
    """`start` brings up what the sessions share and returns what it started; `stop` is given
    that list at the end, whatever happened."""
    logs = var_dir() / "test-sessions"
    logs.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    _say("tests: starting what is not running (Keycloak, PostgreSQL, NATS, mail) ...")
    started = start()
    running: list[tuple[Session, subprocess.Popen[bytes], Path]] = []
    codes: dict[str, int] = {}
    try:
        running = [(s, *_start(s, extra, logs)) for s in sessions]
        names = ", ".join(f"{s.name} ({' '.join(s.arguments)})" for s in sessions)
        _say(f"tests: two sessions side by side: {names}; logs in {logs}")
        with ThreadPoolExecutor(len(running)) as pool:
            ends = {pool.submit(proc.wait): (session, log) for session, proc, log in running}
            for end in as_completed(ends):
                session, log = ends[end]
                codes[session.name] = end.result()
                took = time.monotonic() - began
                _say(f"\n===== session {session.name}: exit {codes[session.name]}, {took:.0f} s")
                _say(log.read_text(errors="replace"))
    finally:
        for _, proc, _ in running:
            if proc.poll() is None:  # interrupted: no session outlives the run
                proc.terminate()
                proc.wait()
        stop(started)
    failed = [name for name, code in codes.items() if code != 0]
    summary = ", ".join(f"{name} exit {code}" for name, code in codes.items())
    _say(f"tests: {summary}; {time.monotonic() - began:.0f} s in all")
    return codes[failed[0]] if failed else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
