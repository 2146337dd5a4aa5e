"""Capacity: how far each model climbed, per workload, and why it stopped.

A climbing run (the ``scale`` profile, :mod:`bench.climb`) runs each model's cases
at ascending task counts and records, as the skip reason of the step where a climb
stopped, what stopped it: a limit of the machine, a cap (time or memory, predicted
from the step before) or the tasks' own failure. This module reads those reasons
from ``run.json`` and the completed steps from the tidy frame, and gives:

- one line per workload for the Answer: the models that went furthest, and where
  each of the others stopped;
- a table per workload: the largest N completed, the wall time and times ideal
  there (memory per task, for the memory micro-cost), the peak resident set, and
  the reason the climb stopped;
- one log-log chart per workload, wall time (or memory per task) against N, each
  stop marked where it happened.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from bench.climb import STOPPED
from reports.charts import FIGSIZE, legend_outside, tasks_axes
from reports.markdown import table
from reports.marks import SERVER_BOUND, server_bound
from reports.models import colours, ranks
from reports.units import fmt_bytes, fmt_seconds

_STOP = re.compile(rf"^{re.escape(STOPPED)} (\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Climbed:
    """One model's climb on one workload (or micro-cost)."""

    what: str
    label: str
    model: str
    #: The largest task count completed (None: not even the first step).
    reached: int | None
    #: The wall time of a round there, its times ideal, memory per task (memory), peak RSS.
    seconds: float | None
    times_ideal: float | None
    bytes_per_task: float | None
    peak_rss: float | None
    #: The local server's share of a core over the round there, when it was the bottleneck (None: it was not).
    server_bound_share: float | None
    #: Why the server's CPU is not in the ideal there (a server given by URL), or None.
    ideal_caveat: str | None
    #: Where the climb stopped and why (None: it completed every step it was given).
    stopped_at: int | None
    reason: str | None
    #: Every completed step: task count -> the figure charted (seconds, or bytes per task).
    steps: tuple[tuple[int, float], ...]


def _stops(manifest: Mapping[str, Any] | None) -> dict[tuple[str, str], tuple[int, str]]:
    """The step where each climb stopped, by (label, what), from every case's outcome in ``run.json``."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for entry in ((manifest or {}).get("backends") or {}).values():
        for case in entry.get("cases") or [] if isinstance(entry, Mapping) else []:
            what = case.get("workload") or case.get("micro")
            reason = str(case.get("reason") or "")
            stop = _STOP.match(reason)
            if stop is None and case.get("outcome") in ("failed", "error") and case.get("n_tasks"):
                stop = re.match(r"^(\d+): (.*)$", f"{case['n_tasks']}: failed: {reason}", re.S)
            if stop is None or not what or not case.get("id"):
                continue
            key = (str(case["id"]).split("-", 1)[0], str(what))
            at = int(stop.group(1))
            if key not in found or at < found[key][0]:
                found[key] = (at, " ".join(stop.group(2).split()))
    return found


def is_climb(frame: pd.DataFrame, manifest: Mapping[str, Any] | None) -> bool:
    """Whether the run climbed: its steps recorded their memory, or a climb stopped."""
    if "reading_step_memory_bytes" in frame.columns and frame["reading_step_memory_bytes"].notna().any():
        return True
    return bool(_stops(manifest))


def climbs(frame: pd.DataFrame, manifest: Mapping[str, Any] | None) -> list[Climbed]:
    """Every model's climb on every workload and micro-cost of a climbing run, in the models' order."""
    stops = _stops(manifest)
    rows = frame.assign(
        what=frame["workload"].fillna(frame["micro"]) if "micro" in frame.columns else frame["workload"]
    )
    keys = {(str(r.label), str(r.what), str(r.backend)) for r in rows[["label", "what", "backend"]].itertuples()}
    model_of = {label: model for label, _, model in keys}
    for label, what in stops:
        keys.add((label, what, model_of.get(label, label.split("[", 1)[0])))
    rank = ranks(frame) if not frame.empty else {}
    found = []
    for label, what, model in sorted(keys, key=lambda k: (k[1], rank.get(k[2], (999, k[2])), k[0])):
        mine = rows[(rows["label"] == label) & (rows["what"] == what)].sort_values("n_tasks")
        memory = "bytes_per_task" in mine.columns and mine["bytes_per_task"].notna().any()
        figure = "bytes_per_task" if memory else "median"
        steps = tuple((int(n), float(v)) for n, v in zip(mine["n_tasks"], mine[figure], strict=True) if pd.notna(v))
        top = mine.iloc[-1] if not mine.empty else None
        stopped = stops.get((label, what))
        found.append(
            Climbed(
                what=what,
                label=label,
                model=model,
                reached=int(top["n_tasks"]) if top is not None else None,
                seconds=float(top["median"]) if top is not None else None,
                times_ideal=_number(top, "times_ideal"),
                bytes_per_task=_number(top, "bytes_per_task"),
                peak_rss=_number(top, "reading_peak_rss_bytes"),
                server_bound_share=_bound_share(top),
                ideal_caveat=_text(top, "server_cpu_reason"),
                stopped_at=stopped[0] if stopped else None,
                reason=stopped[1] if stopped else None,
                steps=steps,
            )
        )
    return found


def _bound_share(row: pd.Series | None) -> float | None:
    """The server's busy share at a step recorded as server-bound (None where it was not, or unmeasured)."""
    if row is None or not bool(server_bound(row.to_frame().T).iloc[0]):
        return None
    return _number(row, "server_busy_share")


def _text(row: pd.Series | None, column: str) -> str | None:
    if row is None or column not in row.index or pd.isna(row[column]) or not str(row[column]).strip():
        return None
    return str(row[column])


