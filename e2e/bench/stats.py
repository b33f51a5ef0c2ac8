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


def write_dashboard(out_dir: Path, payload: dict[str, Any]) -> Path | None:
    """One PNG, a panel per benchmark: hand-over throughput and latency (Puebla vs bare),
    propagation against raw JetStream, and each scale query's p50/p95 against 50 ms."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    panels = [k for k in ("handover", "propagation", "scale") if k in payload]
    if not panels:
        return None
    widths = {"handover": 1.8, "propagation": 0.8, "scale": 2.2}
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(6 * sum(widths[p] for p in panels), 6.5),
        gridspec_kw={"width_ratios": [widths[p] for p in panels]},
        squeeze=False,
    )
    loads = payload.get("load_average", {})
    for ax, panel in zip(axes[0], panels, strict=True):
        if panel == "handover":
            h = payload["handover"]
            keys = list(h)
            labels = [k.replace("_raw", "\nraw client").replace("_", "\n") for k in keys]
            tput = [h[k]["measurement"]["throughput_per_s"] for k in keys]
            colors = ["#999999" if "_bare" in k else "#1f77b4" for k in keys]
            ax.bar(labels, tput, color=colors)
            for i, k in enumerate(keys):
                m = h[k]["measurement"]
                ax.annotate(
                    f"{m['throughput_per_s']:.0f}/s\np50 {m['p50_ms']:.0f} ms\n"
                    f"p99 {m['p99_ms']:.0f} ms",
                    (i, tput[i]),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
            ax.tick_params(axis="x", labelsize=8)
            ratio = next(
                (t["value"] for t in payload.get("targets", []) if t["name"].startswith("1.")),
                None,
            )
            ax.set_title(f"1. hand-overs, 50 clients (httpx ratio {ratio}, target ≥ 0.5)")
            ax.set_ylabel("requests / s")
            ax.margins(y=0.25)
        elif panel == "propagation":
            p = payload["propagation"]
            names = ["raw JetStream", "submit → notice"]
            p50 = [p["baseline"]["p50_ms"], p["subject"]["p50_ms"]]
            p95 = [p["baseline"]["p95_ms"], p["subject"]["p95_ms"]]
            x = range(len(names))
            ax.bar([i - 0.2 for i in x], p50, width=0.4, label="p50")
            ax.bar([i + 0.2 for i in x], p95, width=0.4, label="p95")
            ax.set_xticks(list(x), names)
            ax.set_yscale("log")
            ax.set_ylabel("ms (log)")
            ratio = next(
                (t["value"] for t in payload.get("targets", []) if t["name"].startswith("2.")),
                None,
            )
            ax.set_title(f"2. propagation ({ratio}x raw, target ≤ 5x)")
            ax.legend()
        else:
            rows = payload["scale"]
            names = [r["measurement"]["name"] for r in rows]
            p50 = [r["measurement"]["p50_ms"] for r in rows]
            p95 = [r["measurement"]["p95_ms"] for r in rows]
            y = range(len(names))
            ax.barh([i + 0.2 for i in y], p50, height=0.4, label="p50")
            ax.barh([i - 0.2 for i in y], p95, height=0.4, label="p95")
            ax.axvline(50, color="red", linestyle="--", label="50 ms target")
            ax.set_yticks(list(y), names, fontsize=8)
            ax.invert_yaxis()
            ax.set_xlabel("ms")
            ax.set_title("3. lists at scale (1M returnees, 1M verifications, 100k cases)")
            ax.legend(fontsize=8)
    fig.suptitle(
        f"Puebla benchmarks, same machine, same run — {payload.get('started_at', '')[:16]}"
        f" — load average at start {loads.get('start')}",
        fontsize=10,
    )
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "bench.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
