"""Compare runs side by side: `python -m reports compare RUN_DIR... [options]`.

Runs are found (`discover_runs`), read (`reports.load.load_run`), grouped by machine
fingerprint and aligned case by case on (backend, variant, case, n_tasks, parameters).
Every run is compared with the baseline process by process (`reports.stats`): each
run's cases form one family, tested against a practical margin and corrected together;
the result is `ratios.csv`, charts and an `index.md` in the output directory, written
through a staging directory like the run report.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import compare_charts
from reports.errors import ReportInputError, RunDirError
from reports.frames import case_groups, case_title, chart_file, slug
from reports.judge import PairedCase, judge
from reports.load import RunData, add_case_columns, benchmark_files, fmt_param, load_run, param_columns
from reports.markdown import MISSING, table
from reports.models import MODEL_COLUMNS, ranks, unify_models
from reports.noise import noise_floor
from reports.output import check_target, save_figure, staged_dir
from reports.precision import prior_group
from reports.stats import (
    DEFAULT_MIN_EFFECT,
    FASTER,
    INCONCLUSIVE,
    NO_DIFFERENCE,
    NOT_RESOLVED,
    SLOWER,
)
from reports.units import fmt_bytes, fmt_ratio, fmt_seconds

COMPARE_DIR = "compare"
RATIOS_NAME = "ratios.csv"
INDEX_NAME = "index.md"
FINGERPRINT_FIELDS = ("cpu_model", "cpu_count", "memory_bytes", "os", "python_build")


@dataclass(frozen=True)
class Compared:
    """A run in a comparison: its data, label and machine fingerprint."""

    run: RunData
    label: str
    fingerprint: str


def fingerprint(machine: dict[str, Any]) -> str:
    """Return a short id of the machine from the fields that do not change between runs.

    CPU model, core count, memory, OS and Python build; the node name, CPU frequency
    and load are left out, so two runs on one machine with one Python share a
    fingerprint, and a run under another Python (another build) gets another.
    """
    identity = json.dumps([machine.get(key) for key in FINGERPRINT_FIELDS], default=str)
    return hashlib.sha256(identity.encode()).hexdigest()[:10]


def _has_results(path: Path) -> bool:
    """Tell whether `path` is a run directory with benchmark JSON in it."""
    return path.is_dir() and bool(benchmark_files(path))


def _subdirs(path: Path) -> list[Path]:
    """List the visible subdirectories of `path`, sorted, without `compare/`."""
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != COMPARE_DIR)


def expand(path: Path) -> tuple[list[Path], bool]:
    """Turn one command-line path into run directories; say if it named a run itself.

    A run directory is taken as is. A machine directory (`results/<machine-id>`) gives
    its newest run, a results root (`results/`) the newest run of every machine under
    it, or, when it holds one machine only, that machine's two newest runs (before and
    after an upgrade); run ids sort by time, so the newest is the last by name.
    """
    if not path.exists():
        raise RunDirError(path, "no such directory; give run directories or a results root such as results/")
    if not path.is_dir():
        raise RunDirError(path, "is not a directory; give run directories or a results root such as results/")
    if _has_results(path) or (path / "run.json").exists():
        return [path], True
    children = _subdirs(path)
    runs_here = [c for c in children if _has_results(c)]
    if runs_here:
        return [runs_here[-1]], False
    newest = []
    per_machine = []
    for machine in children:
        runs = [c for c in _subdirs(machine) if _has_results(c)]
        if runs:
            newest.append(runs[-1])
            per_machine.append(runs)
    if len(per_machine) == 1:
        return per_machine[0][-2:], False
    if not newest:
        raise RunDirError(path, "holds no run with results (expected <root>/<machine-id>/<run-id>/*.json)")
    return newest, False


def discover_runs(paths: Sequence[Path], baseline: Path | None = None) -> tuple[list[Path], Path]:
    """Return the run directories to compare and the baseline among them.

    The baseline is `baseline` if given (added if it is not among the runs), else the
    first path if it named a run directory, else the oldest run by run id.
    """
    runs: list[Path] = []
    first_explicit = False
    for index, path in enumerate(paths):
        found, explicit = expand(path)
        first_explicit = first_explicit or (index == 0 and explicit)
        runs += [run for run in found if run.resolve() not in {r.resolve() for r in runs}]
    chosen: Path | None = None
    if baseline is not None:
        expanded, _ = expand(baseline)
        if len(expanded) != 1:
            raise ReportInputError(f"--baseline {baseline}: give one run directory, not a directory of machines")
        chosen = next((r for r in runs if r.resolve() == expanded[0].resolve()), None)
        if chosen is None:
            chosen = expanded[0]
            runs.insert(0, chosen)
    if len(runs) < 2:
        raise ReportInputError(
            f"need at least two runs to compare, found {len(runs)} ({', '.join(str(r) for r in runs) or 'none'}); "
            "give two or more run directories, or a results root with runs of two machines"
        )
    if chosen is not None:
        base = chosen
    elif first_explicit:
        base = runs[0]
    else:
        base = min(runs, key=lambda r: r.name)
    return runs, base


def interpreter_of(machine: Mapping[str, Any]) -> str | None:
    """The interpreter a run measured, as labels name it: `CPython 3.12.1`, `CPython 3.13.0 free-threaded, GIL off`.

    None when the run's files do not say.
    """
    build, version = machine.get("python_build"), machine.get("python_version")
    if not build and not version:
        return None
    name = str(build).split(" (")[0] if build else f"Python {version}"
    return name + (", GIL off" if machine.get("gil_enabled") is False else "")


def label_runs(runs: Sequence[RunData], base: RunData) -> list[Compared]:
    """Label each run `machine_id/run_id (interpreter)` and order them: baseline first, machines together.

    The interpreter is in the label so that two runs of one machine under two Pythons
    read apart in every table and chart.
    """
    groups: list[str] = []
    compared: list[Compared] = []
    used: set[str] = set()
    for run in [base, *[r for r in runs if r is not base]]:
        # A run copied under a new directory name keeps its recorded run_id: tell the
        # two apart by the directory name, and by a number as a last resort.
        interpreter = interpreter_of(run.machine)
        python = f" ({interpreter})" if interpreter else ""
        label = f"{run.machine_id}/{run.run_id}{python}"
        if label in used:
            label = f"{run.machine_id}/{run.path.name}{python}"
        number = 1
        while label in used:
            number += 1
            label = f"{run.machine_id}/{run.run_id} ({number}){python}"
        used.add(label)
        print_id = fingerprint(run.machine)
        if print_id not in groups:
            groups.append(print_id)
        compared.append(Compared(run=run, label=label, fingerprint=print_id))
    return [compared[0], *sorted(compared[1:], key=lambda c: groups.index(c.fingerprint))]


def combined_frame(compared: Sequence[Compared]) -> pd.DataFrame:
    """Stack the runs' tidy frames with `run`, `run_order` and `case_key` columns.

    `case_key` identifies a case across runs: backend, variant, case, n_tasks and every
    parameter that is set. `config` and `series` are recomputed over all runs, and a
    model keeps the order and colour of the first run that has it
    (`reports.models.unify_models`).
    """
    frames = [c.run.frame.assign(run=c.label, run_order=i, fingerprint=c.fingerprint) for i, c in enumerate(compared)]
    frame = unify_models(add_case_columns(pd.concat(frames, ignore_index=True)))
    params = param_columns(frame)
    frame["params"] = (
        [
            ", ".join(f"{p}={fmt_param(v)}" for p, v in zip(params, values, strict=True) if pd.notna(v))
            for values in frame[params].itertuples(index=False)
        ]
        if params
        else ""
    )
    frame["case_key"] = [
        json.dumps([b, None if pd.isna(v) else v, c, None if pd.isna(n) else int(n), p])
        for b, v, c, n, p in zip(
            frame["backend"], frame["variant"], frame["case"], frame["n_tasks"], frame["params"], strict=True
        )
    ]
    return frame


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


def interleaved_with(compared: Sequence[Compared]) -> set[str]:
    """The labels of the runs that ran interleaved with the baseline, as their manifests say (``pair``)."""
    base = compared[0].run
    partner = (base.manifest or {}).get("pair", {})
    found = set()
    for c in compared[1:]:
        theirs = (c.run.manifest or {}).get("pair", {})
        if (
            isinstance(partner, dict)
            and isinstance(theirs, dict)
            and partner.get("with") == c.run.run_id
            and theirs.get("with") == base.run_id
        ):
            found.add(c.label)
    return found


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
                    "speed_adjusted": judged.fit.applies and metric != "bytes_per_task",
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
        (kind != "workload", cases_seen.index(case), config, rank[backend], series, -1 if pd.isna(n) else n)
        for kind, case, config, backend, series, n in zip(
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


def default_out(compared: Sequence[Compared], now: datetime | None = None) -> Path:
    """Return `<results>/compare/<timestamp>/`, results being the runs' common grandparent."""
    roots = {c.run.path.resolve().parent.parent for c in compared}
    root = roots.pop() if len(roots) == 1 else compared[0].run.path.resolve().parent.parent
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    out = root / COMPARE_DIR / stamp
    suffix = 1
    while out.exists():
        suffix += 1
        out = root / COMPARE_DIR / f"{stamp}-{suffix}"
    return out


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
    unresolved = _unresolved(ratios) if fail_unresolved else 0
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


def _unresolved(ratios: pd.DataFrame) -> int:
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
                "yes" if bool(group["speed_adjusted"].any()) else "no",
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
            "Sensitivity per family: the median smallest change its cases would have judged slower or faster 90% "
            "of the time, with the machine-speed reference and without it, and how many cases each way resolved.",
            "",
            table(
                ("family", "cases", "speed-adjusted", "detects", "detects, raw", "resolved (adjusted / raw)"),
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
