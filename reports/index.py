"""Build a run's report: PNG charts, `index.md` and `summary.csv` in `RUN_DIR/report/`.

`build_report` reads the run first (so an unreadable run changes nothing), then
renders every chart and the index into a staging directory beside `report/` and swaps
it in (`reports.output.staged_dir`). A run with models missing or failed is reported
from what it has; the index names what is missing and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from bench.layout import RunLayout
from reports import capacity, charts, machine_speed, micro_charts, readings, workload_readings
from reports.answer import answer_markdown
from reports.claims import check_claims, claims_markdown
from reports.frames import (
    by_question,
    case_groups,
    case_title,
    chart_file,
    config_tags,
    machine_title,
    ordered_series,
    slug,
)
from reports.load import RunData, load_run
from reports.markdown import machine_rows, pivot_table, table
from reports.micro_costs import HELD_BYTES, PER_OP, PER_PAYLOAD, MicroCost, declared_micro_costs
from reports.models import baseline_name
from reports.noise import noise_markdown, noise_summary
from reports.output import save_figure, staged_dir
from reports.units import fmt_bytes, fmt_seconds

SUMMARY_NAME = "summary.csv"
INDEX_NAME = "index.md"
NOISE_HEADING = "Noise"
PROBLEMS_HEADING = "Missing, failed and skipped"

#: What to look for in each kind of chart, by its heading: one line under the chart.
LOOK_FOR = {
    "Wall time vs number of tasks": "Look for the line that stays lowest and flattest as the tasks grow, and how "
    "far above the dashed ideal each line ends.",
    "Models side by side": "Look for the shortest bar; a bar whose whisker overlaps the shortest one's is tied "
    "with it.",
    "Times ideal": "Look down a workload's column: green cells are near the ideal (1.0x), red ones far from it.",
    "Cost per operation": "Look for the shortest bars: the cheapest models; whiskers that overlap cannot be told "
    "apart.",
    "Cost per message": "Look for how each channel's cost per message grows with the payload size.",
    "Throughput": "Look for the channel whose line is highest at the payload size you move.",
    "Memory per live task": "Look for the shortest bars: the models that hold the most tasks in the same memory.",
    "Machine speed over the run": "Look for bursts away from 1.0x: rounds timed then ran on a faster or slower "
    "machine.",
}


def look_for(heading: str) -> str:
    """The line under a chart that says what to look for in it, by the chart's heading ("" if unknown)."""
    if heading in LOOK_FOR:
        return LOOK_FOR[heading]
    # A micro-cost charted by payload names its own unit: "Cost per message", "Cost per write".
    return (
        LOOK_FOR["Cost per message"].replace("message", heading.removeprefix("Cost per "))
        if heading.startswith("Cost per ")
        else ""
    )


def speedup_look(baseline: str | None) -> str:
    """What to look for on a speedup chart."""
    return (
        "Look for the lines nearest the dashed ideal: they gain all the machine allows; "
        f"below the {baseline or 'baseline'} line at 1x a model is slower than {baseline or 'the baseline'}."
    )


@dataclass(frozen=True)
class Chart:
    """One rendered chart: its PNG file name, heading, reading and what to look for in it."""

    file: str
    heading: str
    reading: str
    look: str = ""


@dataclass
class Section:
    """A group of charts (one workload configuration or micro-cost) and its table."""

    title: str
    charts: list[Chart] = field(default_factory=list)
    table_title: str = ""
    table: str = ""


class _Renderer:
    """Saves figures into one directory under unique, readable file names."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.used: set[str] = set()

    def chart(self, fig: Figure, name: str, heading: str, reading: str, look: str = "") -> Chart:
        """Save `fig` as `<name>.png` (made unique) and describe it; `look` defaults to its heading's line."""
        file, suffix = chart_file(name), 1
        while file in self.used:
            suffix += 1
            file = chart_file(name, str(suffix))
        self.used.add(file)
        save_figure(fig, self.out / file)
        return Chart(file=file, heading=heading, reading=reading, look=look or look_for(heading))


