"""Tables over one workload's cases, as its declaration asks: a parameter's two values side by side, its readings.

- :func:`pair_markdown`: each model's median with a parameter at one value and at
  another (an HTTP client minimal and idiomatic, say), their difference and ratio, at
  the largest task count most models ran with both;
- :func:`readings_markdown`: the measurements a workload records beside its time (a
  server's CPU per round, say), per series at the largest task count that measured
  them, with the case's marks.

Both take a declaration (``workloads.report_spec``, as ``run.json`` records it) and
the workload's rows of the tidy frame; neither names a workload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from reports.frames import common_n
from reports.load import param_columns, reading_column
from reports.markdown import table
from reports.marks import marks
from reports.models import ranks
from reports.units import fmt_bytes, fmt_ratio, fmt_seconds

Spec = Mapping[str, Any]


#: A declared title's mention of the task count, left out where no count was read.
_AT_N = re.compile(r",? at \{n\} tasks")


def fill_text(text: object, n: int | None = None, baseline: str | None = None) -> str:
    """A declared text with ``{n}`` and ``{baseline}`` filled in (without the task count where none was read)."""
    filled = str(text or "")
    filled = filled.replace("{n}", str(n)) if n is not None else _AT_N.sub("", filled).replace("{n}", "N")
    return filled.replace("{baseline}", baseline or "the baseline model")


def _fill(text: object, n: int | None) -> str:
    return fill_text(text, n)


def pairs(rows: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Pair each model's figures at the declared parameter's two values, at every n_tasks they share.

    Columns: the case key, ``first`` and ``second`` (medians), ``detail`` (the second
    row's declared detail column), ``cost`` (second - first) and ``ratio`` (second / first).
    """
    parameter, detail = str(spec.get("parameter")), spec.get("detail")
    empty = pd.DataFrame(columns=["label", "n_tasks", "first", "second", "detail", "cost", "ratio"])
    if parameter not in rows.columns:
        return empty
    key = ["label", "n_tasks", *(p for p in param_columns(rows) if p != parameter and rows[p].notna().any())]
    first = rows[rows[parameter] == spec.get("first")][[*key, "backend", "median"]].rename(columns={"median": "first"})
    second = rows[rows[parameter] == spec.get("second")]
    second = second.assign(detail=second[detail] if detail in second.columns else None)[[*key, "median", "detail"]]
    found = first.merge(second.rename(columns={"median": "second"}), on=key, how="inner")
    if found.empty:
        return empty
    return found.assign(cost=found["second"] - found["first"], ratio=found["second"] / found["first"])


def pair_markdown(spec: Spec, rows: pd.DataFrame) -> list[str]:
    """The parameter's two values side by side at the largest n_tasks most models ran with both."""
    found = pairs(rows, spec)
    if found.empty:
        return []
    n = common_n(found.assign(series=found["label"]))
    at = found[found["n_tasks"] == n] if n is not None else found
    rank = ranks(rows)
    at = at.assign(rank=[rank[b] for b in at["backend"]]).sort_values(["rank", "label"])
    first, second = str(spec.get("first")), str(spec.get("second"))
    detail = spec.get("detail")
    body = [
        (
            r.label,
            fmt_seconds(r.first),
            fmt_seconds(r.second),
            *([r.detail if isinstance(r.detail, str) else ""] if detail else []),
            ("+" if r.cost >= 0 else "-") + fmt_seconds(abs(r.cost)),
            fmt_ratio(r.ratio),
        )
        for r in at.itertuples()
    ]
    header = (
        "model",
        first,
        second,
        *([str(spec.get("detail_name") or f"{second} {detail}")] if detail else []),
        str(spec.get("difference") or f"{second} - {first}"),
        f"{second} / {first}",
    )
    lines = [f"#### {_fill(spec.get('title'), n)}", "", _fill(spec.get("text"), n), "", table(header, body), ""]
    same = spec.get("same_detail")
    own = at[~at["detail"].fillna("").astype(str).str.startswith(str(same))] if same else at
    if spec.get("dearest") and not own.empty:
        dearest = own.sort_values("cost").iloc[-1]
        what = f" ({dearest['detail']})" if isinstance(dearest["detail"], str) else ""
        lines += [
            f"{spec['dearest']} **{dearest['label']}**'s{what}: {fmt_seconds(dearest['second'])} against "
            f"{fmt_seconds(dearest['first'])} with {spec.get('parameter')}={first}, {fmt_ratio(dearest['ratio'])}.",
            "",
        ]
    return lines


