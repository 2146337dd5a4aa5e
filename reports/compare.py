"""Compare runs side by side: `python -m reports compare RUN_DIR... [options]`.

Three steps, one module each: `reports.compare_runs` finds the runs, labels them and
stacks their tidy frames; `reports.compare_stats` aligns every case with the
baseline's and judges it (`ratio_table`); `reports.compare_render` draws the charts and
writes `index.md`. This module runs them in order and writes the result (`ratios.csv`,
charts, `index.md`) through a staging directory like the run report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reports.compare_render import INDEX_NAME, RATIOS_NAME, index_markdown, render_charts
from reports.compare_runs import (
    Compared,
    combined_frame,
    default_out,
    discover_runs,
    expand,
    fingerprint,
    interleaved_with,
    interpreter_of,
    label_runs,
)
from reports.compare_stats import count_unresolved, ratio_table, regressions
from reports.errors import ReportInputError
from reports.load import load_run
from reports.models import MODEL_COLUMNS
from reports.output import check_target, staged_dir
from reports.stats import DEFAULT_MIN_EFFECT
from reports.units import fmt_ratio

__all__ = [
    "INDEX_NAME",
    "RATIOS_NAME",
    "Compared",
    "combined_frame",
    "discover_runs",
    "expand",
    "fingerprint",
    "interpreter_of",
    "label_runs",
    "ratio_table",
    "regressions",
    "run_compare",
]


def run_compare(
    paths: Sequence[Path],
    *,
    baseline: Path | None = None,
    out: Path | None = None,
    fail_above: float | None = None,
    min_effect: float = DEFAULT_MIN_EFFECT * 100,
    fail_unresolved: bool = False,
) -> int:
    """Compare the runs, write the report and return how many cases regressed.

    With ``fail_unresolved``, a case "not resolved" or "inconclusive" counts too.

    `min_effect` (percent) is the smallest change that gets a verdict. A regression
    is a case judged slower whose ratio exceeds 1 + `fail_above` percent; without
    `fail_above` none is counted. Raises `ReportInputError` for fewer than two runs,
    unreadable ones, or an `out` that is not a new or empty directory nor an earlier
    comparison (`reports.output.not_replaceable`), before anything is written; and, after
    writing the comparison, when `fail_above` is given but no case was compared, since
    then nothing was checked.
    """
    if fail_above is not None and (not math.isfinite(fail_above) or fail_above < 0):
        raise ReportInputError(f"--fail-above {fail_above}: give a percentage >= 0, e.g. --fail-above 10")
    if not (math.isfinite(min_effect) and 0 <= min_effect < 100):
        raise ReportInputError(f"--min-effect {min_effect}: give a percentage from 0 to 100, e.g. --min-effect 5")
    if out is not None:
        check_target(out, "comparison")
    run_dirs, base_dir = discover_runs(paths, baseline)
    loaded = {path: load_run(path) for path in run_dirs}
    compared = label_runs(list(loaded.values()), loaded[base_dir])
    frame = combined_frame(compared)
    ratios = ratio_table(frame, compared[0].label, min_effect=min_effect / 100, paired_with=interleaved_with(compared))
    target = out or default_out(compared)
    with staged_dir(target, "comparison") as staging:
        charts = render_charts(frame, ratios, staging)
        ratios.drop(columns=["case_key", "run_order", *MODEL_COLUMNS], errors="ignore").to_csv(
            staging / RATIOS_NAME, index=False
        )
        (staging / INDEX_NAME).write_text(
            index_markdown(compared, frame, ratios, charts, min_effect=min_effect), encoding="utf-8"
        )
    machines = len({c.run.machine_id for c in compared})
    pythons = len({interpreter_of(c.run.machine) for c in compared})
    print(
        f"comparison: {target / INDEX_NAME} ({len(compared)} runs on {machines} machine"
        f"{'s' if machines != 1 else ''} under {pythons} Python{'s' if pythons != 1 else ''}, "
        f"baseline {compared[0].label})"
    )
    unresolved = count_unresolved(ratios) if fail_unresolved else 0
    if fail_above is None:
        return unresolved
    if ratios.empty:
        raise ReportInputError(
            f"--fail-above {fail_above:g}: no case was compared (the runs share no case with the baseline), "
            "so nothing was checked"
        )
    slow = regressions(ratios, fail_above)
    if slow.empty:
        print(f"no case is judged slower than the baseline by more than {fail_above:g}%")
        return unresolved
    print(f"{len(slow)} case(s) judged slower than the baseline by more than {fail_above:g}%:")
    for row in slow.itertuples():
        n = "" if pd.isna(row.n_tasks) else f" n_tasks={int(row.n_tasks)}"
        print(
            f"  {row.run}: {row.case} {row.series}{n}{f' ({row.params})' if row.params else ''}: "
            f"{fmt_ratio(row.ratio)} ({row.level * 100:.3g}% interval "
            f"{fmt_ratio(row.ci_low)}-{fmt_ratio(row.ci_high)}, "
            f"q={row.q_value:.3g})"
        )
    return len(slow) + unresolved