@dataclass
class Prepared:
    """One run, prepared once for every section of its report.

    ``questions`` is the tidy frame with each case's configurations joined where they
    answer one question and each model's own form of the work named in its series (the
    charts read it); ``plain`` the same with the models' plain names (one row per model
    across workloads: the Answer and the heatmap read it).
    """

    run: RunData
    questions: pd.DataFrame
    plain: pd.DataFrame
    renderer: _Renderer

    @cached_property
    def climbs(self) -> list[capacity.Climbed]:
        """A climbing run's climbs, read once for the Answer and the Capacity section (empty: no climb)."""
        if not capacity.is_climb(self.run.frame, self.run.manifest):
            return []
        return capacity.climbs(self.run.frame, self.run.manifest)


def build_report(run_dir: Path | str) -> Path:
    """Build `run_dir/report/` from the run's JSON and return its path.

    Raises `reports.errors.ReportInputError` (before writing anything) if the run
    directory or one of its JSON files is unusable, or if `report/` holds anything this
    tool did not write (`reports.output.not_replaceable`).
    """
    run = load_run(run_dir)
    target = RunLayout(run.path).report
    with staged_dir(target, "report") as staging:
        prepared = Prepared(
            run=run,
            questions=by_question(run.frame),
            plain=by_question(run.frame, name_forms=False),
            renderer=_Renderer(staging),
        )
        summary_frame(run.frame).to_csv(staging / SUMMARY_NAME, index=False)
        (staging / INDEX_NAME).write_text(index_markdown(prepared), encoding="utf-8")
    return target


def _with_look(lines: list[str]) -> list[str]:
    """The machine-speed lines with what to look for under its chart."""
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.startswith("![Machine speed over the run]"):
            out += ["", LOOK_FOR["Machine speed over the run"]]
    return out


def summary_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The tidy table as `summary.csv` holds it: no raw samples, each process's median as plain numbers.

    `process_medians` becomes the medians separated by spaces (seconds, or bytes per
    task for memory), so a spreadsheet or `pandas.read_csv` reads numbers, not a
    Python list's text.
    """
    out = frame.drop(
        columns=["samples", "canaries", "process_samples", "raw_process_samples", "process_canaries"], errors="ignore"
    )
    if "process_medians" in out:
        out["process_medians"] = out["process_medians"].map(
            lambda medians: " ".join(repr(float(m)) for m in medians) if isinstance(medians, list) else medians
        )
    return out


def workload_sections(frame: pd.DataFrame, renderer: _Renderer) -> list[Section]:
    """Render the workload charts: scaling, bars and speedup per question, named `<workload>-<chart>.png`.

    `frame` has its configurations joined by question (`reports.frames.by_question`).
    A case with several configurations adds what tells them apart to the file name
    (`<workload>-client-minimal-scaling.png`); `chart_file` shortens a long one with a hash.
    """
    groups = list(case_groups(frame, "workload"))
    configs: dict[str, list[str]] = {}
    for case, config, _ in groups:
        configs.setdefault(case, []).append(config)
    tags = {case: config_tags(found) for case, found in configs.items()}
    sections = []
    for case, config, rows in groups:
        base = slug(case, tags[case][config])
        section = Section(title=case_title(case, config), table_title="Median wall time")
        section.charts.append(
            renderer.chart(
                charts.scaling_figure(rows),
                f"{base}-scaling",
                "Wall time vs number of tasks",
                readings.scaling_reading(rows),
            )
        )
        section.charts.append(
            renderer.chart(
                charts.bars_figure(rows),
                f"{base}-models",
                "Models side by side",
                " ".join(filter(None, (readings.bars_reading(rows), readings.overhead_reading(rows)))),
            )
        )
        speed = charts.speedup_figure(rows)
        if speed is not None:
            section.charts.append(
                renderer.chart(
                    speed,
                    f"{base}-speedup",
                    f"Speedup over {baseline_name(rows)}",
                    readings.speedup_reading(rows),
                    speedup_look(baseline_name(rows)),
                )
            )
        section.table = pivot_table(rows, "median", fmt_seconds, order=ordered_series(rows))
        sections.append(section)
    return sections


def heatmap_section(frame: pd.DataFrame, renderer: _Renderer) -> Section | None:
    """Render the heatmap of distance from ideal, models x workloads; None without workloads.

    `frame` has its configurations joined by question with the series left as they
    are (`by_question(frame, name_forms=False)`), so a model is one row across every
    workload.
    """
    if not (frame["kind"] == "workload").any():
        return None
    heat = Section(title="Distance from ideal, all workloads")
    heat.charts.append(
        renderer.chart(charts.heatmap_figure(frame), "times-ideal", "Times ideal", readings.heatmap_reading(frame))
    )
    return heat


def micro_sections(
    frame: pd.DataFrame, renderer: _Renderer, manifest: Mapping[str, Any] | None = None
) -> list[Section]:
    """Render the micro-cost charts, each as the run's `manifest` declares it (`reports.micro_costs`)."""
    sections = []
    micro = frame[frame["kind"] == "micro"]
    cases = [str(case) for case in micro["case"].drop_duplicates()]
    declared = declared_micro_costs(manifest, cases)
    for case in sorted(cases, key=lambda c: (declared[c].order, cases.index(c))):
        cost = declared[case]
        render = MICRO_SECTIONS.get(cost.chart, _per_op_sections)
        sections += render(micro[micro["case"] == case], cost, renderer)
    return sections


