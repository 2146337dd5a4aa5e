"""How the machine's speed moved over a run, and which families of cases follow it.

The canary (:mod:`bench.canary`) is timed beside every round of every session. Laid
out over the run's sessions in the order they ran, its readings show whether the
machine kept one speed; the families' fits (:mod:`reports.speed`) show whose times
followed it, and how much of their process-to-process variance the adjustment took
away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.markdown import table
from reports.speed import SpeedFit
from reports.stats import DEFAULT_MIN_EFFECT


def _when(text: object) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def timeline(frame: pd.DataFrame, manifest: Mapping[str, Any] | None) -> pd.DataFrame:
    """Every canary reading of the run with an approximate time (seconds from the run's start).

    A session's readings are spread evenly over its duration, in the order its cases
    ran. Without the manifest's session times, readings are numbered instead.
    """
    sessions: dict[tuple[str, int], tuple[float, float]] = {}
    models = (manifest or {}).get("backends")
    if isinstance(models, Mapping):
        for name, entry in models.items():
            for s in entry.get("sessions", []) if isinstance(entry, Mapping) else []:
                start = _when(s.get("started_at")) if isinstance(s, Mapping) else None
                if start is not None and isinstance(s.get("duration_s"), (int, float)):
                    sessions[(str(name), int(s.get("process") or 0))] = (start, float(s["duration_s"]))
    per_session: dict[tuple[str, int], list[float]] = {}
    for row in frame.itertuples():
        canaries = getattr(row, "process_canaries", None)
        if not isinstance(canaries, list):
            continue
        for process, readings in enumerate(canaries):
            per_session.setdefault((str(row.backend), process), []).extend(float(c) for c in readings)
    records = []
    origin = min((start for start, _ in sessions.values()), default=0.0)
    counter = 0.0
    for key, readings in per_session.items():
        if not readings:
            continue
        start, duration = sessions.get(key, (math.nan, math.nan))
        for i, value in enumerate(readings):
            if math.isfinite(start):
                at = start - origin + duration * (i + 0.5) / len(readings)
            else:
                at, counter = counter, counter + 1
            records.append({"at": at, "canary_s": value, "backend": key[0], "process": key[1]})
    return pd.DataFrame.from_records(records, columns=["at", "canary_s", "backend", "process"])


def speed_figure(readings: pd.DataFrame) -> Figure | None:
    """The canary's time over the run, relative to its median: how the machine's speed moved."""
    if readings.empty:
        return None
    ordered = readings.sort_values("at")
    relative = ordered["canary_s"] / ordered["canary_s"].median()
    fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
    ax.plot(ordered["at"], relative, ".", markersize=2, alpha=0.5, color="#4c72b0")
    rolling = relative.rolling(25, center=True, min_periods=5).median()
    ax.plot(ordered["at"], rolling, "-", linewidth=1.5, color="#dd8452", label="rolling median of 25")
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", label="the run's median")
    ax.set_title("Machine speed over the run: canary time / its median (above 1: slower)")
    ax.set_xlabel("seconds since the first session started")
    ax.set_ylabel("canary time, relative")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def speed_summary(readings: pd.DataFrame) -> dict[str, float]:
    """The canary's spread over the run: log-sd, and its 5th-95th percentiles relative to the median."""
    if readings.empty:
        return {}
    logs = np.log(readings["canary_s"].to_numpy(dtype=float))
    median = float(np.median(logs))
    p5, p95 = np.percentile(logs - median, [5, 95])
    return {"sd": float(logs.std(ddof=1)) if logs.size > 1 else 0.0, "p5": math.exp(p5), "p95": math.exp(p95)}


def speed_markdown(readings: pd.DataFrame, fits: Mapping[str, SpeedFit], chart: str | None) -> list[str]:
    """The Noise section's "Machine speed" part: the spread, the chart, and each family's fit."""
    if readings.empty:
        return ["No canary readings in this run (made before the machine-speed reference existed).", ""]
    summary = speed_summary(readings)
    margin = DEFAULT_MIN_EFFECT * 100
    lines = [
        f"**Machine speed**: the canary (a fixed pure-Python loop timed beside every round) took between "
        f"{summary['p5']:.2f}x and {summary['p95']:.2f}x its median (5th to 95th percentile of "
        f"{len(readings)} readings; log-sd {summary['sd'] * 100:.1f}%).",
        "",
    ]
    if max(summary["p95"] - 1, 1 - summary["p5"]) * 100 > margin:
        lines += [
            f"**Warning:** the machine's speed varied by more than the {margin:g}% margin during the run: "
            "raw figures of CPU-bound work would hide a change of that size. The families below that follow "
            "the canary are reported speed-adjusted.",
            "",
        ]
    if chart:
        lines += [f"![Machine speed over the run]({chart})", ""]
    rows = [
        [
            family,
            fit.rounds,
            "-" if math.isnan(fit.slope) else f"{fit.slope:.2f}",
            "yes" if fit.applies else "no",
            f"{fit.removed * 100:.0f}%" if fit.applies else "-",
        ]
        for family, fit in fits.items()
        if fit.rounds
    ]
    if rows:
        lines += [
            "Whose times follow it: per workload or micro-cost, the slope of log round time on log canary "
            "(within each case; 1: the times follow the machine's speed fully, 0: not at all) and, where it is "
            "positive beyond doubt (p < 0.001), the share of process-to-process variance that the adjustment "
            "removes. Adjusted figures are brought to the speed at which the ideals were calibrated; the raw "
            "figure stays in `summary.csv` (`raw_median`).",
            "",
            table(("family", "rounds", "slope", "adjusted", "variance removed"), rows),
            "",
        ]
    return lines
