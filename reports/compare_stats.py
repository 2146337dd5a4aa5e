"""A comparison's statistics: every case of every run aligned with the baseline's and judged.

Cases are aligned on (model, variant, case, n_tasks, parameters). Every run is
compared with the baseline process by process (`reports.judge`, `reports.stats`):
each run's cases form one family, tested against a practical margin and corrected
together. The result is the ratio table that `reports.compare_render` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from reports.judge import PairedCase, judge
from reports.models import ranks
from reports.precision import prior_group
from reports.stats import (
    DEFAULT_MIN_EFFECT,
    INCONCLUSIVE,
    NOT_RESOLVED,
    SLOWER,
)
from reports.units import fmt_bytes, fmt_seconds


def _process_samples(row: Mapping[str, Any], metric: str) -> list[list[float]]:
    """A row's raw samples per process, in the unit compared (seconds per op for micro-costs)."""
    if metric == "bytes_per_task":
        return [[float(b)] for b in row["process_medians"]]
    ops = row["ops_per_round"]
    per_op = row["kind"] == "micro" and pd.notna(ops) and ops > 0
    samples = row.get("raw_process_samples")
    if not isinstance(samples, list) or not samples:
        samples = row["process_samples"]
    return [list(np.asarray(p, dtype=float) / (ops if per_op else 1.0)) for p in samples]


def _canaries(row: Mapping[str, Any], metric: str) -> list[list[float]] | None:
    """A row's canary readings per process, where every process has them (None otherwise)."""
    canaries = row.get("process_canaries")
    if metric == "bytes_per_task" or not isinstance(canaries, list) or not canaries or not all(canaries):
        return None
    return [list(c) for c in canaries]


def _group(row: Mapping[str, Any], metric: str) -> str:
    """Which variance prior a case shares: its family (one workload or micro-cost) within its kind."""
    return "memory" if metric == "bytes_per_task" else prior_group(row)


def _metric(row: Mapping[str, Any]) -> tuple[str, float]:
    """The quantity a row is compared on and its figure."""
    if pd.notna(row["bytes_per_task"]):
        return "bytes_per_task", float(row["bytes_per_task"])
    if row["kind"] == "micro" and pd.notna(row["per_op_s"]):
        return "per_op_s", float(row["per_op_s"])
    return "median", float(row["median"])


#: Columns of a row that identify its case in the ratio table.
_CASE_FIELDS = (
    "run",
    "run_order",
    "kind",
    "case",
    "config",
    "series",
    "backend",
    "variant",
    "n_tasks",
    "params",
    "model_order",
    "model_colour",
)


def _paired_case(
    theirs: Mapping[str, Any], row: Mapping[str, Any], interleaved: bool, common_speed: bool
) -> PairedCase:
    """One case of the baseline (``theirs``) and a run; for an interleaved pair, processes matched by index."""
    metric = _metric(row)[0]
    base, run = _process_samples(theirs, metric), _process_samples(row, metric)
    base_c, run_c = _canaries(theirs, metric), _canaries(row, metric)
    if interleaved:
        base_i, run_i = list(theirs.get("process_indices") or []), list(row.get("process_indices") or [])
        common = [i for i in base_i if i in run_i]
        if len(base_i) == len(base) and len(run_i) == len(run):

            def pick(values: Any, indices: list[int]) -> Any:
                return None if values is None else [values[indices.index(i)] for i in common]

            base, base_c = pick(base, base_i), pick(base_c, base_i)
            run, run_c = pick(run, run_i), pick(run_c, run_i)
    return PairedCase(
        base,
        run,
        base_c,
        run_c,
        family=str(row["case"]),
        group=_group(row, metric),
        paired=interleaved,
        common_speed=common_speed,
    )