def _per_payload_sections(rows: pd.DataFrame, cost: MicroCost, renderer: _Renderer) -> list[Section]:
    """One section: cost per message and throughput by payload size and channel, and their table."""
    if not _has(rows, "channel", "payload_bytes"):
        return _per_op_sections(rows, cost, renderer)
    operation = cost.chart_operation
    section = Section(title=cost.name, table_title=f"Time per {operation}")
    section.charts.append(
        renderer.chart(
            micro_charts.ipc_cost_figure(rows),
            f"{cost.name}-cost",
            f"Cost per {operation}",
            readings.ipc_cost_reading(rows),
        )
    )
    section.charts.append(
        renderer.chart(
            micro_charts.ipc_throughput_figure(rows),
            f"{cost.name}-throughput",
            "Throughput",
            readings.ipc_throughput_reading(rows),
        )
    )
    keyed = rows.assign(line=rows["series"] + " · " + rows["channel"].astype(str))
    section.table = pivot_table(
        keyed,
        "per_op_s",
        fmt_seconds,
        index="line",
        columns="payload_bytes",
        column_label=lambda p: fmt_bytes(float(p)),
    )
    return [section]


def _held_bytes_sections(rows: pd.DataFrame, cost: MicroCost, renderer: _Renderer) -> list[Section]:
    """One section: memory per live task by model and task count, and its table."""
    if not rows["bytes_per_task"].notna().any():
        return _per_op_sections(rows, cost, renderer)
    section = Section(title=cost.name, table_title="Memory per task")
    section.charts.append(
        renderer.chart(
            micro_charts.memory_figure(rows), cost.name, "Memory per live task", readings.memory_reading(rows)
        )
    )
    section.table = pivot_table(rows, "bytes_per_task", fmt_bytes, order=ordered_series(rows))
    return [section]


