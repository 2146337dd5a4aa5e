"""A comparison as the user reads it: its charts and its `index.md`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from reports import compare_charts
from reports.compare_runs import Compared
from reports.frames import case_groups, case_title, chart_file, slug
from reports.markdown import MISSING, table
from reports.noise import noise_floor
from reports.output import save_figure
from reports.stats import (
    DEFAULT_MIN_EFFECT,
    FASTER,
    INCONCLUSIVE,
    NO_DIFFERENCE,
    NOT_RESOLVED,
    SLOWER,
)
from reports.units import fmt_bytes, fmt_ratio, fmt_seconds

RATIOS_NAME = "ratios.csv"
INDEX_NAME = "index.md"


def render_charts(frame: pd.DataFrame, ratios: pd.DataFrame, out: Path) -> list[tuple[str, str, str]]:
    """Render the comparison charts into `out`; return `(section, heading, file)` triples."""
    made: list[tuple[str, str, str]] = []

    def keep(fig: Any, section: str, heading: str, name: str) -> None:
        if fig is not None:
            file = chart_file(name)
            save_figure(fig, out / file)
            made.append((section, heading, file))

    for case, config, rows in case_groups(frame, "workload"):
        title, base = case_title(case, config), slug(case, config)
        keep(compare_charts.grouped_bars_figure(rows), title, "Models x runs at each n_tasks", f"{base}-bars")
        keep(compare_charts.scaling_runs_figure(rows), title, "Scaling, one panel per run", f"{base}-scaling")
        keep(compare_charts.normalised_figure(rows), title, "Relative to each run's own baseline", f"{base}-normalised")
    if not ratios.empty:
        for case in ratios["case"].drop_duplicates():
            keep(
                compare_charts.ratio_figure(ratios[ratios["case"] == case]),
                f"Ratios: {case}",
                "Run / baseline per case",
                f"{case}-ratios",
            )
    return made


def _verdict_text(r: Any) -> str:
    """A ratio row's verdict as the table shows it, with what it rests on."""
    text = f"**{r.verdict}**" if r.verdict in (SLOWER, FASTER) else str(r.verdict)
    if r.verdict == NO_DIFFERENCE:
        text += f" (within ±{r.margin * 100:g}%)"
    if r.reason:
        text += f": {r.reason}"
    if r.unstable:
        text += f"; unstable, processes: baseline {r.baseline_processes}; run {r.run_processes}"
    return text


def _interval_text(r: Any) -> str:
    """The interval that decided a row's verdict, with its level: `1.12x to 1.33x (99.4%)`."""
    if pd.isna(r.ci_low):
        return MISSING
    level = float(r.level) if pd.notna(r.level) else 0.95
    return f"{fmt_ratio(r.ci_low)} to {fmt_ratio(r.ci_high)} ({level * 100:.3g}%)"


def _detectable_text(r: Any) -> str:
    """The smallest change the case would have caught 90% of the time: `±12%`."""
    return MISSING if pd.isna(r.detectable) else f"±{r.detectable * 100:.0f}%"


def _ratio_rows(ratios: pd.DataFrame) -> list[list[object]]:
    """Rows of the Markdown ratio table of one run."""
    rows: list[list[object]] = []
    for r in ratios.itertuples():
        fmt = fmt_bytes if r.metric == "bytes_per_task" else fmt_seconds
        ratio = fmt_ratio(r.ratio)
        if bool(r.speed_adjusted) and pd.notna(r.raw_ratio):
            ratio += f" (raw {fmt_ratio(r.raw_ratio)})"
        rows.append(
            [
                r.case,
                r.series,
                MISSING if pd.isna(r.n_tasks) else int(r.n_tasks),
                r.params,
                fmt(r.baseline_value),
                fmt(r.run_value),
                ratio,
                _interval_text(r),
                _detectable_text(r),
                _verdict_text(r),
                f"{r.n_baseline} / {r.n_run}",
            ]
        )
    return rows