def ratio_table(
    frame: pd.DataFrame,
    baseline: str,
    *,
    min_effect: float = DEFAULT_MIN_EFFECT,
    paired_with: set[str] | None = None,
) -> pd.DataFrame:
    """Compare every case of every run with the baseline's; one row per (run, case).

    Each run's cases are one family for the correction (`reports.judge.judge`), each
    workload or micro-cost a family for the machine-speed adjustment; `min_effect`
    is the practical margin as a fraction (0.05: 5%). A run named in `paired_with`
    ran interleaved with the baseline (`python -m bench --python A --python B`): its
    processes are compared with the baseline's one by one.
    """
    base = {row["case_key"]: row for row in frame[frame["run"] == baseline].to_dict("records")}
    records = []
    for name, of_run in frame[frame["run"] != baseline].groupby("run", sort=False):
        pairs = [(row, base[row["case_key"]]) for row in of_run.to_dict("records") if row["case_key"] in base]
        interleaved = str(name) in (paired_with or set())
        # One fingerprint (machine and Python build): the canaries of both runs read one speed scale.
        common = of_run["fingerprint"].iloc[0] == frame.loc[frame["run"] == baseline, "fingerprint"].iloc[0]
        cases = [_paired_case(theirs, row, interleaved, bool(common)) for row, theirs in pairs]
        # The same comparison without the speed reference: what the canary bought, per case.
        raw_cases = [replace(c, base_canaries=None, run_canaries=None) for c in cases]
        raw_judged = judge(raw_cases, min_effect=min_effect)
        for (row, theirs), judged, unadjusted in zip(
            pairs, judge(cases, min_effect=min_effect), raw_judged, strict=True
        ):
            result = judged.comparison
            metric, value = _metric(row)
            records.append(
                {
                    **{key: row[key] for key in _CASE_FIELDS},
                    "baseline": baseline,
                    "margin": min_effect,
                    "metric": metric,
                    "baseline_value": _metric(theirs)[1],
                    "run_value": value,
                    "ratio": result.ratio,
                    "raw_ratio": judged.raw_ratio,
                    "speed_adjusted": judged.adjusted and metric != "bytes_per_task",
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "level": result.level,
                    "noise": result.noise,
                    "detectable": result.detectable,
                    "raw_detectable": unadjusted.comparison.detectable,
                    "raw_verdict": unadjusted.comparison.verdict,
                    "p_value": result.p_value,
                    "q_value": result.q_value,
                    "q_equivalent": result.q_equivalent,
                    "verdict": result.verdict,
                    "reason": result.reason,
                    "unstable": result.unstable,
                    "baseline_processes": _fmt_processes(theirs, metric),
                    "run_processes": _fmt_processes(row, metric),
                    "paired": result.paired,
                    "n_baseline": result.n_baseline,
                    "n_run": result.n_run,
                    "case_key": row["case_key"],
                }
            )
    table = pd.DataFrame.from_records(records)
    if table.empty:
        return table
    # Rows in report order: workloads first, cases as they first appear, models in
    # their declared order, then n_tasks.
    cases_seen = list(frame["case"].drop_duplicates())
    rank = ranks(frame)
    table["_order"] = [
        (kind != "workload", cases_seen.index(case), config, rank[model], series, -1 if pd.isna(n) else n)
        for kind, case, config, model, series, n in zip(
            table["kind"],
            table["case"],
            table["config"],
            table["backend"],
            table["series"],
            table["n_tasks"],
            strict=True,
        )
    ]
    return table.sort_values(["run_order", "_order"]).drop(columns="_order").reset_index(drop=True)


def _fmt_processes(row: Mapping[str, Any], metric: str) -> str:
    """The process figures of a row, for an unstable case: `5.9 µs, 41 µs, 6.2 µs`."""
    fmt = fmt_bytes if metric == "bytes_per_task" else fmt_seconds
    scale = 1.0
    if metric == "per_op_s":
        scale = float(row["ops_per_round"])
    return ", ".join(fmt(float(m) / scale) for m in row["process_medians"])


def regressions(ratios: pd.DataFrame, fail_above: float) -> pd.DataFrame:
    """Return the rows judged slower whose ratio exceeds 1 + `fail_above` percent."""
    if ratios.empty:
        return ratios
    limit = 1.0 + fail_above / 100.0
    return ratios[(ratios["verdict"] == SLOWER) & (ratios["ratio"] > limit)]


def count_unresolved(ratios: pd.DataFrame) -> int:
    """Print and count the cases the comparison could not resolve (for ``--fail-unresolved``)."""
    if ratios.empty:
        return 0
    left = ratios[ratios["verdict"].isin([NOT_RESOLVED, INCONCLUSIVE])]
    if not left.empty:
        print(f"{len(left)} case(s) not resolved to the margin (--fail-unresolved):")
        for row in left.itertuples():
            n = "" if pd.isna(row.n_tasks) else f" n_tasks={int(row.n_tasks)}"
            print(
                f"  {row.run}: {row.case} {row.series}{n}: {row.verdict}" + (f" ({row.reason})" if row.reason else "")
            )
    return len(left)