def _per_op_sections(rows: pd.DataFrame, cost: MicroCost, renderer: _Renderer) -> list[Section]:
    """A section per configuration (a switch family): per-op bars by model, and their table."""
    sections = []
    for _, config, of_config in case_groups(rows, "micro"):
        section = Section(title=case_title(cost.name, config), table_title="Time per operation")
        section.charts.append(
            renderer.chart(
                micro_charts.micro_cost_figure(of_config, cost.chart_operation),
                f"{slug(cost.name, config)}-cost",
                "Cost per operation",
                readings.micro_cost_reading(of_config, cost.chart_operation),
            )
        )
        section.table = (
            pivot_table(of_config, "per_op_s", fmt_seconds, order=ordered_series(of_config))
            if of_config["n_tasks"].notna().any()
            else per_op_table(of_config)
        )
        sections.append(section)
    return sections


#: How each chart kind a micro-cost declares is rendered (an unknown kind: per-op bars).
MICRO_SECTIONS = {PER_OP: _per_op_sections, PER_PAYLOAD: _per_payload_sections, HELD_BYTES: _held_bytes_sections}


def per_op_table(rows: pd.DataFrame) -> str:
    """A micro-cost without task counts as a table: each model's time per operation and its interval."""
    body = []
    for series in ordered_series(rows):
        row = rows[rows["series"] == series].iloc[0]
        ops = float(row["ops_per_round"])
        has_interval = pd.notna(row["ci_low"]) and ops > 0
        interval = f"{fmt_seconds(row['ci_low'] / ops)} to {fmt_seconds(row['ci_high'] / ops)}" if has_interval else "-"
        body.append([series, fmt_seconds(float(row["per_op_s"])), interval, int(row["processes"])])
    return table(("series", "per operation", "95% interval", "processes"), body)


def _has(rows: pd.DataFrame, *columns: str) -> bool:
    """Tell whether every row has a value in each of `columns`."""
    return all(c in rows.columns and bool(rows[c].notna().all()) for c in columns)


def _section_markdown(section: Section, level: str) -> list[str]:
    """Render one section: a heading, its charts with readings, its table."""
    lines = [f"{level} {section.title}", ""]
    for chart in section.charts:
        lines += [f"{level}# {chart.heading}", "", f"![{section.title}: {chart.heading}]({chart.file})", ""]
        lines += [chart.look, ""] if chart.look else []
        lines += [chart.reading, ""]
    if section.table:
        lines += [f"{level}# {section.table_title}", "", section.table, ""]
    return lines


def header_markdown(run: RunData) -> list[str]:
    """The report's two-line header: the run, then what it was (profile, machine, noise, what is missing)."""
    manifest = run.manifest or {}
    facts = [f"profile `{manifest.get('profile') or _first(run.frame, 'profile')}`"]
    if manifest.get("status"):
        facts.append(f"run status **{manifest['status']}**")
    if manifest.get("started_at"):
        facts.append(f"started {manifest['started_at']}, ended {manifest.get('ended_at') or 'never (interrupted)'}")
    facts.append(f"on {machine_title(run.frame)}")
    summary = "; ".join(facts)
    noise = noise_summary(run.frame, run.manifest, f"#{_anchor(NOISE_HEADING)}")
    header = f"{summary[:1].upper()}{summary[1:]}. {noise}"
    problems = _problems_summary(run)
    if problems:
        header += f" {problems}"
    return [f"# concurrency-bench report: run `{run.run_id}` on `{run.machine_id}`", "", header, ""]


def answer_section(p: Prepared) -> list[str]:
    """Per workload and task count, the fastest model and those tied with it; first, for a climb, how far each went."""
    lines = ["## Answer", ""]
    if p.climbs:
        lines += ["How far each model went (see [Capacity](#capacity)):", "", *capacity.answer_lines(p.climbs), ""]
    return lines + answer_markdown(p.plain)


