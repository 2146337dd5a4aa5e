"""Charts of the workloads: one function per figure, a tidy frame in, a Figure out.

The figures are built with `matplotlib.figure.Figure` directly, not through pyplot, so
no global figure registry holds them: a figure is freed as soon as the caller drops
it. The entry point picks the Agg model; these functions never draw to a screen.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, LogNorm, to_rgb
from matplotlib.figure import Figure

from reports.frames import (
    at_n,
    case_groups,
    case_title,
    common_n,
    machine_title,
    ordered_series,
    spans_decades,
    speedups,
    wrap,
)
from reports.marks import SERVER_BOUND, below_ideal, distance_from_ideal, server_bound
from reports.models import baseline_colour, baseline_name
from reports.palette import IDEAL_COLOUR, series_styles
from reports.units import fmt_ratio, fmt_seconds, tick_formatter

FIGSIZE = (9.0, 5.2)
#: The widest a series' label runs on one line, in characters, in a legend or beside a bar.
LABEL_WIDTH = 30


def series_label(series: str) -> str:
    """A series' name as a chart shows it: wrapped onto lines of `LABEL_WIDTH` characters.

    A model's series can carry the form of the work it ran (`<model> · <its own API, in
    words>`); unwrapped, such a label would squeeze the plot and push its title off the
    figure.
    """
    return textwrap.fill(series, LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)


def _ideal_line(ax: Axes, ideal: pd.Series) -> None:
    """Draw the ideal (a value per n_tasks) as the dashed reference line."""
    if not ideal.empty:
        ax.plot(
            ideal.index.to_numpy(dtype=float),
            ideal.to_numpy(dtype=float),
            linestyle="--",
            color=IDEAL_COLOUR,
            linewidth=1.2,
            label="ideal",
        )


def tasks_axes(ax: Axes, fmt: Callable[[float], str], ylabel: str | None = None) -> None:
    """Log-log axes over the number of tasks, the y ticks written with `fmt`, a light grid."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    tick_formatter(fmt, ax.yaxis)
    ax.set_xlabel("tasks (n_tasks), log scale")
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)


def legend_outside(ax: Axes, **kwargs: Any) -> None:
    """Put `ax`'s legend to the right of it, outside the data, top-aligned with it.

    An axes legend (not a figure legend) is part of the axes' bounding box, so the
    constrained layout makes room for it and it never covers a title or a line.
    """
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small", **kwargs)


def interval(rows: pd.DataFrame, *, per_op: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 95% interval (over processes) of each row's figure, per operation if `per_op`.

    A row measured in one process has no interval: both ends are the figure itself,
    so its whisker or band has no width rather than a made-up one.
    """
    value = rows["per_op_s" if per_op else "median"].to_numpy(dtype=float)
    per = rows["ops_per_round"].to_numpy(dtype=float) if per_op else 1.0
    low = rows["ci_low"].to_numpy(dtype=float) / per
    high = rows["ci_high"].to_numpy(dtype=float) / per
    return np.where(np.isfinite(low), low, value), np.where(np.isfinite(high), high, value)


def whiskers(rows: pd.DataFrame, *, per_op: bool = False) -> np.ndarray:
    """Error-bar lengths (below; above) of each row's figure from its 95% interval."""
    low, high = interval(rows, per_op=per_op)
    value = rows["per_op_s" if per_op else "median"].to_numpy(dtype=float)
    return np.vstack([np.clip(value - low, 0, None), np.clip(high - value, 0, None)])


def draw_scaling(ax: Axes, rows: pd.DataFrame, *, show_ideal: bool = True) -> None:
    """Draw median wall time vs n_tasks on `ax`: a line per series, 95% interval bands, ideal.

    `rows` holds one workload configuration. Both axes are logarithmic.
    """
    styles = series_styles(rows)
    for series in ordered_series(rows):
        line = rows[rows["series"] == series].dropna(subset=["n_tasks"]).sort_values("n_tasks")
        style = styles[series]
        x = line["n_tasks"].to_numpy(dtype=float)
        band_low, band_high = interval(line)
        ax.fill_between(
            x,
            band_low,
            band_high,
            color=style.colour,
            alpha=0.18,
            linewidth=0,
        )
        ax.plot(
            x,
            line["median"].to_numpy(dtype=float),
            color=style.colour,
            linestyle=style.linestyle,
            marker=style.marker,
            markersize=5,
            label=series_label(series),
        )
    if show_ideal:
        _ideal_line(ax, rows.dropna(subset=["n_tasks", "ideal_s"]).groupby("n_tasks")["ideal_s"].median())
    tasks_axes(ax, fmt_seconds)


def scaling_figure(rows: pd.DataFrame) -> Figure:
    """Plot one workload's median wall time against n_tasks, log-log, one line per model.

    The shaded band around each line is the 95% interval over processes; the
    dashed black line is the workload's ideal. `rows` holds one case configuration.
    """
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    draw_scaling(ax, rows)
    ax.set_ylabel("median wall time, log scale")
    case, config = rows["case"].iloc[0], rows["config"].iloc[0]
    ax.set_title(
        wrap(
            f"{case_title(case, config)}: wall time vs number of tasks, by model\n"
            f"{machine_title(rows)} · band: 95% interval over processes · dashed: ideal"
        )
    )
    legend_outside(ax, title="model")
    return fig


def bars_figure(rows: pd.DataFrame) -> Figure:
    """Plot one workload's models as horizontal bars at the largest common n_tasks.

    Bars are sorted fastest first (top), whiskers span the 95% interval over processes, the
    dashed line is the ideal, and each bar is labelled with its median and distance
    from ideal, and marked "below ideal" or "server-bound" where it is. `rows` holds
    one case configuration.
    """
    n = common_n(rows)
    at = at_n(rows, n).sort_values("median")
    styles = series_styles(at)
    labels = [series_label(s) for s in at["series"]]
    # A bar is as tall as its longest label needs, so wrapped labels never overlap.
    per_bar = 0.45 + 0.18 * (max((label.count("\n") for label in labels), default=0))
    fig = Figure(figsize=(FIGSIZE[0], 1.6 + per_bar * len(at)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(at))
    median = at["median"].to_numpy(dtype=float)
    low, high = whiskers(at)
    ax.barh(
        y,
        median,
        xerr=np.vstack([low, high]),
        color=[styles[s].colour for s in at["series"]],
        capsize=3,
        error_kw={"elinewidth": 1, "ecolor": "#333333"},
    )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ideal = at["ideal_s"].dropna()
    log = spans_decades(pd.concat([at["median"], ideal]))
    top = float(np.nanmax(median + high))
    if log:
        ax.set_xscale("log")
        ax.set_xlim(float(np.nanmin(median - low)) / 3, top * 8)
        ax.set_xlabel("median wall time, log scale; whiskers: 95% interval over processes")
    else:
        ax.set_xlim(0, top * 1.45)
        ax.set_xlabel("median wall time; whiskers: 95% interval over processes")
    tick_formatter(fmt_seconds, ax.xaxis)
    flagged = [_cell_marks(at.loc[[index]]).replace("\n", " · ") for index in at.index]
    for yi, row, right, marks in zip(y, at.itertuples(), median + high, flagged, strict=True):
        text = fmt_seconds(row.median)
        if pd.notna(row.times_ideal):
            text += f" · {fmt_ratio(row.times_ideal)} ideal"
        text += marks
        ax.text(right * 1.06 if log else right + top * 0.02, float(yi), text, va="center", fontsize="small")
    if not ideal.empty:
        value = float(ideal.median())
        ax.axvline(value, linestyle="--", color=IDEAL_COLOUR, linewidth=1.2)
        ax.text(
            value,
            1.0,
            f" ideal {fmt_seconds(value)}",
            transform=ax.get_xaxis_transform(),
            ha="left",
            va="bottom",
            fontsize="small",
        )
    ax.grid(True, axis="x", which="major", alpha=0.35)
    case, config = rows["case"].iloc[0], rows["config"].iloc[0]
    ax.set_title(
        wrap(f"{case_title(case, config)} at {n} tasks: models by median wall time\n{machine_title(rows)}"), pad=16
    )
    return fig


def heatmap_figure(frame: pd.DataFrame) -> Figure:
    """Plot "times ideal" (median / ideal_s) as a heatmap of models x workloads.

    Each workload column is taken at its own largest common n_tasks (named in the
    column label); 1.0x is ideal. Cells are annotated with the ratio and coloured by
    its distance from 1.0 on a log scale, so a median below its ideal is never
    coloured as the best: it is marked "below ideal", as a server-bound case is
    marked "server-bound". A model that did not run a workload shows "n/a".
    """
    columns: list[tuple[str, pd.DataFrame]] = []
    for case, config, rows in case_groups(frame, "workload"):
        n = common_n(rows)
        details = [*config.split(", "), f"{n} tasks"] if config else [f"{n} tasks"]
        label = "\n".join([case, *(textwrap.shorten(d, 28, placeholder="...") for d in details)])
        columns.append((label, at_n(rows, n)))
    workloads = frame[frame["kind"] == "workload"]
    series = ordered_series(workloads)
    values = np.full((len(series), len(columns)), np.nan)
    notes: dict[tuple[int, int], str] = {}
    for j, (_, rows) in enumerate(columns):
        for i, name in enumerate(series):
            match = rows.loc[rows["series"] == name]
            if not match.empty:
                values[i, j] = float(match["times_ideal"].iloc[0])
                notes[(i, j)] = _cell_marks(match.iloc[[0]])
    fig = Figure(figsize=(3.2 + 1.9 * max(len(columns), 1), 1.9 + 0.5 * max(len(series), 1)), layout="constrained")
    ax = fig.add_subplot()
    distance = distance_from_ideal(values)
    finite = distance[np.isfinite(distance)]
    top = float(finite.max()) if finite.size else 2.0
    # The colours saturate at 10x from ideal, so that 1.0x, 1.5x and 3x stay apart
    # even when one cell (one-at-a-time sleepers) is a hundred times the ideal.
    norm = LogNorm(vmin=1.0, vmax=min(max(top, 2.0), 10.0), clip=True)
    cmap = _ratio_cmap()
    image = ax.imshow(np.ma.masked_invalid(distance), cmap=cmap, norm=norm, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        if math.isfinite(value):
            r, g, b = to_rgb(cmap(norm(distance[i, j])))
            ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            text = fmt_ratio(value) + notes.get((i, j), "")
            ax.text(j, i, text, ha="center", va="center", color=ink, fontsize="small")
        else:
            ax.text(j, i, "n/a", ha="center", va="center", color="#666666", fontsize="small")
    ax.set_xticks(range(len(columns)), [label for label, _ in columns])
    ax.set_yticks(range(len(series)), series)
    ax.tick_params(top=True, bottom=False, labeltop=True, labelbottom=False)
    bar = fig.colorbar(
        image,
        ax=ax,
        extend="max" if top > 10.0 else "neither",
        label="distance from ideal, log scale",
    )
    tick_formatter(fmt_ratio, bar.ax.yaxis)
    ax.set_title(wrap(f"Distance from ideal by model and workload (1.0x = ideal)\n{machine_title(frame)}"))
    return fig


def _cell_marks(row: pd.DataFrame) -> str:
    """The marks under a heatmap cell's ratio: below ideal, server-bound."""
    text = ""
    if bool(below_ideal(row).iloc[0]):
        text += "\nbelow ideal"
    if bool(server_bound(row).iloc[0]):
        text += "\n" + SERVER_BOUND
    return text


def _ratio_cmap() -> Colormap:
    """The colour map of "times ideal": green at ideal, through yellow, to red."""
    return colormaps["RdYlGn_r"].with_extremes(bad="#eeeeee")


def speedup_figure(rows: pd.DataFrame) -> Figure | None:
    """Plot each model's speedup over the run's baseline model against n_tasks, log-log.

    Speedup is the baseline's median / the model's median at the same n_tasks; the
    dashed line is the ideal speedup (baseline / ideal_s) and the line at 1, in the
    baseline's colour, is the baseline itself. The baseline is the model the run's
    manifest declares (`reports.models`). Returns None when `rows` has no baseline
    rows to divide by.
    """
    table = speedups(rows)
    base = baseline_name(table)
    others = table[~table["model_baseline"].astype(bool)]
    if base is None or others.empty:
        return None
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    styles = series_styles(others)
    for series in ordered_series(others):
        line = others[others["series"] == series].sort_values("n_tasks")
        style = styles[series]
        ax.plot(
            line["n_tasks"].to_numpy(dtype=float),
            line["speedup"].to_numpy(dtype=float),
            color=style.colour,
            linestyle=style.linestyle,
            marker=style.marker,
            markersize=5,
            label=series_label(series),
        )
    _ideal_line(ax, table.dropna(subset=["ideal_speedup"]).groupby("n_tasks")["ideal_speedup"].median())
    ax.axhline(1.0, color=baseline_colour(table), linewidth=1.5, label=f"{base} (1x)")
    tasks_axes(ax, fmt_ratio, f"speedup over {base} (x), log scale; higher is better")
    case, config = rows["case"].iloc[0], rows["config"].iloc[0]
    ax.set_title(wrap(f"{case_title(case, config)}: speedup over {base} vs number of tasks\n{machine_title(rows)}"))
    legend_outside(ax, title="model")
    return fig
