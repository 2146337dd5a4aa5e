"""Fold one case's rows from several processes into one row with its interval.

A run measures every model in R fresh processes, each writing its own
pytest-benchmark JSON. The loader reads one row per benchmark per file; this module
joins the rows of one case (same model, variant and pytest name) into the row the
reports use: the figure and its 95% interval from :func:`reports.stats.estimate`,
the process figures kept beside it, and the pooled rounds for the spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reports import speed
from reports.stats import estimate

#: Columns this module adds to the tidy frame (documented in `reports.load`).
POOLED_COLUMNS: Sequence[str] = ("ci_low", "ci_high", "processes", "spread", "unstable")
#: The figure before the machine-speed adjustment, and the slope that adjusted it (0: not adjusted).
SPEED_COLUMNS: Sequence[str] = ("raw_median", "raw_ci_low", "raw_ci_high", "speed_beta")
PROCESS_COLUMNS: Sequence[str] = (
    "process_medians",
    "process_samples",
    "process_canaries",
    "raw_process_samples",
    "process_indices",
)


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


def _figure_columns(per_process: Sequence[Sequence[float]]) -> dict[str, Any]:
    """The figure, interval and spread columns of a case from its rounds per process."""
    pooled = [x for samples in per_process for x in samples]
    figure = estimate(per_process)
    return {
        **_pooled_stats(pooled),
        "median": figure.value,
        "ci_low": figure.low,
        "ci_high": figure.high,
        "processes": figure.processes,
        "spread": figure.spread,
        "unstable": figure.unstable,
        "process_medians": list(figure.process_medians),
        "process_samples": [list(s) for s in per_process],
        "samples": pooled,
    }


def speed_adjust(rows: Sequence[dict[str, Any]], references: Mapping[str, float]) -> dict[str, speed.SpeedFit]:
    """Bring the figures of every family that follows the machine's speed to one reference speed.

    A family is one workload or micro-cost (``case``); whether it follows the canary
    is decided from its rounds (:func:`reports.speed.fit`). Its rows' figures,
    intervals and process figures are then recomputed from adjusted rounds; the raw
    ones stay in ``raw_*``. The reference is the canary read while the family's
    ideal was calibrated (``references``), so a figure and its ideal stand at one
    speed; else the family's median canary. Returns each family's fit.
    """
    fits: dict[str, speed.SpeedFit] = {}
    for family in dict.fromkeys(str(r["case"]) for r in rows):
        members = [r for r in rows if str(r["case"]) == family and not _is_memory(r)]
        fit = speed.fit((r["raw_process_samples"], r["process_canaries"]) for r in members)
        fits[family] = fit
        if not fit.applies:
            continue
        reference = references.get(family) or speed.reference_of(c for r in members for c in r["process_canaries"])
        for row in members:
            if not any(row["process_canaries"]):
                continue
            adjusted = speed.adjust(row["raw_process_samples"], row["process_canaries"], fit.beta, reference)
            row.update(_figure_columns(adjusted))
            row["speed_beta"] = fit.beta
            _derive(row)
    return fits


def _canaries_of(member: Mapping[str, Any], samples: Sequence[float]) -> list[float]:
    """A process's canary readings, one per round (empty where they do not match its rounds)."""
    canaries = list(member.get("canaries") or [])
    return canaries if len(canaries) == len(samples) else []


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_memory(row: Mapping[str, Any]) -> bool:
    value = row.get("bytes_per_task")
    return isinstance(value, float) and math.isfinite(value)


def _derive(row: dict[str, Any]) -> None:
    """The columns computed from a row's figure: per operation and times ideal."""
    ops, ideal = row.get("ops_per_round", math.nan), row.get("ideal_s", math.nan)
    row["per_op_s"] = row["median"] / ops if row["kind"] == "micro" and ops > 0 else math.nan
    row["times_ideal"] = row["median"] / ideal if ideal > 0 else math.nan


#: The kernel's TCP counters a served case records (the most of any round): the most of any process.
TCP_COUNTERS = ("tcp_accepted", "listen_overflows", "listen_drops")


def _server_figures(members: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A served case's server figures over its processes: medians, and a majority for the mark."""
    shares = [m["server_busy_share"] for m in members if isinstance(m.get("server_busy_share"), float)]
    cpu = [m["server_cpu_s"] for m in members if isinstance(m.get("server_cpu_s"), float)]
    if not cpu:
        return {}
    bound = [m.get("server_bound") is True for m in members if isinstance(m.get("server_cpu_s"), float)]
    counters = {
        key: max(found) if (found := [float(m[key]) for m in members if _finite(m.get(key))]) else math.nan
        for key in TCP_COUNTERS
    }
    return {
        "server_cpu_s": float(np.median(cpu)),
        "server_busy_share": float(np.median(shares)) if shares else math.nan,
        "server_bound": bool(2 * sum(bound) > len(bound)),
        **counters,
    }


def _memory_figures(members: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A memory case's fresh-process holds over its processes: the range of all, medians of the rest."""
    lows = [m["bytes_per_task_low"] for m in members if math.isfinite(m.get("bytes_per_task_low", math.nan))]
    highs = [m["bytes_per_task_high"] for m in members if math.isfinite(m.get("bytes_per_task_high", math.nan))]
    found: dict[str, Any] = {"bytes_per_task_low": min(lows)} if lows else {}
    if highs:
        found["bytes_per_task_high"] = max(highs)
    for column in ("python_objects_per_task", "pss_per_task"):
        values = [m[column] for m in members if math.isfinite(m.get(column, math.nan))]
        if values:
            found[column] = float(np.median(values))
    return found


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
        kept = [(s, m) for s, m in ((_process_samples(m), m) for m in members) if s]
        per_process = [s for s, _ in kept]
        row.update(_figure_columns(per_process))
        row.update(
            raw_median=row["median"],
            raw_ci_low=row["ci_low"],
            raw_ci_high=row["ci_high"],
            speed_beta=0.0,
            process_canaries=[_canaries_of(m, s) for s, m in kept],
            process_indices=[int(m.get("process") or 0) for _, m in kept],
            raw_process_samples=per_process,
            source=", ".join(sorted({m["source"] for m in members})),
        )
        held = [m["bytes_per_task"] for m in members if math.isfinite(m.get("bytes_per_task", math.nan))]
        if held:
            memory = estimate([[b] for b in held])
            row.update(bytes_per_task=memory.value, ci_low=memory.low, ci_high=memory.high, spread=memory.spread)
            row.update(process_medians=held, unstable=memory.unstable)
            row.update(_memory_figures(members))
        row.update(_server_figures(members))
        _derive(row)
        merged.append(row)
    return merged
