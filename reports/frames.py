"""Selections of the tidy frame that the charts, the sentences and compare share.

Each chart and the sentence under it are computed from the same selection (the same
`n_tasks`, the same rows), so the numbers in the text are those the chart shows.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from reports.load import SERIES_PARAMS, fmt_param, param_columns
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
    """Name a case configuration for a title: `<workload> (latency_s=0.01)`."""
    return f"{case} ({config})" if config else case


def wrap(text: str, width: int = 80) -> str:
    """Wrap each line of a chart title at `width` characters, so none runs off the figure."""
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) for line in text.split("\n")
    )


def slug(*parts: str) -> str:
    """Make a file-name-safe slug from parts: `<workload>-latency_s-0.01`."""
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


#: What joins a series and the form of the work its model ran: `<model> · <its own API>`.
FORM_SEPARATOR = " · "
#: What follows a parameter's name in a `config` where each model ran its own value: `file_api by model`.
BY_MODEL = " by model"


def by_question(frame: pd.DataFrame, kind: str = "workload", *, name_forms: bool = True) -> pd.DataFrame:
    """The frame with each `kind` case's configurations joined where they answer one question.

    A case parameter that every row has splits a case into configurations (one chart
    each). When each model ran the case with one value of it and the models differ
    (each model reads files through its own API, say), the value is the form of the
    work that model needs, not a different question: the models belong on one chart.
    Such a parameter reads "by model" in the rows' `config` (`file_api by model`); with
    `name_forms` its value joins their `series` (`<model> · <its API>`), so a
    chart's legend says what each model ran. A parameter with several values for one model (the HTTP
    client, where every model ran both) still splits the case. Rows of other kinds
    are returned as they are.
    """
    frame = frame.copy()
    params = [p for p in param_columns(frame) if p not in SERIES_PARAMS]
    of_kind = frame[frame["kind"] == kind]
    for _, rows in of_kind.groupby("case", sort=False):
        forms = [p for p in params if _is_form(rows, p)]
        if not forms:
            continue
        kept, named = [], []
        for _, row in rows.iterrows():
            pieces = _config_pieces(row, params)
            values = [fmt_param(row[p]) for p in forms if p in pieces]
            kept.append(", ".join(f"{p}{BY_MODEL}" if p in forms else piece for p, piece in pieces.items()))
            named.append(f"{row['series']}{FORM_SEPARATOR}{', '.join(values)}" if values else row["series"])
        frame.loc[rows.index, "config"] = kept
        if name_forms:
            frame.loc[rows.index, "series"] = named
    return frame


def form_params(config: str) -> list[str]:
    """The parameters that `by_question` marked as each model's own form in `config`."""
    return [piece.removesuffix(BY_MODEL) for piece in config.split(", ") if piece.endswith(BY_MODEL)]


def _is_form(rows: pd.DataFrame, param: str) -> bool:
    """Whether `param` is the form of the work each model ran: one value per model, several in all."""
    if param not in rows or not bool(rows[param].notna().all()) or rows[param].nunique() < 2:
        return False
    return bool((rows.groupby("label")[param].nunique() == 1).all())


def _config_pieces(row: pd.Series, params: list[str]) -> dict[str, str]:
    """The `param=value` pieces of a row's `config`, by parameter, in the order it names them."""
    config = str(row["config"])
    found = {p: f"{p}={fmt_param(row[p])}" for p in params if pd.notna(row.get(p))}
    present = {p: piece for p, piece in found.items() if piece in config}
    return dict(sorted(present.items(), key=lambda item: config.index(item[1])))


def config_tags(configs: list[str]) -> dict[str, str]:
    """A short tag per configuration of one case, for file names: the pieces the others lack.

    One configuration gets no tag (`<workload>-scaling.png`); two HTTP clients get
    `client=minimal` and `client=idiomatic` (`<workload>-client-minimal-scaling.png`).
    """
    if len(configs) < 2:
        return {config: "" for config in configs}
    split = {config: config.split(", ") for config in configs}
    shared = set.intersection(*(set(pieces) for pieces in split.values()))
    return {config: ", ".join(p for p in pieces if p not in shared) for config, pieces in split.items()}


def ordered_series(rows: pd.DataFrame) -> list[str]:
    """Return the series of `rows` in the models' declared order (the registry's), variants by name."""
    rank = ranks(rows)
    pairs = rows[["series", "backend"]].drop_duplicates()
    return [s for s, _ in sorted(zip(pairs["series"], pairs["backend"], strict=True), key=lambda p: (rank[p[1]], p[0]))]


def common_n(
    rows: pd.DataFrame, by: str = "series", every: Iterable[str] | None = None, at_most: int | None = None
) -> int | None:
    """Return the largest n_tasks (up to `at_most`) that the groups of `rows` by column `by` share; None if none.

    The one rule for "the task count to compare at". By default most groups share it:
    a majority of those present (all of them when there are two or fewer), so one model
    that skipped the biggest size does not pull the comparison down to a smaller one,
    while a size only one or two models reached is not used. With `every`, each of
    those groups must have it (a group without rows shares none): what a claim about
    named models reads.
    """
    sized = rows.dropna(subset=["n_tasks"])
    if at_most is not None:
        sized = sized[sized["n_tasks"] <= at_most]
    if every is not None:
        wanted = {str(g) for g in every}
        sized = sized[sized[by].astype(str).isin(wanted)]
        if not wanted or set(sized[by].astype(str)) != wanted:
            return None
    if sized.empty:
        return None
    counts = sized.groupby("n_tasks")[by].nunique()
    total = sized[by].nunique()
    need = total if every is not None else min(total // 2 + 1, int(counts.max()))
    shared = counts[counts >= need]
    return int(shared.index.max()) if not shared.empty else None


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

    Columns: `series, model, n_tasks, median, speedup` (baseline median / median),
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
