"""Fold one case's rows from several processes into one row with its interval.

A run measures every backend in R fresh processes, each writing its own
pytest-benchmark JSON. The loader reads one row per benchmark per file; this module
joins the rows of one case (same backend, variant and pytest name) into the row the
reports use: the figure and its 95% interval from :func:`reports.stats.estimate`,
the process figures kept beside it, and the pooled rounds for the spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reports.stats import estimate

#: Columns this module adds to the tidy frame (documented in `reports.load`).
POOLED_COLUMNS: Sequence[str] = ("ci_low", "ci_high", "processes", "spread", "unstable")
PROCESS_COLUMNS: Sequence[str] = ("process_medians", "process_samples")


def _process_samples(row: Mapping[str, Any]) -> list[float]:
    """One process's rounds: its raw samples, or its median where the file kept none."""
    samples = row.get("samples") or []
    if samples:
        return list(samples)
    median = row.get("median")
    return [float(median)] if isinstance(median, float) and math.isfinite(median) else []


def _pooled_stats(samples: Sequence[float]) -> dict[str, float]:
    """The descriptive statistics of all rounds together (spread, not the figure)."""
    values = np.asarray(samples, dtype=float)
    if values.size == 0:
        return {}
    q1, q3 = np.percentile(values, [25, 75])
    return {
        "q1": float(q1),
        "q3": float(q3),
        "iqr": float(q3 - q1),
        "mean": float(values.mean()),
        "min": float(values.min()),
        "max": float(values.max()),
        "stddev": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "rounds": float(values.size),
    }


def _server_figures(members: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An http_fetch case's server figures over its processes: medians, and a majority for the mark."""
    shares = [m["server_busy_share"] for m in members if isinstance(m.get("server_busy_share"), float)]
    cpu = [m["server_cpu_s"] for m in members if isinstance(m.get("server_cpu_s"), float)]
    if not cpu:
        return {}
    bound = [m.get("server_bound") is True for m in members if isinstance(m.get("server_cpu_s"), float)]
    return {
        "server_cpu_s": float(np.median(cpu)),
        "server_busy_share": float(np.median(shares)) if shares else math.nan,
        "server_bound": bool(2 * sum(bound) > len(bound)),
    }


def merge_processes(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join the rows of each case across processes; return one row per case.

    The row's ``median`` becomes the case's figure (the geometric mean of the process
    medians), ``ci_low``/``ci_high`` its interval, ``unstable`` the mark of processes
    that disagree. Memory rows do the same with each process's ``bytes_per_task``.
    """
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["backend"], row["variant"], row["name"]), []).append(row)
    merged = []
    for members in groups.values():
        members.sort(key=lambda r: (r.get("process") or 0, r["source"]))
        row = dict(members[0])
        row.pop("process", None)
        per_process = [s for s in (_process_samples(m) for m in members) if s]
        pooled = [x for samples in per_process for x in samples]
        figure = estimate(per_process)
        row.update(_pooled_stats(pooled))
        row.update(
            median=figure.value,
            ci_low=figure.low,
            ci_high=figure.high,
            processes=figure.processes,
            spread=figure.spread,
            unstable=figure.unstable,
            process_medians=list(figure.process_medians),
            process_samples=per_process,
            samples=pooled,
            source=", ".join(sorted({m["source"] for m in members})),
        )
        held = [m["bytes_per_task"] for m in members if math.isfinite(m.get("bytes_per_task", math.nan))]
        if held:
            memory = estimate([[b] for b in held])
            row.update(bytes_per_task=memory.value, ci_low=memory.low, ci_high=memory.high, spread=memory.spread)
            row.update(process_medians=held, unstable=memory.unstable)
        row.update(_server_figures(members))
        ops, ideal = row.get("ops_per_round", math.nan), row.get("ideal_s", math.nan)
        row["per_op_s"] = row["median"] / ops if row["kind"] == "micro" and ops > 0 else math.nan
        row["times_ideal"] = row["median"] / ideal if ideal > 0 else math.nan
        merged.append(row)
    return merged