def fmt_reading(value: Any, unit: str) -> str:
    """A reading's value as the report shows it, by its declared unit."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if unit == "seconds":
        return fmt_seconds(float(value))
    if unit == "cores":
        return f"{float(value):.2f}"
    if unit == "bytes":
        return fmt_bytes(float(value))
    if unit == "count":
        return f"{float(value):g}"
    if unit == "flag":
        return "yes" if value is True or value == 1.0 else "no"
    return str(value)


def _is_true(value: Any) -> bool:
    return value is True or value == 1.0


def readings_markdown(spec: Spec, rows: pd.DataFrame) -> list[str]:
    """The declared readings of every series at the largest n_tasks that measured them, with their marks."""
    declared = {str(r["key"]): r for r in spec.get("reading_names") or [] if isinstance(r, Mapping)}
    keys = [str(k) for k in spec.get("readings") or [] if reading_column(str(k)) in rows.columns]
    columns = [reading_column(k) for k in keys]
    measured = rows.dropna(subset=columns, how="all") if columns else rows.iloc[0:0]
    measured = measured.dropna(subset=["median"])
    if measured.empty:
        reason = reading_column(str(spec.get("reason"))) if spec.get("reason") else None
        why = "; ".join(str(r) for r in rows[reason].dropna().unique()) if reason in rows.columns else ""
        why = why or "this run recorded none of these readings"
        return [f"#### {_fill(spec.get('title'), None)}", "", f"Not measured: {why}.", ""]
    n = int(measured["n_tasks"].max()) if measured["n_tasks"].notna().any() else None
    top = measured[measured["n_tasks"] == n] if n is not None else measured
    rank = ranks(rows)
    top = top.assign(rank=[rank[str(b)] for b in top["backend"]]).sort_values(["rank", "series"], kind="stable")
    parameters = [p for p in spec.get("parameters") or [] if p in rows.columns]
    flag = reading_column(str(spec.get("flag"))) if spec.get("flag") else None
    flagged = measured[measured[flag].map(_is_true).astype(bool)] if flag in measured.columns else measured.iloc[0:0]
    flag_name = str(spec.get("flag_name") or spec.get("flag"))
    lines = [f"#### {_fill(spec.get('title'), n)}", ""]
    if spec.get("text"):
        lines += [_fill(spec.get("text"), n), ""]
    if flag is not None and flagged.empty:
        lines += [f"No case was {flag_name}.", ""]
    header = (
        "model",
        *parameters,
        "n_tasks",
        "median",
        "times ideal",
        *(str(declared.get(k, {}).get("name") or k) for k in keys),
        "mark",
    )
    body = [
        (
            r["series"],
            *(r[p] if pd.notna(r[p]) else "" for p in parameters),
            r["n_tasks"],
            fmt_seconds(r["median"]),
            fmt_ratio(r["times_ideal"]) if pd.notna(r["times_ideal"]) else "",
            *(
                fmt_reading(r[c], str(declared.get(k, {}).get("unit") or "text"))
                for k, c in zip(keys, columns, strict=True)
            ),
            "; ".join(marks(r)),
        )
        for _, r in top.iterrows()
    ]
    lines += [table(header, body), ""]
    elsewhere = flagged[flagged["n_tasks"] != n]
    if not elsewhere.empty:
        cases = ", ".join(
            f"{r.series}" + "".join(f" ({getattr(r, p)})" for p in parameters) + f" at {r.n_tasks}"
            for r in elsewhere.itertuples()
        )
        lines += [f"Also {flag_name}: {cases}.", ""]
    return lines
