"""Which cases of a run are not yet precise enough: `python -m reports precision RUN_DIR --target PCT`.

The runner spends a run's time where the noise is (Kalibera and Jones' dimensioning,
at the level that dominates here: the process). After the profile's processes it
asks which cases' figures are still wider than the target and gives those, and
only those, another process, until each is precise enough or the run's time
budget is spent. A case's precision is the half-width of its 95% interval, from
its processes' log figures (speed-adjusted where its family follows the canary),
its variance moderated by the other cases of its kind as a comparison moderates it.

The target is stated as the change a comparison of two such runs should resolve
(``--target 5``: ±5%): a comparison's interval is about sqrt(2) times one run's and
its equivalence test must clear the margin with the change's own noise beside it,
so each run aims at :data:`RUN_SHARE` of the target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from reports.load import load_run
from reports.stats import CONFIDENCE, group_priors

#: The share of a comparison's target that one run's half-width may take (see the module).
RUN_SHARE = 0.4
#: Imprecise cases by model, as :func:`imprecise` returns them.
Imprecise = dict[str, list[dict[str, Any]]]


def case_id(name: str) -> str:
    """The case id inside a pytest name: ``bench_workload[threads-<workload>-n10]`` -> ``threads-<workload>-n10``."""
    return name[name.index("[") + 1 : name.rindex("]")] if "[" in name and name.endswith("]") else name


def _log_figures(row: Mapping[str, Any]) -> np.ndarray:
    medians = row.get("process_medians")
    values = np.asarray(medians if isinstance(medians, list) else [], dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    return np.log(values)


def prior_group(row: Mapping[str, Any]) -> str:
    """The variance prior a case shares (:func:`reports.stats.group_priors`): its family within its kind."""
    return "memory" if pd_notna(row.get("bytes_per_task")) else f"{row.get('kind')}/{row.get('case')}"


def half_widths(rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Each case's moderated 95% half-width as a fraction (0.02: ±2%); NaN under two processes."""
    logs = [_log_figures(r) for r in rows]
    groups = [prior_group(r) for r in rows]
    priors = group_priors(
        groups,
        [[(float(x.var(ddof=1)), float(x.size - 1))] if x.size >= 2 else [] for x in logs],
        [x.size >= 2 and not r.get("unstable") for x, r in zip(logs, rows, strict=True)],
    )
    out = []
    for x, group in zip(logs, groups, strict=True):
        if x.size < 2:
            out.append(math.nan)
            continue
        d0, s0 = priors[group].at()
        own, df = float(x.var(ddof=1)), float(x.size - 1)
        if d0 > 0 and math.isfinite(s0):
            own, df = (d0 * s0 + df * own) / (d0 + df), d0 + df
        half = float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * math.sqrt(own / x.size)
        out.append(math.expm1(half))
    return out


def pd_notna(value: object) -> bool:
    """Tell whether ``value`` is a finite number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def processes_needed(half_width: float, processes: int, limit: float) -> int:
    """How many processes would bring a half-width of ``half_width`` at ``processes`` down to ``limit``.

    The half-width of a mean falls as one over the square root of the processes
    (its t quantile barely moves once the variance is moderated), so the case
    needs ``processes * (half / limit) ** 2`` of them, rounded up.
    """
    ratio = math.log1p(half_width) / math.log1p(limit)
    return max(processes + 1, math.ceil(processes * ratio * ratio))


def imprecise(run_dir: Path, target: float) -> Imprecise:
    """The cases wider than ``RUN_SHARE * target``, by model, nearest to the target first.

    Each has its id, half-width, processes, and the processes it would need to
    reach the target (:func:`processes_needed`): a run whose time is short spends
    it first on the cases one or two more processes resolve, not on the ones no
    affordable number of processes would.
    """
    frame = load_run(run_dir).frame
    rows = frame.to_dict("records")
    limit = RUN_SHARE * target
    found: Imprecise = {}
    for row, half in zip(rows, half_widths(rows), strict=True):
        if math.isfinite(half) and half > limit:
            processes = int(row["processes"])
            needed = processes_needed(half, processes, limit)
            add_case(found, str(row["backend"]), str(row["name"]), half, processes, needed)
    return nearest_first(found)


def add_case(found: Imprecise, model: str, name: str, half_width: float, processes: int, needed: int) -> None:
    """Add the case named ``name`` (its pytest name) to ``model``'s imprecise cases."""
    found.setdefault(model, []).append(
        {"id": case_id(name), "half_width": half_width, "processes": processes, "needed": needed}
    )


def nearest_first(found: Imprecise) -> Imprecise:
    """Each model's cases, fewest processes needed first, then widest (an unknown width counts as 0)."""
    for cases in found.values():
        cases.sort(key=lambda c: (c["needed"], -(c["half_width"] if math.isfinite(c["half_width"]) else 0.0)))
    return found
