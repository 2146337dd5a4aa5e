"""The tables and readings the run's workloads declare, rendered from the tidy frame.

A workload declares, as data (``workloads.report_spec``, recorded in ``run.json``'s
``workloads`` section), the tables the report shows beside its charts. This module
names no workload and no model; it knows the kinds of table:

- ``note``: a paragraph;
- ``pair``: each model's median with one parameter at two values, side by side, their
  difference and ratio (:mod:`reports.case_tables`);
- ``readings``: the measurements a workload records beside its time, per series
  (:mod:`reports.case_tables`);
- ``beside``: the workload beside another one at a task count both ran, each model's
  medians (and their ratio) or speed-ups over the baseline model;
- ``baseline``: the chosen models' medians and speed-ups over the baseline model.

A workload that declares readings and no ``readings`` table gets one listing them all.
Text may hold ``{n}`` and ``{baseline}``, filled in here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from reports.case_tables import fill_text, pair_markdown, readings_markdown
from reports.frames import common_n
from reports.load import declared_workloads, fmt_param, param_columns
from reports.markdown import table
from reports.marks import BELOW_IDEAL, below_ideal
from reports.models import baseline_name, ranks
from reports.selection import NO_TRAITS, chosen
from reports.units import fmt_ratio, fmt_seconds
from reports.workload_claims import predates_markdown

Spec = Mapping[str, Any]


def workload_rows(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    """The rows of workload ``case`` that have a task count and a median."""
    rows = frame[(frame["kind"] == "workload") & (frame["case"] == case)]
    return rows.dropna(subset=["n_tasks", "median"])


def fill(text: object, rows: pd.DataFrame, n: int | None = None) -> str:
    """A declared text with ``{n}`` and ``{baseline}`` filled in."""
    return fill_text(text, n, baseline_name(rows) if not rows.empty else None)


def _medians(rows: pd.DataFrame) -> pd.Series:
    """One median per (label, n_tasks): the first configuration of each."""
    return rows.drop_duplicates(["label", "n_tasks"]).set_index(["label", "n_tasks"])["median"]


def _common_n(*medians: pd.Series, need: Sequence[str] = (), at_most: int | None = None) -> int | None:
    """The largest n_tasks (up to ``at_most``) that every table has, with every label in ``need``."""
    groups = [
        (f"{i}:{label}", n)
        for i, found in enumerate(medians)
        for lab, n in found.index
        for label in ("", *need)
        if not label or lab == label
    ]
    every = [f"{i}:{label}" for i in range(len(medians)) for label in ("", *need)]
    sizes = pd.DataFrame(groups, columns=["group", "n_tasks"])
    return common_n(sizes, by="group", every=every, at_most=at_most)


def _ordered(labels: set[str], rows: pd.DataFrame) -> list[str]:
    """Sort series labels of ``rows`` in their models' declared order."""
    rank = ranks(rows)
    model_of = rows.drop_duplicates("label").set_index("label")["backend"]
    return sorted(labels, key=lambda label: (rank[str(model_of[label])], label))


def _labels_at(n: int, *medians: pd.Series) -> set[str]:
    found: set[str] | None = None
    for series in medians:
        here = {str(lab) for lab, m in series.index if m == n}
        found = here if found is None else found & here
    return found or set()


