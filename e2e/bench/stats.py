"""Latency and throughput figures, and the report: table, JSON and a PNG chart."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Measurement:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    errors: int = 0

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "name": self.name,
            "count": self.count,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(percentile(lat, 50), 2),
            "p95_ms": round(percentile(lat, 95), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
        }


@dataclass
class Comparison:
    title: str
    subject: Measurement
    baseline: Measurement
    ratio: float
    ratio_meaning: str
    target: str
    met: bool

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["subject"] = self.subject.summary()
        out["baseline"] = self.baseline.summary()
        return out


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = ["name", "count", "errors", "throughput_per_s", "p50_ms", "p95_ms", "p99_ms"]
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in cols))


def write_report(out_dir: Path, payload: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "bench.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def write_chart(out_dir: Path, measurements: list[Measurement]) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = [m.name for m in measurements]
    p50 = [percentile(m.latencies_ms, 50) for m in measurements]
    p95 = [percentile(m.latencies_ms, 95) for m in measurements]
    p99 = [percentile(m.latencies_ms, 99) for m in measurements]
    fig, ax = plt.subplots(figsize=(10, 5))
    x = range(len(names))
    ax.bar([i - 0.25 for i in x], p50, width=0.25, label="p50")
    ax.bar(list(x), p95, width=0.25, label="p95")
    ax.bar([i + 0.25 for i in x], p99, width=0.25, label="p99")
    ax.set_xticks(list(x), names, rotation=20, ha="right")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Puebla benchmarks (same machine, same run)")
    ax.legend()
    fig.tight_layout()
    path = out_dir / "bench.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
