"""Keycloak 26 from the official distribution zip, for the local stack and the test suite.

DEV-ONLY: plain HTTP on loopback, an H2 file database wiped on every start, a bootstrap
admin `admin`/`admin`, and the demo realm of `deploy/keycloak/`. Nothing here is fit for
a real deployment.

The zip comes from the local Maven repository (Maven Central is the only registry that
serves it; no Docker engine runs here). It is unzipped and `kc.sh build` is run once; every
start afterwards is `kc.sh start --optimized`, which skips Quarkus' slow re-augmentation.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from puebla_dev.devstack.processes import StackError, log_tail, pidfile, port_open, spawn, wait_for

VERSION = "26.7.3"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{VERSION}:zip"
REALM = "rcm"
NAME = "keycloak"
DEFAULT_PORT = 8080
DEFAULT_MANAGEMENT_PORT = 9000
DEFAULT_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
DEFAULT_MANAGEMENT_URL = f"http://127.0.0.1:{DEFAULT_MANAGEMENT_PORT}"
# Build-time options: changing any of them needs a new `kc.sh build` (the marker records them).
# `cache=local`: a single node; the default clustered cache would probe the network for peers.
BUILD_OPTIONS = ("--health-enabled=true", "--db=dev-file", "--cache=local")
# Keycloak 26 reads `cache` at start too, and `start` defaults it to `ispn`: without it here the
# build's `local` is ignored and JGroups listens on every interface (7800, 57800; security
# review 12). With it no cluster transport starts: every socket stays on loopback.
START_OPTIONS = ("--cache=local",)
# kc.sh sizes the heap from the machine's RAM (70 %); on a shared dev box that is far too much.
HEAP = "-Xms256m -Xmx768m"
# Keycloak 26 prefers a recent JDK; the machine has Temurin 25 beside the default Java 17.
PREFERRED_JAVA_HOMES = (Path("/usr/lib/jvm/temurin-25-jdk-amd64"),)
_MARKER = ".puebla-build"


def java_home() -> Path | None:
    """The JDK Keycloak runs on: Temurin 25 when present, else whatever JAVA_HOME/PATH give."""
    for candidate in PREFERRED_JAVA_HOMES:
        if (candidate / "bin" / "java").exists():
            return candidate
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    return None


def _java_env() -> dict[str, str]:
    home = java_home()
    if home is None:
        if shutil.which("java") is None:
            raise StackError("Java 17+ is needed for Keycloak: install a JDK (e.g. openjdk-17-jdk)")
        return {}
    return {"JAVA_HOME": str(home), "PATH": f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def _maven_repository() -> Path:
    return Path(os.environ.get("MAVEN_REPOSITORY", Path.home() / ".m2" / "repository"))


def distribution_zip() -> Path:
    """The distribution zip in the local Maven repository, fetched with `mvn` if missing."""
    path = (
        _maven_repository()
        / "org/keycloak/keycloak-quarkus-dist"
        / VERSION
        / f"keycloak-quarkus-dist-{VERSION}.zip"
    )
    if path.exists():
        return path
    if shutil.which("mvn") is None:
        raise StackError(
            f"Keycloak {VERSION} is not in {path.parent} and `mvn` is missing to fetch it: "
            "install Maven (apt-get install maven) or put the zip there"
        )
    env = {**os.environ, **_java_env()}
    result = subprocess.run(
        ["mvn", "-q", "dependency:get", f"-Dartifact={ARTIFACT}", "-Dtransitive=false"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not path.exists():
        last = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
        raise StackError(f"`mvn dependency:get {ARTIFACT}` failed: {last[0]}")
    return path


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two test sessions (or `make run` and pytest) may prepare the distribution at once.
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unzip(archive: Path, target_parent: Path) -> None:
    """Extracts keeping the Unix permission bits (zipfile drops them; kc.sh must be executable)."""
    staging = target_parent / f".unzip-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            extracted = Path(zf.extract(info, staging))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                extracted.chmod(mode)
    # Renamed into place only when complete, so an interrupted unzip is never mistaken for one.
    (staging / f"keycloak-{VERSION}").rename(target_parent / f"keycloak-{VERSION}")
    shutil.rmtree(staging, ignore_errors=True)


def ensure_distribution(var_dir: Path) -> Path:
    """Unzips and builds Keycloak under `var_dir/keycloak` once; returns its home directory."""
    parent = var_dir / "keycloak"
    home = parent / f"keycloak-{VERSION}"
    marker = home / _MARKER
    wanted = " ".join(BUILD_OPTIONS)
    with _locked(parent):
        if marker.exists() and marker.read_text().strip() == wanted:
            return home
        if not (home / "bin" / "kc.sh").exists():
            shutil.rmtree(home, ignore_errors=True)
            _unzip(distribution_zip(), parent)
        result = subprocess.run(
            [str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
            env={**os.environ, **_java_env(), "JAVA_OPTS_KC_HEAP": HEAP},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise StackError(f"`kc.sh build` failed (exit {result.returncode}):\n{tail}")
        marker.write_text(wanted + "\n")
    return home


def start(
    var_dir: Path,
    realm_dir: Path,
    *,
    port: int = DEFAULT_PORT,
    management_port: int = DEFAULT_MANAGEMENT_PORT,
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Starts Keycloak in its own process group with the realm files of `realm_dir` imported.

    The H2 database is wiped first: `--import-realm` skips a realm that already exists, so an
    edited realm file would otherwise be silently ignored. Does not wait; see `wait_ready`.
    """
    home = ensure_distribution(var_dir)
    realms = sorted(realm_dir.glob("*.json"))
    if not realms:
        raise StackError(f"no realm file (*.json) in {realm_dir}")
    data = home / "data"
    shutil.rmtree(data / "h2", ignore_errors=True)
    import_dir = data / "import"
    shutil.rmtree(import_dir, ignore_errors=True)
    import_dir.mkdir(parents=True)
    for realm in realms:
        shutil.copy2(realm, import_dir / realm.name)
    base_url = f"http://127.0.0.1:{port}"
    argv = [
        str(home / "bin" / "kc.sh"),
        "start",
        "--optimized",
        "--http-enabled=true",
        "--http-host=127.0.0.1",
        f"--http-port={port}",
        # A fixed hostname keeps `iss` identical whatever host name a client used.
        f"--hostname={base_url}",
        # Health lives on the management interface; keep it on loopback too.
        "--http-management-host=127.0.0.1",
        f"--http-management-port={management_port}",
        "--import-realm",
        *START_OPTIONS,
    ]
    env = {
        **_java_env(),
        "JAVA_OPTS_KC_HEAP": HEAP,
        # DEV-ONLY bootstrap admin of the master realm.
        "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": "admin",
    }
    return spawn(
        NAME,
        argv,
        log_path=log_path or var_dir / "logs" / "keycloak.log",
        env=env,
        cwd=home,
    )