def note_markdown(spec: Spec, rows: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """A declared paragraph under its title."""
    return [f"#### {fill(spec.get('title'), rows)}", "", fill(spec.get("text"), rows), ""]


def beside_markdown(spec: Spec, rows: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """The workload beside another at the largest task count both ran: medians and their ratio, or speed-ups."""
    other = workload_rows(frame, str(spec.get("other")))
    for parameter, value in spec.get("other_where") or []:
        if parameter in other.columns:
            other = other[other[parameter] == value]
    if rows.empty or other.empty:
        return []
    mine, theirs = _medians(rows), _medians(other)
    speedup = spec.get("figure") == "speedup"
    base = baseline_name(rows)
    if speedup and base is None:
        return []
    n = _common_n(mine, theirs, need=(base,) if speedup and base else (), at_most=spec.get("at_most_n"))
    if n is None:
        return []
    labels = _ordered(_labels_at(n, mine, theirs), pd.concat([rows, other]))
    if not labels:
        return []
    this, that = str(rows["case"].iloc[0]), str(other["case"].iloc[0])
    body: list[tuple[str, ...]]
    if speedup:
        header: tuple[str, ...] = ("model", f"{that} median", f"{that} speedup", f"{this} median", f"{this} speedup")
        body = [
            (
                label,
                fmt_seconds(theirs[(label, n)]),
                fmt_ratio(theirs[(base, n)] / theirs[(label, n)]),
                fmt_seconds(mine[(label, n)]),
                fmt_ratio(mine[(base, n)] / mine[(label, n)]),
            )
            for label in labels
        ]
    else:
        header = ("model", that, this, f"{this} / {that}")
        body = [
            (
                label,
                fmt_seconds(theirs[(label, n)]),
                fmt_seconds(mine[(label, n)]),
                fmt_ratio(mine[(label, n)] / theirs[(label, n)]),
            )
            for label in labels
        ]
    title, text = fill(spec.get("title"), rows, n), fill(spec.get("text"), rows, n)
    return [f"#### {title}", "", text, "", table(header, body), ""]


def baseline_markdown(spec: Spec, rows: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """The chosen models' medians and speed-ups over the baseline model, at the largest task count they share."""
    base = baseline_name(rows) if not rows.empty else None
    if base is None:
        return []
    models = chosen(rows, spec.get("models"))
    title = f"#### {fill(spec.get('title'), rows)}"
    if models is None:
        return [title, "", f"Not shown: {NO_TRAITS}.", ""]
    medians = _medians(rows)
    model_of = rows.drop_duplicates("label").set_index("label")["backend"]
    labels = {str(lab) for lab, _ in medians.index if str(model_of[lab]) in models and lab != base}
    sizes = [m for m in sorted({int(m) for _, m in medians.index}, reverse=True) if (base, m) in medians.index]
    n = next((m for m in sizes if labels & _labels_at(m, medians)), None)
    if n is None:
        return []
    shown = _ordered(labels & _labels_at(n, medians), rows)
    body = [
        (label, fmt_seconds(medians[(label, n)]), fmt_ratio(medians[(base, n)] / medians[(label, n)]))
        for label in [base, *shown]
    ]
    return [
        f"#### {fill(spec.get('title'), rows, n)}",
        "",
        fill(spec.get("text"), rows, n),
        "",
        table(("model", "median", f"speedup over {base}"), body),
        "",
    ]


def below_ideal_markdown(rows: pd.DataFrame) -> list[str]:
    """Name every case of the workload whose median is below its ideal by more than the noise.

    Each case by its series, the parameters that tell the workload's cases apart, and its task count.
    """
    below = rows[below_ideal(rows)]
    if below.empty:
        return []
    varying = [p for p in param_columns(rows) if rows[p].notna().all() and rows[p].nunique() > 1]
    cases = ", ".join(
        f"{r['series']}"
        + (f" ({', '.join(f'{p}={fmt_param(r[p])}' for p in varying)})" if varying else "")
        + f" at {r['n_tasks']}: {fmt_ratio(r['times_ideal'])}"
        for _, r in below.iterrows()
    )
    return [f"{BELOW_IDEAL.capitalize()}: {cases} (the whole interquartile range is below the ideal).", ""]


#: Each kind of table by the name the declarations record it under.
KINDS: dict[str, Callable[[Spec, pd.DataFrame, pd.DataFrame], list[str]]] = {
    "note": note_markdown,
    "pair": lambda spec, rows, frame: pair_markdown(spec, rows),
    "readings": lambda spec, rows, frame: readings_markdown(spec, rows),
    "beside": beside_markdown,
    "baseline": baseline_markdown,
}


def tables_of(spec: Spec) -> list[Spec]:
    """The workload's declared tables, and a table of its readings where none lists them."""
    tables = [t for t in spec.get("tables") or [] if isinstance(t, Mapping)]
    readings = [r for r in spec.get("readings") or [] if isinstance(r, Mapping) and isinstance(r.get("key"), str)]
    if readings and not any(t.get("kind") == "readings" for t in tables):
        keys = [str(r["key"]) for r in readings]
        tables.append({"kind": "readings", "title": "Readings at {n} tasks", "text": "", "readings": keys})
    return [{**t, "reading_names": readings} for t in tables]


def workload_markdown(name: str, spec: Spec, frame: pd.DataFrame) -> list[str]:
    """One workload's declared tables, under one heading; nothing when none has figures in this run."""
    rows = frame[(frame["kind"] == "workload") & (frame["case"] == name)]
    if rows.empty:
        return []
    sized = rows.dropna(subset=["n_tasks", "median"])
    body: list[str] = []
    for table_spec in tables_of(spec):
        render = KINDS.get(str(table_spec.get("kind")))
        if render is None or sized.empty:
            continue
        try:
            body += render(table_spec, sized, frame)
        except (KeyError, TypeError, ValueError) as exc:
            # A declaration is data from run.json, perhaps edited by hand: it costs its own table only.
            body += [f"The `{table_spec.get('kind')}` table {name} declares cannot be read ({exc!r}).", ""]
    if not body:
        return []
    body += below_ideal_markdown(rows.dropna(subset=["median"]))
    heading = str(spec.get("heading") or "")
    return [f"### {name}" + (f": {heading}" if heading else ""), "", *body]


def workload_readings_markdown(frame: pd.DataFrame, manifest: Mapping[str, Any] | None) -> list[str]:
    """Every table the run's workloads declare and have the figures for (one line for a run without declarations)."""
    declared = declared_workloads(manifest)
    if declared is None:
        return predates_markdown(manifest) if (frame["kind"] == "workload").any() else []
    lines: list[str] = []
    for name, spec in declared.items():
        lines += workload_markdown(name, spec, frame)
    return lines
