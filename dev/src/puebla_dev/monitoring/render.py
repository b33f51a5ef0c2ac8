"""A dashboard of deploy/k8s/monitoring/dashboards drawn from what a Prometheus recorded:

    python -m puebla_dev.monitoring.render consular [--minutes 30] [--prometheus URL]

writes var/screenshots/monitoring/<dashboard>.png. Grafana itself is not used here (its
licence keeps it out of this project's tool chain; compose runs it as a separate image): each
panel's queries are asked of Prometheus's query_range API, exactly as the dashboard JSON
writes them, and drawn in the dashboard's grid. A panel with no data says so, which is how a
query that names nothing shows up.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.dates import DateFormatter

from puebla_dev.devstack.processes import var_dir
from puebla_dev.monitoring.generate import OUT

LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def query_range(prometheus: str, expr: str, start: float, end: float) -> list[dict[str, Any]]:
    step = max(5.0, (end - start) / 240)
    answer = httpx.get(
        f"{prometheus}/api/v1/query_range",
        params={"query": expr, "start": start, "end": end, "step": step},
        timeout=30,
    )
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return result


def legend(template: str, labels: dict[str, str]) -> str:
    return LEGEND.sub(lambda m: labels.get(m.group(1), ""), template) or str(labels)


def render(name: str, prometheus: str, minutes: float, out: Path) -> Path:
    from datetime import UTC, datetime

    board = json.loads((OUT / f"{name}.json").read_text())
    panels = board["panels"]
    rows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(16, 3.2 * rows), squeeze=False)
    end = time.time()
    start = end - minutes * 60
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for panel, ax in zip(panels, axes.flat, strict=False):
        drawn = 0
        for target in panel["targets"]:
            for series in query_range(prometheus, target["expr"], start, end):
                times = [datetime.fromtimestamp(float(t), UTC) for t, _ in series["values"]]
                values = [float(v) for _, v in series["values"]]
                label = legend(target.get("legendFormat", ""), series["metric"])
                ax.plot(times, values, label=label, linewidth=1.4)
                drawn += 1
        ax.set_title(panel["title"], fontsize=10, loc="left")
        ax.xaxis.set_major_formatter(DateFormatter("%H:%M:%S"))  # type: ignore[no-untyped-call]
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(fontsize=7, loc="upper left", ncol=2 if drawn > 4 else 1)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_xlim(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
    fig.suptitle(f"{board['title']} — last {minutes:g} min (UTC), from {prometheus}", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (3.2 * rows)))  # room for the title
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m puebla_dev.monitoring.render")
    parser.add_argument("dashboard", help="repatriation, consular, event-flow, ...")
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        path = render(
            args.dashboard, args.prometheus, args.minutes, var_dir() / "screenshots" / "monitoring"
        )
    except (httpx.HTTPError, FileNotFoundError) as exc:
        sys.stderr.write(f"puebla: {exc}\n")
        return 1
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
