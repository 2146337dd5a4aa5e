"""The report's first section: per workload and task count, which model was fastest and which tied.

A newcomer's question is "which model for my kind of work". This section answers it
from the tidy frame alone, before any chart: for every workload configuration a table
with one row per task count (the fastest model, the models statistically tied with
it, its distance from the ideal, its memory per live task where the run measured it,
the slowest), and one plain sentence.

"Tied" is the comparison the charts' whiskers let a reader make by eye: a model ties
with the fastest when its 95% interval over processes overlaps the fastest's interval.
A figure measured in one process has no interval; it stands for itself, so it ties
only when it falls inside the other's interval. Nothing here names a model or a
workload: both come from the frame's columns, models in their declared order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from reports.frames import BY_MODEL, at_n, case_groups, case_title, common_n, form_params, ordered_series
from reports.load import fmt_param
from reports.markdown import MISSING, table
from reports.marks import below_ideal
from reports.units import fmt_bytes, fmt_ratio


@dataclass(frozen=True)
class Slower:
    """A model that did not tie with the fastest, and how many times the fastest's time it took."""

    series: str
    ratio: float


@dataclass(frozen=True)
class Memory:
    """A model's memory per live task and the task count it was measured at."""

    bytes_per_task: float
    n_tasks: int | None


@dataclass(frozen=True)
class AnswerRow:
    """What one task count of one workload configuration answers."""

    n_tasks: int
    fastest: str
    #: The models tied with the fastest, in the models' declared order (the fastest not among them).
    tied: tuple[str, ...]
    #: The models that did not tie, fastest first.
    slower: tuple[Slower, ...]
    #: The fastest's median over the workload's ideal (NaN where it states none).
    times_ideal: float
    below_ideal: bool
    memory: Memory | None
    #: Models of this configuration that were measured at other task counts but not at this one.
    not_run: tuple[str, ...]
    #: Whether any figure compared here has a 95% interval (else ties were read on bare figures).
    has_intervals: bool

    @property
    def models(self) -> int:
        """How many models ran this task count."""
        return 1 + len(self.tied) + len(self.slower)


@dataclass(frozen=True)
class Answer:
    """The answer for one workload configuration: a row per task count and its sentence."""

    case: str
    config: str
    rows: tuple[AnswerRow, ...]
    sentence: str
    #: Where each model ran its own form of the work: which ran which, in a sentence ("" otherwise).
    forms: str = ""


def _bounds(row: pd.Series) -> tuple[float, float]:
    """A row's 95% interval over processes; its figure alone where it has none."""
    low, high, median = (float(row[k]) for k in ("ci_low", "ci_high", "median"))
    return (low if math.isfinite(low) else median, high if math.isfinite(high) else median)


def answer_row(rows: pd.DataFrame, n_tasks: int, memory: pd.DataFrame | None = None) -> AnswerRow | None:
    """Read one task count of one workload configuration; None when no model ran it.

    `rows` holds one configuration (all its task counts); `memory` the run's memory
    micro-cost rows, if any.
    """
    at = at_n(rows, n_tasks).dropna(subset=["median"])
    if at.empty:
        return None
    at = at.sort_values("median", kind="stable")
    best = at.iloc[0]
    _, best_high = _bounds(best)
    order = {series: i for i, series in enumerate(ordered_series(rows))}
    tied, slower = [], []
    for _, row in at.iloc[1:].iterrows():
        low, _ = _bounds(row)
        if low <= best_high:
            tied.append(str(row["series"]))
        else:
            slower.append(Slower(str(row["series"]), float(row["median"]) / float(best["median"])))
    present = set(at["series"])
    intervals = at["ci_low"].notna() & at["ci_high"].notna()
    return AnswerRow(
        n_tasks=int(n_tasks),
        fastest=str(best["series"]),
        tied=tuple(sorted(tied, key=lambda s: order.get(s, len(order)))),
        slower=tuple(slower),
        times_ideal=float(best["times_ideal"]) if pd.notna(best["times_ideal"]) else math.nan,
        below_ideal=bool(below_ideal(at.iloc[[0]]).iloc[0]),
        memory=memory_of(memory, str(best["label"]), int(n_tasks)) if memory is not None else None,
        not_run=tuple(s for s in order if s not in present),
        has_intervals=bool(intervals.any()),
    )


