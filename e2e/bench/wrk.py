"""The hand-over load from `wrk` (Debian's package, installed when missing): a well-known load
generator beside the project's own clients, so the figures do not rest on our client alone.

wrk drives a fixed duration, not a list of calls; the Lua script below makes it send the
calls in order, each once, and write a file once every one has been answered: the clock stops
when that file appears (polled every 5 ms) and wrk is stopped. A connection with nothing left
to send asks `/readyz` meanwhile (not counted; its answer has no `recorded`); those few
probes' latencies are in wrk's percentiles.
One wrk thread: at the rates measured here one core's thread is not the bound, and it keeps
one Lua counter.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from puebla_dev.devstack import packages

from .load import Call, LoadResult
from .stats import Measurement

SCRIPT = r"""
local calls = {}
local sent, answered, total = 0, 0, 0
local statuses = {}
local path_of = os.getenv("BENCH_WRK_CALLS")
for line in io.lines(path_of) do
  local tab = line:find("\t")
  calls[#calls + 1] = {line:sub(1, tab - 1), line:sub(tab + 1)}
end
total = #calls
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_WRK_AUTHORIZATION")

local verified = false
request = function()
  -- wrk asks for one request before any is sent, to check it parses: a probe, not a call.
  if not verified then
    verified = true
    return wrk.format("GET", "/readyz", nil, nil)
  end
  sent = sent + 1
  if sent > total then  -- every call sent: a cheap probe until wrk is stopped
    return wrk.format("GET", "/readyz", nil, nil)
  end
  local call = calls[sent]
  return wrk.format(nil, call[1], nil, call[2])
end

response = function(status, headers, body)
  if body:find('"recorded"', 1, true) == nil then
    return  -- a probe's answer (a refused hand-over too: it is never answered, so an error)
  end
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if answered == total then
    local out = io.open(os.getenv("BENCH_WRK_OUT"), "w")
    out:write(string.format('{"answered": %d, "statuses": {', answered))
    local first = true
    for code, n in pairs(statuses) do
      if not first then out:write(",") end
      out:write(string.format('"%d": %d', code, n))
      first = false
    end
    out:write("}}")
    out:close()
  end
end

done = function(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_WRK_LATENCY"), "w")
  out:write(string.format(
    '{"p50_us": %d, "p95_us": %d, "p99_us": %d, "duration_us": %d, "requests": %d}',
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.duration, summary.requests))
  out:close()
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        if not packages.can_install():
            raise packages.PackageMissing(
                "wrk is needed for --client wrk: as root, apt-get install wrk"
            )
        packages.apt_install("wrk")
        found = shutil.which("wrk")
    if found is None:
        raise packages.PackageMissing("apt-get installed wrk, yet its binary is missing")
    return found


async def drive_wrk(
    name: str, calls: list[Call], *, concurrency: int, headers: dict[str, str]
) -> LoadResult:
    """Every call once through wrk (POST with a JSON body, all on one host)."""
    wrk = ensure_wrk()
    base = urlsplit(calls[0].url)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        work = Path(tmp)
        (work / "calls.tsv").write_text(
            "".join(f"{urlsplit(c.url).path}\t{json.dumps(c.json)}\n" for c in calls)
        )
        (work / "script.lua").write_text(SCRIPT)
        env = {
            **os.environ,
            "BENCH_WRK_CALLS": str(work / "calls.tsv"),
            "BENCH_WRK_AUTHORIZATION": headers["Authorization"],
            "BENCH_WRK_OUT": str(work / "answered.json"),
            "BENCH_WRK_LATENCY": str(work / "latency.json"),
        }
        argv = [
            wrk,
            "-t1",
            f"-c{concurrency}",
            "-d120s",  # an upper bound: the script stops once every call is answered
            "--latency",
            "-s",
            str(work / "script.lua"),
            f"{base.scheme}://{base.netloc}",
        ]
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        meter = psutil.Process(proc.pid)
        cpu, wall = 0.0, 0.0
        watch = asyncio.create_task(proc.communicate())
        while not watch.done():
            try:
                times = meter.cpu_times()
                cpu = times.user + times.system
            except psutil.Error:
                pass
            if not wall and (work / "answered.json").exists():
                # Every call answered: the clock stops here, and wrk with it (SIGINT: it
                # prints its summary and runs `done`).
                wall = time.perf_counter() - started
                proc.send_signal(signal.SIGINT)
            await asyncio.wait({watch}, timeout=0.005)
        output = watch.result()[0]
        wall = wall or time.perf_counter() - started
        if proc.returncode != 0 or not (work / "latency.json").exists():
            raise RuntimeError(f"{name}: wrk failed ({proc.returncode}): {output.decode()[-2000:]}")
        latency = json.loads((work / "latency.json").read_text())
        answered: dict[str, Any] = (
            json.loads((work / "answered.json").read_text())
            if (work / "answered.json").exists()
            else {"answered": 0, "statuses": {}}
        )
    statuses = Counter({int(k): v for k, v in answered["statuses"].items()})
    seconds = wall
    errors = sum(n for code, n in statuses.items() if code >= 400)
    if answered["answered"] != len(calls):
        errors += len(calls) - answered["answered"]
    measurement = Reported(
        name,
        len(calls),
        seconds,
        [],
        errors,
        percentiles_ms={p: latency[f"p{p}_us"] / 1000 for p in (50, 95, 99)},
    )
    return LoadResult(measurement, cpu, statuses)


@dataclass
class Reported(Measurement):
    """A measurement whose percentiles the load generator computed (wrk keeps no latencies)."""

    percentiles_ms: dict[int, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        for p, value in self.percentiles_ms.items():
            out[f"p{p}_ms"] = round(value, 2)
        out["mean_ms"] = None
        return out
