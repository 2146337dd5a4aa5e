"""Selections of the tidy frame that the charts, the sentences and compare share.

Each chart and the sentence under it are computed from the same selection (the same
`n_tasks`, the same rows), so the numbers in the text are those the chart shows.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Iterator

import numpy as np
import pandas as pd

from reports.models import MODEL_COLUMNS, baseline_rows, ranks, with_models


def machine_title(frame: pd.DataFrame) -> str:
    """Describe the machine a frame was measured on: `AMD EPYC 7B13, 2 cores`."""
    machines = frame.drop_duplicates(["cpu_model", "cpu_count"])
    if len(machines) != 1:
        return f"{frame['machine_id'].nunique()} machines"
    row = machines.iloc[0]
    cores = row["cpu_count"]
    cores_text = f", {int(cores)} cores" if pd.notna(cores) else ""
    return f"{row['cpu_model']}{cores_text}"


def case_title(case: str, config: str) -> str:
    """Name a case configuration for a title: `sleep (sleep_s=0.01)`."""
    return f"{case} ({config})" if config else case


def wrap(text: str, width: int = 80) -> str:
    """Wrap each line of a chart title at `width` characters, so none runs off the figure."""
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) for line in text.split("\n")
    )


def slug(*parts: str) -> str:
    """Make a file-name-safe slug from parts: `sleep-sleep_s-0.01`."""
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-.").lower() or "chart"


#: The longest chart file name, ``.png`` included: a name a user can read in a listing.
MAX_FILE_NAME = 60


def chart_file(*parts: str) -> str:
    """The file name of a chart: ``slug(*parts) + ".png"``, at most :data:`MAX_FILE_NAME` characters.

    A longer slug keeps its readable start and ends in eight hex digits of its
    whole text's hash, so two charts whose names differ only past the cut still get
    two files, and the same chart always the same one.
    """
    stem = slug(*parts)
    room = MAX_FILE_NAME - len(".png")
    if len(stem) > room:
        digest = hashlib.sha1(stem.encode()).hexdigest()[:8]
        stem = stem[: room - len(digest) - 1].rstrip("-.") + "-" + digest
    return f"{stem}.png"


def case_groups(frame: pd.DataFrame, kind: str) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield `(case, config, rows)` for every configuration of every case of `kind`.

    Cases come in the order they first appear in the frame, configurations sorted.
    """
    rows_of_kind = frame[frame["kind"] == kind]
    for case in rows_of_kind["case"].drop_duplicates():
        of_case = rows_of_kind[rows_of_kind["case"] == case]
        for config in sorted(of_case["config"].unique()):
            yield str(case), str(config), of_case[of_case["config"] == config]


def ordered_series(rows: pd.DataFrame) -> list[str]:
    """Return the series of `rows` in the models' declared order (the registry's), variants by name."""
    rank = ranks(rows)
    pairs = rows[["series", "backend"]].drop_duplicates()
    return [s for s, _ in sorted(zip(pairs["series"], pairs["backend"], strict=True), key=lambda p: (rank[p[1]], p[0]))]


def common_n(rows: pd.DataFrame) -> int | None:
    """Return the largest n_tasks that most series share, or None without n_tasks.

    "Most" is a majority of the series present (all of them when there are two or
    fewer), so one model that skipped the biggest size does not pull the comparison
    down to a smaller one, while a size only one or two models reached is not used.
    """
    sized = rows.dropna(subset=["n_tasks"])
    if sized.empty:
        return None
    counts = sized.groupby("n_tasks")["series"].nunique()
    total = sized["series"].nunique()
    need = min(total // 2 + 1, int(counts.max()))
    return int(counts[counts >= need].index.max())


def at_n(rows: pd.DataFrame, n_tasks: int | None) -> pd.DataFrame:
    """Return the rows measured at `n_tasks` (all rows if it is None)."""
    if n_tasks is None:
        return rows
    return rows[rows["n_tasks"] == n_tasks]


def largest_n_each(rows: pd.DataFrame) -> pd.DataFrame:
    """Return, for every series, its row with the largest n_tasks."""
    ordered = rows.sort_values("n_tasks", na_position="first")
    return ordered.drop_duplicates("series", keep="last")


def speedups(rows: pd.DataFrame) -> pd.DataFrame:
    """Return each series' speedup over the run's baseline model at each n_tasks of `rows`.

    Columns: `series, backend, n_tasks, median, speedup` (baseline median / median),
    `ideal_speedup` (baseline median / ideal_s) and the model columns
    (`reports.models.MODEL_COLUMNS`). Empty without baseline rows.
    """
    rows = with_models(rows)
    columns = ["series", "backend", "n_tasks", "median", "speedup", "ideal_speedup", *MODEL_COLUMNS]
    base = baseline_rows(rows)[["n_tasks", "median"]]
    if base.empty:
        return pd.DataFrame(columns=columns)
    base = base.drop_duplicates("n_tasks").rename(columns={"median": "baseline_median"})
    merged = rows.merge(base, on="n_tasks", how="inner")
    merged["speedup"] = merged["baseline_median"] / merged["median"]
    merged["ideal_speedup"] = merged["baseline_median"] / merged["ideal_s"]
    return merged[columns]


def spans_decades(values: pd.Series | np.ndarray, factor: float = 20.0) -> bool:
    """Tell whether positive `values` span more than `factor` (then use a log scale)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    return bool(finite.size) and float(finite.max() / finite.min()) > factor