def memory_of(memory: pd.DataFrame, label: str, n_tasks: int) -> Memory | None:
    """The model `label`'s memory per live task: measured at `n_tasks` if it was, else at its largest count.

    The memory micro-cost holds as many live tasks as a model can afford (ten thousand
    coroutines, a hundred processes), rarely a workload's own task count; its figure
    is per task, so it is shown with the count it was measured at.
    """
    mine = memory[(memory["label"] == label)].dropna(subset=["bytes_per_task"])
    if mine.empty:
        return None
    same = mine[(mine["n_tasks"] == n_tasks).fillna(False).astype(bool)]
    row = same.iloc[0] if not same.empty else mine.sort_values("n_tasks", na_position="first").iloc[-1]
    n = row["n_tasks"]
    return Memory(float(row["bytes_per_task"]), None if pd.isna(n) else int(n))


def _names(names: list[str]) -> str:
    """Join names for a sentence: `a`, `a and b`, `a, b and c`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _ideal_text(row: AnswerRow) -> str:
    if not math.isfinite(row.times_ideal):
        return ""
    return f"{fmt_ratio(row.times_ideal)} ideal" + (", below ideal: not a bound here" if row.below_ideal else "")


def sentence(row: AnswerRow, order: list[str]) -> str:
    """One plain sentence for a workload: who is fastest and tied at `row`'s task count, how far behind the rest are.

    `order` is the configuration's models in their declared order: the tied models are
    named in it. The sentence names no workload: the section's heading for it does.
    """
    where = f"At {row.n_tasks} {'task' if row.n_tasks == 1 else 'tasks'}"
    ideal = _ideal_text(row)
    if row.models == 1:
        text = f"{where} only {row.fastest} ran" + (f" ({ideal})" if ideal else "")
    elif row.tied:
        group = [s for s in order if s == row.fastest or s in row.tied]
        verb = "tie" if row.slower else "all tie"
        text = f"{where} {_names(group)} {verb} (fastest {row.fastest}" + (f", {ideal})" if ideal else ")")
    else:
        text = f"{where} {row.fastest} is fastest" + (f" ({ideal})" if ideal else "")
    if len(row.slower) == 1:
        text += f"; {row.slower[0].series} is {fmt_ratio(row.slower[0].ratio)} slower"
    elif row.slower:
        first, last = row.slower[0], row.slower[-1]
        text += (
            f"; the next, {first.series}, is {fmt_ratio(first.ratio)} slower"
            f" and the slowest, {last.series}, {fmt_ratio(last.ratio)}"
        )
    if row.not_run:
        text += f"; {_names(list(row.not_run))} {'was' if len(row.not_run) == 1 else 'were'} not run at this size"
    return text + "."


def _sentence_n(rows: pd.DataFrame) -> int | None:
    """The task count the sentence reads: the charts' common one, else the largest that two models ran."""
    n = common_n(rows)
    if n is not None and at_n(rows, n)["series"].nunique() >= 2:
        return n
    counts = rows.dropna(subset=["n_tasks"]).groupby("n_tasks")["series"].nunique()
    shared = counts[counts >= 2]
    return int(shared.index.max()) if not shared.empty else n


def answers(frame: pd.DataFrame) -> list[Answer]:
    """The answer for every workload configuration of `frame`, in the charts' order.

    `frame` is the report's frame with its configurations joined where they answer one
    question (`reports.frames.by_question`). A case whose configurations still differ
    (an HTTP client that every model ran in two forms, two payload sizes) gets one
    answer per configuration, like its charts: each is a question of its own, and
    pooling them would rank a model against itself.
    """
    # A micro-cost's rows that give a figure in bytes per live task are the memory it measured.
    memory = frame[(frame["kind"] == "micro") & frame["bytes_per_task"].notna()]
    memory = memory if not memory.empty else None
    found = []
    for case, config, rows in case_groups(frame, "workload"):
        sizes = sorted(int(n) for n in rows["n_tasks"].dropna().unique())
        table_rows = tuple(r for n in sizes if (r := answer_row(rows, n, memory)) is not None)
        n = _sentence_n(rows)
        read = next((r for r in table_rows if r.n_tasks == n), None)
        text = sentence(read, ordered_series(rows)) if read is not None else ""
        found.append(Answer(case, config, table_rows, text, forms_sentence(rows, form_params(config))))
    return found


