"""How noisy a run was: its noise floor, its unstable cases, the machine's load.

Every figure of a run comes from several fresh processes (``--processes``); how much
those processes disagree is the noise a second run of the same code would meet. The
index sums it up in one line at its top, so a reader knows which differences mean
anything, and gives the tables at its end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reports.markdown import table
from reports.units import fmt_bytes, fmt_seconds


def noise_floor(frame: pd.DataFrame) -> float:
    """The run's noise floor: the median half-width of its timed cases' 95% intervals (0.02: ±2%).

    On the same scale as the ± a comparison shows: half the log width of a case's
    interval, as a percentage. NaN when no case ran in two processes or more.
    """
    timed = frame.loc[frame["bytes_per_task"].isna() & (frame["ci_low"] > 0) & (frame["ci_high"] > 0)]
    if timed.empty:
        return math.nan
    halves = np.log(timed["ci_high"].astype(float) / timed["ci_low"].astype(float)) / 2
    return float(np.expm1(halves.median()))


def _figure_text(row: Any) -> str:
    """A row's process figures in its own unit: per op for micro-costs, bytes for memory."""
    if pd.notna(row.bytes_per_task):
        return ", ".join(fmt_bytes(float(m)) for m in row.process_medians)
    ops = row.ops_per_round if row.kind == "micro" and pd.notna(row.ops_per_round) and row.ops_per_round > 0 else 1
    return ", ".join(fmt_seconds(float(m) / ops) for m in row.process_medians)


def _case_name(row: Any) -> str:
    n = "" if pd.isna(row.n_tasks) else f" n={int(row.n_tasks)}"
    return f"{row.case}{n}" + (f" ({row.config})" if row.config else "")


def _load_rows(manifest: Mapping[str, Any]) -> list[list[object]]:
    """One row per model: its sessions' 1-minute load averages, before and after each."""
    rows: list[list[object]] = []
    models = manifest.get("backends")
    if not isinstance(models, Mapping):
        return rows
    for name, entry in models.items():
        sessions = entry.get("sessions") if isinstance(entry, Mapping) else None
        if not isinstance(sessions, list):
            continue
        loads: list[float] = [
            float(s[key])
            for s in sessions
            if isinstance(s, Mapping)
            for key in ("load_avg_1m_before", "load_avg_1m_after")
            if isinstance(s.get(key), (int, float))
        ]
        if loads:
            rows.append([name, len(sessions), f"{min(loads):.2f}", f"{max(loads):.2f}"])
    return rows


def noise_summary(frame: pd.DataFrame, manifest: Mapping[str, Any] | None, link: str = "#noise") -> str:
    """The header's one line on noise: its floor, over how many processes, the unstable cases, the load.

    It points to the Noise section at `link`, where the tables are.
    """
    processes = frame["processes"].dropna()
    most = int(processes.max()) if not processes.empty else 0
    if most < 2:
        text = "Noise: every case ran in one process, so no figure has an interval"
    else:
        floor = noise_floor(frame)
        unstable = int(frame["unstable"].fillna(False).astype(bool).sum())
        floor_text = f"median ±{floor * 100:.1f}%" if math.isfinite(floor) else "no interval"
        text = f"Noise: {floor_text} over {most} processes; " + (
            f"{unstable} unstable {'case' if unstable == 1 else 'cases'}" if unstable else "no unstable case"
        )
    highest = [float(str(row[3])) for row in _load_rows(manifest or {})]
    if highest:
        text += f"; load average up to {max(highest):.2f}"
    return text + f" (see [Noise]({link}) at the end)."


def noise_markdown(frame: pd.DataFrame, manifest: Mapping[str, Any] | None) -> list[str]:
    """The index's "Noise" section: processes, noise floor, unstable cases, load averages."""
    processes = frame["processes"].dropna()
    most = int(processes.max()) if not processes.empty else 0
    floor = noise_floor(frame)
    lines: list[str] = []
    if most < 2:
        lines += [
            "Every case ran in one process, so run-to-run noise is unknown and no figure has an interval. "
            "Run with `--processes 3` (`PROCESSES=3`, the quick profile's default) to see it.",
            "",
        ]
    else:
        lines += [
            f"Each model ran in {most} fresh interpreters, interleaved with the other models. A figure is the "
            "geometric mean of its processes' medians; its 95% interval (bars and bands on the charts) is a "
            "t-interval over those processes, so it includes process-to-process noise, which on a small machine "
            "dwarfs the round-to-round kind.",
            "",
            f"**Noise floor: ±{floor * 100:.1f}%**, the median half-width of this run's timed cases' 95% "
            "intervals (the same scale as the ± of `make compare`). A difference between two runs within this "
            "is noise; `make compare` judges each case with its own spread.",
            "",
        ]
    unstable = frame[frame["unstable"].fillna(False).astype(bool)]
    if not unstable.empty:
        lines += [
            f"**Unstable** ({len(unstable)} of {len(frame)} cases): their processes disagree far beyond what their "
            "rounds' noise allows (more than 1.5x apart, typically two CPU placements), so a single figure would "
            "depend on which process ran. Their process figures:",
            "",
            table(
                ("case", "model", "process figures"),
                [[_case_name(r), r.series, _figure_text(r)] for r in unstable.itertuples()],
            ),
            "",
        ]
    elif most >= 2:
        lines += ["No case is unstable: every case's processes agree within what their rounds' noise allows.", ""]
    load_rows = _load_rows(manifest or {})
    if load_rows:
        lines += [
            "Load average (1 minute) around each model's sessions; a value near or above the core count means "
            "something else competed for the CPU:",
            "",
            table(("model", "sessions", "lowest", "highest"), load_rows),
            "",
        ]
    return lines