def _number(row: pd.Series | None, column: str) -> float | None:
    if row is None or column not in row.index or pd.isna(row[column]):
        return None
    return float(row[column])


def _count(n: int | None) -> str:
    return f"{n:,}" if n is not None else "none"


def answer_lines(found: list[Climbed]) -> list[str]:
    """One line per workload: the models that went furthest, and where each of the others stopped."""
    lines = []
    for what in dict.fromkeys(c.what for c in found):
        mine = [c for c in found if c.what == what]
        best = max((c.reached or 0) for c in mine)
        top = sorted((c for c in mine if (c.reached or 0) == best and best > 0), key=_rank)
        furthest = [c.label for c in top]
        said = [f"{c.label} ({_figure(c)})" if _figure(c) else c.label for c in top]
        others = [
            f"{c.label} stopped at {_count(c.stopped_at)} ({_short(c.reason)})"
            if c.stopped_at
            else f"{c.label} reached {_count(c.reached)}"
            for c in mine
            if c.label not in furthest
        ]
        text = f"- **{what}**: furthest {', '.join(said) or 'none'}, at {_count(best)} tasks"
        lines.append(text + (f"; {'; '.join(others)}." if others else "."))
    return lines


def _rank(c: Climbed) -> float:
    """Best first: the least times ideal, or the least memory per task."""
    found = c.times_ideal if c.times_ideal is not None else c.bytes_per_task
    return found if found is not None else math.inf


def _figure(c: Climbed) -> str:
    """A climb's figure at its top step: times ideal, or memory per task."""
    if c.times_ideal is not None:
        caveat = ", the server's CPU not in the ideal" if c.ideal_caveat else ""
        return f"{c.times_ideal:.2f}x ideal{caveat}"
    return f"{fmt_bytes(c.bytes_per_task)} a task" if c.bytes_per_task is not None else ""


def _short(reason: str | None, most: int = 90) -> str:
    text = reason or "no reason recorded"
    return text if len(text) <= most else text[: most - 1] + "…"


def table_markdown(found: list[Climbed], what: str) -> str:
    """The capacity table of one workload: per model, how far, how fast, how much memory, why it stopped."""
    body = []
    for c in (c for c in found if c.what == what):
        figure = (
            fmt_bytes(c.bytes_per_task) + " per task"
            if c.bytes_per_task is not None
            else (fmt_seconds(c.seconds) if c.seconds is not None else "-")
        )
        ideal = f"{c.times_ideal:.2f}x" if c.times_ideal is not None else "-"
        if c.ideal_caveat and c.times_ideal is not None:
            ideal += f" (the server's CPU is not in this ideal: {c.ideal_caveat})"
        if c.server_bound_share is not None:
            ideal += f" ({SERVER_BOUND}: server {c.server_bound_share:.2f} cores)"
        peak = fmt_bytes(c.peak_rss) if c.peak_rss is not None else "-"
        why = c.reason if c.stopped_at else "completed every step"
        body.append(
            [c.label, _count(c.reached), figure, ideal, peak, f"{_count(c.stopped_at)}: {why}" if c.stopped_at else why]
        )
    return table(("model", "largest N completed", "there", "times ideal", "peak RSS", "stopped at, and why"), body)


def capacity_figure(found: list[Climbed], what: str, frame: pd.DataFrame) -> Figure | None:
    """Wall time (memory per task for the memory micro-cost) against N per model, each stop an ``x``.

    A stop is drawn at the task count where it happened, at the height of the model's
    last completed step scaled by N (where the step would have been had it kept pace):
    a mark of where, not a measurement.
    """
    mine = [c for c in found if c.what == what and c.steps]
    if not mine:
        return None
    memory = any(c.bytes_per_task is not None for c in mine)
    palette = colours(frame) if not frame.empty else {}
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    for c in mine:
        colour = palette.get(c.model)
        xs, ys = zip(*c.steps, strict=True)
        ax.plot(xs, ys, marker="o", markersize=4, color=colour, label=c.label)
        if c.stopped_at:
            last_n, last_y = c.steps[-1]
            at_y = last_y if memory else last_y * c.stopped_at / last_n
            ax.plot([c.stopped_at], [at_y], marker="x", markersize=10, markeredgewidth=2, color=colour, linestyle="")
    ideal = _ideal(frame, what) if not memory else None
    if ideal is not None and not ideal.empty:
        ax.plot(ideal.index, ideal.to_numpy(dtype=float), color="black", linestyle="--", linewidth=1, label="ideal")
    tasks_axes(
        ax,
        fmt_bytes if memory else fmt_seconds,
        "memory per task (RSS growth)" if memory else "wall time of a round",
    )
    ax.set_title(f"{what}: how far each model climbed (x: where it stopped)")
    legend_outside(ax, title="model")
    return fig


def _ideal(frame: pd.DataFrame, what: str) -> pd.Series | None:
    """The workload's ideal wall time by task count (None: it states none)."""
    if "ideal_s" not in frame.columns or "workload" not in frame.columns:
        return None
    rows = frame[(frame["workload"] == what) & frame["ideal_s"].notna()]
    return rows.groupby("n_tasks")["ideal_s"].min().sort_index() if not rows.empty else None


def memory_reading(found: list[Climbed]) -> str:
    """Memory per waiting task at the largest count each model held, from the memory micro-cost."""
    held = [c for c in found if c.bytes_per_task is not None and c.reached]
    if not held:
        return ""
    held.sort(key=lambda c: c.bytes_per_task or math.inf)
    parts = [f"{c.label} {fmt_bytes(c.bytes_per_task or 0)} (at {_count(c.reached)})" for c in held]
    return "Memory per held task, at the largest count each held: " + ", ".join(parts) + "."