def capacity_section(p: Prepared) -> list[str]:
    """A climbing run's capacity: how far each model went per workload, and why it stopped."""
    found = p.climbs
    if not found:
        return []
    lines = [
        "## Capacity",
        "",
        "Each model climbed each workload's task counts in turn, one round a step, and stopped at the first step "
        "that failed, that a limit of this machine refused, or that was predicted from the step before to cross "
        "the time or memory cap (see the options in run.json).",
        "",
    ]
    memory = capacity.memory_reading(found)
    lines += [memory, ""] if memory else []
    for what in dict.fromkeys(c.what for c in found):
        section = Section(
            title=what, table_title="How far, and why it stopped", table=capacity.table_markdown(found, what)
        )
        figure = capacity.capacity_figure(found, what, p.run.frame)
        if figure is not None:
            reading = (
                "Each line ends at the largest task count the model completed; an x marks the step where its climb "
                "stopped (drawn where the line would have reached had it kept pace), and the dashed line is the ideal."
            )
            section.charts.append(p.renderer.chart(figure, f"capacity-{what}", "Climb", reading))
        lines += _section_markdown(section, "###")
    return lines


def distance_section(p: Prepared) -> list[str]:
    """The heatmap of distance from ideal, models x workloads."""
    heat = heatmap_section(p.plain, p.renderer)
    return _section_markdown(heat, "##") if heat is not None else []


def claims_section(p: Prepared) -> list[str]:
    """The tutorials' claims, checked against the run's figures."""
    return ["## Claims checked", "", *claims_markdown(check_claims(p.run.frame, p.run.manifest)), ""]


def workloads_section(p: Prepared) -> list[str]:
    """Each workload's charts and table, then what the workloads declare (readings, tables)."""
    found = workload_sections(p.questions, p.renderer)
    if not found:
        return []
    lines = ["## Workloads", ""]
    for section in found:
        lines += _section_markdown(section, "###")
    return lines + workload_readings.workload_readings_markdown(p.run.frame, p.run.manifest)


def micro_costs_section(p: Prepared) -> list[str]:
    """Each micro-cost's charts and table, as the run's manifest declares them."""
    found = micro_sections(p.run.frame, p.renderer, p.run.manifest)
    if not found:
        return []
    lines = ["## Micro-costs", ""]
    for section in found:
        lines += _section_markdown(section, "###")
    return lines


def problems_section(p: Prepared) -> list[str]:
    """What is missing, failed or was skipped, and why."""
    return [f"## {PROBLEMS_HEADING}", "", *problems_markdown(p.run), ""]


def machine_section(p: Prepared) -> list[str]:
    return ["## Machine", "", table(("field", "value"), machine_rows(p.run.machine)), ""]


def noise_section(p: Prepared) -> list[str]:
    """How much the processes disagree, the load, and the machine's speed over the run."""
    readings_ = machine_speed.timeline(p.run.frame, p.run.manifest)
    speed_chart = machine_speed.speed_figure(readings_)
    speed_file = p.renderer.chart(speed_chart, "machine-speed", "", "").file if speed_chart is not None else None
    speed_lines = _with_look(machine_speed.speed_markdown(readings_, p.run.speed_fits or {}, speed_file))
    return [f"## {NOISE_HEADING}", "", *noise_markdown(p.run.frame, p.run.manifest), *speed_lines]


def files_section(p: Prepared) -> list[str]:
    return [
        "## Files",
        "",
        f"Built from {', '.join(f'`{f}`' for f in p.run.files)} by `python -m reports build`.",
        "",
        f"- [`{SUMMARY_NAME}`]({SUMMARY_NAME}): one row per benchmark, every column of the "
        "tidy table but the raw samples (times in seconds).",
        "",
    ]


#: The report's sections, in the order `index.md` shows them: the answer first, the details after.
SECTIONS: tuple[Callable[[Prepared], list[str]], ...] = (
    answer_section,
    capacity_section,
    distance_section,
    claims_section,
    workloads_section,
    micro_costs_section,
    problems_section,
    machine_section,
    noise_section,
    files_section,
)


def index_markdown(p: Prepared) -> str:
    """The report's index: the two-line header, then every section of :data:`SECTIONS` in order."""
    lines = header_markdown(p.run)
    for section in SECTIONS:
        lines += section(p)
    return "\n".join(lines)