def sensitivity_rows(mine: pd.DataFrame) -> list[list[object]]:
    """Per family (workload or micro-cost): the median smallest change detected 90% of the time, with and without the
    machine-speed reference, and how many cases each way resolved."""
    rows: list[list[object]] = []
    resolved = (SLOWER, FASTER, NO_DIFFERENCE)
    for case, group in mine.groupby("case", sort=False):
        rows.append(
            [
                case,
                len(group),
                f"{int(group['speed_adjusted'].sum())} of {len(group)}",
                _percent_or_missing(group["detectable"].median()),
                _percent_or_missing(group["raw_detectable"].median()),
                f"{int(group['verdict'].isin(resolved).sum())} / {int(group['raw_verdict'].isin(resolved).sum())}",
            ]
        )
    return rows


def _percent_or_missing(value: float) -> str:
    return MISSING if pd.isna(value) else f"±{value * 100:.0f}%"


def verdict_summary(mine: pd.DataFrame, min_effect: float) -> str:
    """One run's counts: "41 of 52 cases resolved to ±5%: 2 slower, 0 faster, 39 no difference; ..."."""
    counts = mine["verdict"].value_counts()
    resolved = int(counts.get(SLOWER, 0) + counts.get(FASTER, 0) + counts.get(NO_DIFFERENCE, 0))
    return (
        f"**{resolved} of {len(mine)} cases resolved to ±{min_effect:g}%**: {int(counts.get(SLOWER, 0))} slower, "
        f"{int(counts.get(FASTER, 0))} faster, {int(counts.get(NO_DIFFERENCE, 0))} no difference; "
        f"{int(counts.get(NOT_RESOLVED, 0))} not resolved, {int(counts.get(INCONCLUSIVE, 0))} inconclusive "
        f"({int(mine['unstable'].sum())} unstable, {int(mine['speed_adjusted'].sum())} speed-adjusted)."
    )