def _ok(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def discovery_url(base_url: str = DEFAULT_BASE_URL, realm: str = REALM) -> str:
    return f"{base_url}/realms/{realm}/.well-known/openid-configuration"


def is_running(base_url: str = DEFAULT_BASE_URL, realm: str = REALM) -> bool:
    """True when the realm answers its discovery document (whoever started Keycloak)."""
    return _ok(discovery_url(base_url, realm))


# How long a program on Keycloak's port may take to answer as Keycloak before it is taken
# for another program: a Keycloak busy hashing passwords for a test suite, in a garbage
# collection pause, or still starting (another `make up`) answers in seconds, not in 2 s.
ANSWER_PATIENCE = 60.0


def reusable(
    base_url: str = DEFAULT_BASE_URL,
    port: int = DEFAULT_PORT,
    *,
    realm: str = REALM,
    patience: float = ANSWER_PATIENCE,
) -> bool:
    """True when a Keycloak with the realm runs at `base_url` (whoever started it); False when
    nothing listens on `port` (so one may be started). Raises `StackError` only when the port
    is held by something that does not answer as the realm within `patience` seconds.

    A single quick probe is not enough to tell "another program" from "a slow Keycloak": on a
    loaded machine the discovery document can take longer than the probe, and the stack then
    refused to start beside a Keycloak that was there all along."""
    url = discovery_url(base_url, realm)
    deadline = time.monotonic() + patience
    answered = False

    def settled() -> bool:
        nonlocal answered
        answered = _ok(url, timeout=max(2.0, min(10.0, deadline - time.monotonic())))
        return answered or not port_open(port)

    try:
        wait_for(settled, timeout=patience, what="Keycloak", interval=0.5)
    except StackError:
        raise StackError(
            f"port {port} is taken by a program that does not answer as Keycloak with realm"
            f" {realm} (waited {patience:.0f} s); stop it first"
        ) from None
    return answered


def wait_ready(
    base_url: str = DEFAULT_BASE_URL,
    management_url: str = DEFAULT_MANAGEMENT_URL,
    timeout: float = 180.0,
    *,
    realm: str = REALM,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> None:
    """Polls health then the realm; raises `StackError` with the log tail if it never answers.

    Pass `proc` to fail fast when the process dies instead of waiting out the timeout.
    """
    deadline = time.monotonic() + timeout
    stages = [
        ("health", f"{management_url}/health/ready"),
        ("realm", discovery_url(base_url, realm)),
    ]
    for what, url in stages:
        while not _ok(url):
            if proc is not None and proc.poll() is not None:
                raise StackError(
                    f"Keycloak exited with code {proc.returncode} before {what} was ready; "
                    f"last log lines:\n{_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise StackError(
                    f"Keycloak {what} ({url}) not ready within {timeout:.0f} s; "
                    f"last log lines:\n{_tail(log_path)}"
                )
            time.sleep(0.25)


def _tail(log_path: Path | None) -> str:
    if log_path is None:
        from puebla_dev.devstack.processes import var_dir

        log_path = var_dir() / "logs" / "keycloak.log"
    return log_tail(log_path, 25)


def stop(proc: subprocess.Popen[bytes], *, timeout: float = 30.0) -> None:
    """Stops a Keycloak this process started: its whole process group, SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # Forget the pid file only if it still names our process (someone may have replaced it).
    path = pidfile(NAME)
    with contextlib.suppress(OSError, ValueError):
        if int(path.read_text().strip()) == proc.pid:
            path.unlink()