def _anchor(heading: str) -> str:
    """The link anchor a Markdown viewer gives a heading: `Missing, failed and skipped` -> `missing-failed-and-skipped`.

    Lower case, punctuation dropped, spaces turned into hyphens (GitHub's rule).
    """
    return "-".join("".join(c for c in heading.lower() if c.isalnum() or c in " -_").split())


def _problems_summary(run: RunData) -> str:
    """One sentence for the header naming the models without results and the failed cases, or ""."""
    models: Mapping[str, Any] = (run.manifest or {}).get("backends") or {}
    have = set(run.frame["backend"])
    absent = [name for name, entry in models.items() if isinstance(entry, Mapping) and name not in have]
    failed = sum(
        1
        for entry in models.values()
        if isinstance(entry, Mapping)
        for case in entry.get("cases") or []
        if isinstance(case, Mapping) and case.get("outcome") in ("failed", "error")
    )
    parts = []
    if absent:
        parts.append(f"no results from {', '.join(absent)}")
    if failed:
        parts.append(f"{failed} failed {'case' if failed == 1 else 'cases'}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}: see [{PROBLEMS_HEADING}](#{_anchor(PROBLEMS_HEADING)})."


def _first(frame: pd.DataFrame, column: str) -> str:
    """Return the first non-null value of `column`, or "unknown"."""
    values = frame[column].dropna()
    return str(values.iloc[0]) if not values.empty else "unknown"


def problems_markdown(run: RunData) -> list[str]:
    """List models without results, models not run, failed and skipped cases."""
    models: Mapping[str, Any] = (run.manifest or {}).get("backends") or {}
    have = set(run.frame["backend"])
    lines: list[str] = []
    if not run.manifest:
        lines.append("This run has no `run.json`, so its failures and skips are unknown.")
    for name, entry in models.items():
        if not isinstance(entry, Mapping):
            continue
        status = entry.get("status", "unknown")
        detail = f"{status}" + (f" (return code {entry['returncode']})" if entry.get("returncode") else "")
        if entry.get("error"):
            detail += f": {entry['error']}"
        if name not in have:
            lines.append(f"- **{name}** has no results: {detail}.")
        elif status != "ok":
            lines.append(f"- **{name}** ended with status {detail}; the cases it completed are reported.")
    lines += [f"- Left out of the report: {note}." for note in run.ignored]
    lines += [f"- Unknown, not charted: {note}." for note in run.unknown]
    cases = [
        (name, case)
        for name, entry in models.items()
        if isinstance(entry, Mapping)
        for case in entry.get("cases") or []
        if isinstance(case, Mapping)
    ]
    failed = [
        (name, c.get("id"), c.get("outcome"), c.get("reason") or "")
        for name, c in cases
        if c.get("outcome") in ("failed", "error")
    ]
    if failed:
        lines += ["", "Failed cases (not timed):", "", table(("model", "case", "outcome", "reason"), failed)]
    not_run = [f"{name}: {_short_case(c)}" for name, c in cases if c.get("outcome") == "not run"]
    if not_run:
        lines += ["", f"Not run (the session ended first): {', '.join(not_run)}."]
    skipped: dict[tuple[str, str], list[str]] = {}
    for name, c in cases:
        if c.get("outcome") == "skipped":
            skipped.setdefault((name, str(c.get("reason") or "no reason given")), []).append(_short_case(c))
    if skipped:
        lines += [
            "",
            "Skipped cases:",
            "",
            table(
                ("model", "reason", "cases"),
                [(name, reason, ", ".join(ids)) for (name, reason), ids in skipped.items()],
            ),
        ]
    return lines or ["Every model ran and every case passed."]


def _short_case(case: Mapping[str, Any]) -> str:
    """Name a manifest case briefly: `<workload> n=100`."""
    what = case.get("workload") or case.get("micro") or case.get("id") or "?"
    n = case.get("n_tasks")
    return f"{what} n={n}" if n is not None else str(what)