def index_markdown(
    compared: Sequence[Compared],
    frame: pd.DataFrame,
    ratios: pd.DataFrame,
    charts: Sequence[tuple[str, str, str]],
    *,
    min_effect: float = DEFAULT_MIN_EFFECT * 100,
) -> str:
    """Write the comparison's index: machines, ratio tables, cases not in every run, charts."""
    baseline = compared[0].label
    lines = [
        "# concurrency-bench comparison",
        "",
        f"{len(compared)} runs; baseline `{baseline}`. A ratio is the run's figure over the baseline's "
        "(per op for micro-costs; bytes per task for memory): above 1 is slower. Every figure comes from "
        "several fresh processes, and the process is the unit of every test (a t-test on the processes' log "
        "figures, each case's variance moderated by similar cases', empirical Bayes). Where a family of cases "
        "follows the machine-speed canary timed beside every round, its figures are brought to one speed "
        "first (the raw ratio is shown beside). Four verdicts: "
        f"**slower** / **faster**: the change exceeds the {min_effect:g}% margin (the test against the margin "
        "survives a Benjamini-Hochberg correction over every case of the run, q < 0.05); **no difference**: "
        f"the change is shown to lie within ±{min_effect:g}% (an equivalence test, TOST, corrected the same "
        "way); **not resolved**: the data cannot tell which, and the range the change could be in is given; "
        "**inconclusive**: one process on a side, so run-to-run noise is unknown. The interval beside each "
        "verdict is the one that decided it, at its level (the false-coverage-adjusted level of the "
        "selection for the first three, 95% otherwise). *detects* is the smallest change the case would "
        "have judged slower or faster 90% of the time. A case **unstable** in either run (its processes "
        "disagree far beyond their rounds' noise) is marked, with the process figures of both runs.",
        "",
        "## Machines",
        "",
    ]
    machine_rows = []
    for print_id in dict.fromkeys(c.fingerprint for c in compared):
        group = [c for c in compared if c.fingerprint == print_id]
        m = group[0].run.machine
        memory = m.get("memory_bytes")
        machine_rows.append(
            [
                f"`{print_id}`",
                ", ".join(sorted({f"`{c.run.machine_id}`" for c in group})),
                m.get("cpu_model"),
                m.get("cpu_count"),
                fmt_bytes(float(memory)) if isinstance(memory, (int, float)) else "unknown",
                m.get("os"),
                m.get("python_build"),
                ", ".join(f"`{c.label}`" for c in group),
            ]
        )
    lines += [table(("fingerprint", "machine id", "CPU", "cores", "memory", "OS", "Python", "runs"), machine_rows), ""]
    lines += ["## Ratios to the baseline", ""]
    for c in compared[1:]:
        mine = ratios[ratios["run"] == c.label] if not ratios.empty else ratios
        lines += [f"### `{c.label}` / `{baseline}`", ""]
        if not mine.empty and bool(mine["paired"].any()):
            lines += [
                "An interleaved pair: the two ran process by process in alternation, so each case compares "
                "process i with process i (a paired test on their log figures) and a drift that slowed both "
                "processes of a pair cancels.",
                "",
            ]
        if mine.empty:
            lines += ["No case in common with the baseline.", ""]
            continue
        floors = [noise_floor(x.run.frame) for x in (compared[0], c)]
        floor_text = ", ".join(
            f"`{x.label}` {'unknown (one process)' if math.isnan(f) else f'±{f * 100:.1f}%'}"
            for x, f in zip((compared[0], c), floors, strict=True)
        )
        lines += [
            verdict_summary(mine, min_effect)
            + f" Noise floor (median 95% half-width of a case's figure): {floor_text}.",
            "",
        ]
        lines += [
            "Sensitivity per family: how many of its cases were judged on speed-adjusted figures (a case is "
            "adjusted where its family follows the canary, the adjustment leaves its rounds no noisier, and it "
            "sharpens the family as a whole), the median smallest change its cases would have judged slower or "
            "faster 90% of the time as judged and all raw, and how many cases each way resolved.",
            "",
            table(
                ("family", "cases", "speed-adjusted cases", "detects", "detects, raw", "resolved (as judged / raw)"),
                sensitivity_rows(mine),
            ),
            "",
        ]
        lines += [
            table(
                (
                    "case",
                    "model",
                    "n_tasks",
                    "parameters",
                    "baseline",
                    "run",
                    "ratio",
                    "interval (level)",
                    "detects",
                    "verdict",
                    "processes",
                ),
                _ratio_rows(mine),
            ),
            "",
        ]
    lines += ["## Cases not in every run", ""]
    presence = frame.groupby("case_key")["run"].agg(list)
    partial = presence[presence.map(len) < len(compared)]
    if partial.empty:
        lines += ["Every case is in every run.", ""]
    else:
        first = frame.drop_duplicates("case_key").set_index("case_key")
        lines += [
            table(
                ("case", "model", "n_tasks", "parameters", "in"),
                [
                    [
                        first.at[k, "case"],
                        first.at[k, "series"],
                        MISSING if pd.isna(first.at[k, "n_tasks"]) else int(first.at[k, "n_tasks"]),
                        first.at[k, "params"],
                        ", ".join(f"`{r}`" for r in runs),
                    ]
                    for k, runs in partial.items()
                ],
            ),
            "",
        ]
    lines += ["## Charts", ""]
    for section in dict.fromkeys(s for s, _, _ in charts):
        lines += [f"### {section}", ""]
        for _, heading, file in (c for c in charts if c[0] == section):
            lines += [f"#### {heading}", "", f"![{section}: {heading}]({file})", ""]
    lines += ["## Files", "", f"- [`{RATIOS_NAME}`]({RATIOS_NAME}): every ratio above, unrounded.", ""]
    return "\n".join(lines)