def forms_sentence(rows: pd.DataFrame, params: list[str]) -> str:
    """Say which models ran which form of the work, the most common form last as "the others".

    `params` are the configuration's parameters that each model ran with its own value
    (`reports.frames.by_question`); the models keep their plain names in the table.
    """
    parts = []
    for param in params:
        if param not in rows:
            continue
        order = ordered_series(rows)
        by_value: dict[str, list[str]] = {}
        for series, value in rows.drop_duplicates("series")[["series", param]].itertuples(index=False):
            by_value.setdefault(fmt_param(value), []).append(str(series))
        ranked = sorted(by_value.items(), key=lambda item: (len(item[1]), item[0]))
        named = [
            f"{_names(sorted(models, key=order.index))} {'runs' if len(models) == 1 else 'run'} {value}"
            for value, models in ranked[:-1]
        ]
        parts.append(f"`{param}`{BY_MODEL}: " + "; ".join([*named, f"the others {ranked[-1][0]}"]))
    return ". ".join(parts) + "." if parts else ""


def _memory_text(memory: Memory | None, n_tasks: int) -> str:
    if memory is None:
        return MISSING
    text = fmt_bytes(memory.bytes_per_task)
    return text if memory.n_tasks in (None, n_tasks) else f"{text} (at {memory.n_tasks} tasks)"


def answer_table(answer: Answer) -> str:
    """One workload configuration's answer as a Markdown table, a row per task count."""
    with_memory = any(r.memory is not None for r in answer.rows)
    headers = ["tasks", "fastest", "tied with it", "times ideal", *(["memory per task"] if with_memory else [])]
    headers.append("slowest")
    body = []
    for r in answer.rows:
        tied = ", ".join(r.tied) if r.tied else ("none" if r.models > 1 else "only model run")
        ideal = MISSING if not math.isfinite(r.times_ideal) else fmt_ratio(r.times_ideal)
        ideal += " (below ideal)" if r.below_ideal else ""
        slowest = f"{r.slower[-1].series}, {fmt_ratio(r.slower[-1].ratio)}" if r.slower else MISSING
        memory = [_memory_text(r.memory, r.n_tasks)] if with_memory else []
        body.append([str(r.n_tasks), r.fastest, tied, ideal, *memory, slowest])
    return table(headers, body)


def answer_markdown(frame: pd.DataFrame) -> list[str]:
    """The index's Answer section: an introduction, then per workload configuration its sentence and table."""
    found = [a for a in answers(frame) if a.rows]
    if not found:
        return ["No workload was measured, so there is nothing to answer; see the micro-costs below.", ""]
    lines = [
        "Per workload and task count: the fastest model; the models **tied** with it (their 95% intervals over "
        "processes overlap its interval, so this run cannot tell them apart); its **times ideal** (its wall time "
        "over the best this machine allows: 1.0x is ideal); its memory per live task where the run measured it; "
        "and the slowest model, with how many times the fastest's wall time it took.",
        "",
    ]
    if not any(r.has_intervals for a in found for r in a.rows):
        lines += [
            "Every figure comes from one process, so none has an interval and only equal figures tie; "
            "run with `--processes 2` or more to see which differences are real.",
            "",
        ]
    for answer in found:
        forms = f" {answer.forms}" if answer.forms else ""
        lines += [
            f"**{case_title(answer.case, answer.config)}**: {answer.sentence}{forms}",
            "",
            answer_table(answer),
            "",
        ]
    return lines
