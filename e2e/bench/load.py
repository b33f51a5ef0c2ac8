"""Closed-loop load: N clients (httpx.AsyncClient, one event loop per client process), each
sending its next request as soon as the previous one is answered, until the work list is done.

The client's own CPU time is measured, so a run can tell whether the load generator, rather
than the server, was the limit (the machine has 2 cores; client and server share them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import psutil

from .stats import Measurement


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    params: dict[str, Any] | None = None


@dataclass
class LoadResult:
    measurement: Measurement
    client_cpu_s: float
    statuses: Counter[int] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    bytes_received: int = 0

    @property
    def client_cpu_share(self) -> float:
        """Client CPU seconds per wall second (1.0 = one core saturated)."""
        return self.client_cpu_s / self.measurement.seconds if self.measurement.seconds else 0.0


async def drive(
    name: str,
    calls: Sequence[Call],
    *,
    concurrency: int,
    headers: dict[str, str] | None = None,
    expect: int = 200,
    timeout: float = 60.0,
) -> LoadResult:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    received = 0
    next_index = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers or {}) as http:

        async def client() -> None:
            nonlocal next_index, received
            while next_index < len(calls):
                call = calls[next_index]
                next_index += 1
                t0 = time.perf_counter()
                try:
                    response = await http.request(
                        call.method, call.url, json=call.json, params=call.params
                    )
                except httpx.HTTPError as exc:
                    statuses[0] += 1
                    if len(errors) < 5:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[response.status_code] += 1
                received += len(response.content)
                if response.status_code != expect and len(errors) < 5:
                    errors.append(f"{response.status_code} {call.url}: {response.text[:300]}")

        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    failed = sum(n for status, n in statuses.items() if status != expect)
    measurement = Measurement(name, len(calls) - failed, elapsed, latencies, errors=failed)
    return LoadResult(measurement, cpu, statuses, errors, received)


async def drive_raw(
    name: str,
    calls: Sequence[Call],
    *,
    concurrency: int,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> LoadResult:
    """The same closed loop with a minimal HTTP/1.1 client: requests encoded beforehand,
    keep-alive connections on asyncio streams, responses read by Content-Length. It costs a
    fraction of httpx's CPU per request, so on a 2-core machine more of the CPU is left to
    the server under test (httpx is the default; this one shows what the client hid)."""
    first = urlsplit(calls[0].url)
    host, port = first.hostname or "127.0.0.1", first.port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())

    def encode(call: Call) -> bytes:
        url = urlsplit(call.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        if call.params:
            target += ("&" if url.query else "?") + urlencode(call.params)
        body = json.dumps(call.json).encode() if call.json is not None else b""
        head = (
            f"{call.method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    encoded = [encode(c) for c in calls]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    received = 0
    next_index = 0

    async def client() -> None:
        nonlocal next_index, received
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(encoded):
                request = encoded[next_index]
                next_index += 1
                t0 = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ", 2)[1])
                length = 0
                for line in lines[1:]:
                    key, _, value = line.partition(":")
                    if key.lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] += 1
                received += len(body)
                if status != expect and len(errors) < 5:
                    errors.append(f"{status}: {body[:300]!r}")
        finally:
            writer.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    failed = sum(n for status, n in statuses.items() if status != expect)
    measurement = Measurement(name, len(calls) - failed, elapsed, latencies, errors=failed)
    return LoadResult(measurement, cpu, statuses, errors, received)


def drive_in_process(args: tuple[str, list[Call], int, dict[str, str], str]) -> tuple[Any, ...]:
    """One client process's closed loop (for a ProcessPoolExecutor): latencies, errors, wall
    seconds, client CPU seconds, statuses."""
    name, calls, concurrency, headers, client = args
    how = drive_raw if client == "raw" else drive
    result = asyncio.run(how(name, calls, concurrency=concurrency, headers=headers))
    m = result.measurement
    return (m.latencies_ms, m.errors, m.seconds, result.client_cpu_s, dict(result.statuses))


def drive_processes(
    name: str,
    calls: Sequence[Call],
    *,
    concurrency: int,
    processes: int,
    headers: dict[str, str] | None = None,
    client: str = "httpx",
) -> LoadResult:
    """The same load from several client processes (calls dealt round-robin, clients split);
    `client` is "httpx" (drive) or "raw" (drive_raw)."""
    jobs = [
        (name, list(calls[k::processes]), max(1, concurrency // processes), headers or {}, client)
        for k in range(processes)
    ]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        parts = list(pool.map(drive_in_process, jobs))
    elapsed = time.perf_counter() - t0
    latencies = [x for part in parts for x in part[0]]
    errors = sum(part[1] for part in parts)
    statuses: Counter[int] = Counter()
    for part in parts:
        statuses.update(part[4])
    wall = max(part[2] for part in parts)  # each process's own run, without pool start-up
    cpu = sum(part[3] for part in parts)
    del elapsed
    return LoadResult(
        Measurement(name, len(calls) - errors, wall, latencies, errors), cpu, statuses
    )


class CpuMeter:
    """CPU seconds used by some processes and their children (uvicorn --workers) between
    `start()` and `stop()`."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.procs = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                parent = psutil.Process(pid)
                self.procs += [parent, *parent.children(recursive=True)]
        self._before: dict[int, float] = {}
        self.seconds = 0.0

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
            return float(t.user + t.system)
        except psutil.Error:
            return 0.0

    @classmethod
    def since_birth(cls, pids: Sequence[int]) -> float:
        """CPU seconds these processes (born during a run) used since they started."""
        return sum(cls._cpu(p) for p in cls(pids).procs)

    def start(self) -> CpuMeter:
        self._before = {p.pid: self._cpu(p) for p in self.procs}
        return self

    def stop(self) -> float:
        self.seconds = sum(
            max(0.0, self._cpu(p) - self._before.get(p.pid, 0.0)) for p in self.procs
        )
        return self.seconds
