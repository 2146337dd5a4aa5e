"""Markdown pieces shared by the run report and the comparison: tables and machines."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from reports.units import fmt_bytes

#: What a table cell shows where there is no value.
MISSING = "-"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Render a GitHub-flavoured Markdown table; `|` inside cells is escaped."""

    def cell(value: object) -> str:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def pivot_table(
    rows: pd.DataFrame,
    value: str,
    fmt: Callable[[float], str],
    *,
    index: str = "series",
    columns: str = "n_tasks",
    column_label: Callable[[Any], str] = lambda n: f"{n} task" if n == 1 else f"{n} tasks",
    order: Sequence[str] | None = None,
) -> str:
    """Render `value` as a table of `index` x `columns`, each cell formatted by `fmt`.

    Missing cells read `MISSING` (the model did not run that size, or it was skipped).
    """
    grid = rows.dropna(subset=[columns]).pivot_table(index=index, columns=columns, values=value, aggfunc="first")
    keys = [k for k in (order or list(grid.index)) if k in grid.index]
    header = [index.replace("_", " "), *(column_label(c) for c in grid.columns)]
    body = [[key, *(MISSING if pd.isna(v) else fmt(float(v)) for v in grid.loc[key])] for key in keys]
    return table(header, body)


def machine_rows(machine: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return `(field, value)` pairs describing one machine for a Markdown table."""
    memory = machine.get("memory_bytes")
    gil = machine.get("gil_enabled")
    return [
        ("machine id", f"`{machine.get('machine_id')}`"),
        ("CPU", str(machine.get("cpu_model"))),
        ("cores", str(machine.get("cpu_count") or "unknown")),
        ("memory", fmt_bytes(float(memory)) if isinstance(memory, (int, float)) else "unknown"),
        ("OS", str(machine.get("os") or "unknown")),
        ("Python", str(machine.get("python_build") or machine.get("python_version") or "unknown")),
        ("GIL", "unknown" if gil is None else ("enabled" if gil else "disabled")),
        ("default start method", str(machine.get("default_start_method") or "unknown")),
        ("models' packages", str(machine.get("packages") or "none recorded")),
    ]
