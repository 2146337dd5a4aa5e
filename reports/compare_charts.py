"""Charts of a comparison of runs: a combined frame in, a Figure out.

The frame is `reports.compare.combined_frame`'s: the runs' tidy rows stacked with a
`run` label and a `run_order` (0 is the baseline). A model keeps its colour; runs are
told apart by hatch (bars), panel (scaling) or line style and marker (lines).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from reports.charts import draw_scaling, legend_outside, tasks_axes, whiskers
from reports.frames import case_title, machine_title, ordered_series, wrap
from reports.models import baseline_colour, baseline_name, baseline_rows, colours
from reports.palette import RUN_HATCHES, RUN_LINESTYLES, RUN_MARKERS, series_styles
from reports.stats import FASTER, SLOWER
from reports.units import fmt_ratio, fmt_seconds, tick_formatter


def _runs(rows: pd.DataFrame) -> list[str]:
    """The run labels of `rows`, baseline first."""
    return list(rows.sort_values("run_order")["run"].drop_duplicates())


def _machines(rows: pd.DataFrame) -> str:
    """Say how many runs and machines a chart shows."""
    runs = rows["run"].nunique()
    machines = rows["fingerprint"].nunique() if "fingerprint" in rows else rows["machine_id"].nunique()
    return f"{runs} runs on {machines} machine{'s' if machines != 1 else ''}"


def grouped_bars_figure(rows: pd.DataFrame) -> Figure:
    """Plot median wall time as grouped bars, a panel per n_tasks: models x runs, log scale.

    Within a model's group each run is a bar in the model's colour with the run's
    hatch; whiskers are the 95% interval over processes. `rows` holds one workload configuration.
    """
    runs = _runs(rows)
    series = ordered_series(rows)
    ns = sorted(int(n) for n in rows["n_tasks"].dropna().unique())
    fig = Figure(figsize=(max(9.0, 4.5 + 0.4 * len(series) * len(runs)), 1.4 + 2.6 * len(ns)), layout="constrained")
    axes = fig.subplots(len(ns), 1, squeeze=False)[:, 0]
    width = 0.8 / len(runs)
    models = dict(zip(rows["series"], rows["backend"], strict=True))
    tints = colours(rows)
    for ax, n in zip(axes, ns, strict=True):
        at = rows[rows["n_tasks"] == n]
        for k, run in enumerate(runs):
            mine = at[at["run"] == run].set_index("series")
            present = [s for s in series if s in mine.index]
            x = np.array([series.index(s) for s in present], dtype=float) + (k - (len(runs) - 1) / 2) * width
            median = mine.loc[present, "median"].to_numpy(dtype=float)
            err = whiskers(mine.loc[present])
            ax.bar(
                x,
                median,
                width=width * 0.95,
                yerr=err,
                capsize=2,
                color=[tints[models[s]] for s in present],
                hatch=RUN_HATCHES[k % len(RUN_HATCHES)],
                edgecolor="white",
                linewidth=0.5,
                error_kw={"elinewidth": 1, "ecolor": "#333333"},
            )
        ax.set_yscale("log")
        tick_formatter(fmt_seconds, ax.yaxis)
        ax.set_xticks(
            range(len(series)),
            series,
            rotation=20 if len(series) > 4 else 0,
            ha="right" if len(series) > 4 else "center",
        )
        ax.set_ylabel(f"{n} task{'' if n == 1 else 's'}\nmedian wall time")
        ax.grid(True, axis="y", which="major", alpha=0.35)
    handles = [
        Patch(
            facecolor="#bbbbbb",
            edgecolor="white",
            hatch=RUN_HATCHES[k % len(RUN_HATCHES)],
            label=f"{run}{' (baseline)' if k == 0 else ''}",
        )
        for k, run in enumerate(runs)
    ]
    legend_outside(axes[0], handles=handles, title="run (hatch)")
    case, config = rows["case"].iloc[0], rows["config"].iloc[0]
    fig.suptitle(wrap(f"{case_title(case, config)}: median wall time by model and run, log scale\n{_machines(rows)}"))
    return fig


def scaling_runs_figure(rows: pd.DataFrame) -> Figure:
    """Plot wall time vs n_tasks once per run, side by side with a shared log y axis.

    Each panel is the run report's scaling chart for that run, titled with its label
    and machine, so the shapes can be compared across machines.
    """
    runs = _runs(rows)
    fig = Figure(figsize=(2.0 + 4.2 * len(runs), 5.0), layout="constrained")
    axes = fig.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    for ax, run in zip(axes, runs, strict=True):
        mine = rows[rows["run"] == run]
        draw_scaling(ax, mine)
        ax.set_title(wrap(f"{run}\n{machine_title(mine)}"), fontsize="small")
    axes[0].set_ylabel("median wall time, log scale")
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    legend_outside(axes[-1], handles=handles, labels=labels, title="model")
    case, config = rows["case"].iloc[0], rows["config"].iloc[0]
    fig.suptitle(
        wrap(
            f"{case_title(case, config)}: wall time vs number of tasks, per run "
            "(band: 95% interval over processes, dashed: ideal)\n"
            f"{_machines(rows)}"
        )
    )
    return fig


def normalised_figure(rows: pd.DataFrame) -> Figure | None:
    """Plot each model's time relative to its own run's baseline model, against n_tasks.

    Dividing by the same run's baseline median at the same n_tasks removes the
    machine's speed, so runs of different machines compare by shape. Each run's
    baseline is the one its manifest declares. Colour is the model, line style and
    marker the run. None when no run has baseline rows.
    """
    runs = _runs(rows)
    base = baseline_rows(rows)[["run", "n_tasks", "median"]].drop_duplicates(["run", "n_tasks"])
    if base.empty:
        return None
    name = baseline_name(rows)
    merged = rows[~rows["model_baseline"].astype(bool)].merge(
        base.rename(columns={"median": "baseline_median"}), on=["run", "n_tasks"]
    )
    if merged.empty:
        return None
    merged["relative"] = merged["median"] / merged["baseline_median"]
    fig = Figure(figsize=(10.0, 5.6), layout="constrained")
    ax = fig.add_subplot()
    styles = series_styles(merged)
    for series in ordered_series(merged):
        for k, run in enumerate(runs):
            line = merged[(merged["series"] == series) & (merged["run"] == run)].sort_values("n_tasks")
            if line.empty:
                continue
            ax.plot(
                line["n_tasks"].to_numpy(dtype=float),
                line["relative"].to_numpy(dtype=float),
                color=styles[series].colour,
                linestyle=RUN_LINESTYLES[k % len(RUN_LINESTYLES)],
                marker=RUN_MARKERS[k % len(RUN_MARKERS)],
                markersize=5,
            )
    ax.axhline(1.0, color=baseline_colour(rows), linewidth=1.5)
    tasks_axes(ax, fmt_ratio, f"median / same run's {name} median (x), log scale\nbelow 1: faster than {name}")
    handles = [Line2D([], [], color=styles[s].colour, linewidth=3, label=s) for s in ordered_series(merged)]
    handles.append(Line2D([], [], color=baseline_colour(rows), linewidth=1.5, label=f"{name} (1x)"))
    handles += [
        Line2D(
            [],
            [],
            color="#444444",
            linestyle=RUN_LINESTYLES[k % len(RUN_LINESTYLES)],
            marker=RUN_MARKERS[k % len(RUN_MARKERS)],
            label=run,
        )
        for k, run in enumerate(runs)
    ]
    legend_outside(ax, handles=handles, title="model (colour) · run (line)")
    case, config = rows["case"].iloc[0], rows["config"].iloc[0]
    ax.set_title(wrap(f"{case_title(case, config)}: time relative to each run's own {name}\n{_machines(rows)}"))
    return fig


def ratio_figure(ratios: pd.DataFrame) -> Figure:
    """Plot run / baseline ratios of one case with the interval that decided each, a row per model and size.

    The x axis is logarithmic with a line at 1 (no change) and dotted lines at the
    margin; filled markers are cases judged slower or faster, hollow ones "no
    difference", "not resolved" or "inconclusive",
    and cases measured in one process show the ratio alone. `ratios` holds rows of
    `reports.compare.ratio_table` for one case.
    """
    runs = list(ratios.sort_values("run_order")["run"].drop_duplicates())
    keys = ratios.drop_duplicates(["series", "config", "n_tasks"])
    order = ordered_series(keys)
    keys = keys.assign(rank=keys["series"].map(order.index)).sort_values(["rank", "config", "n_tasks"])
    many_configs = keys["config"].nunique() > 1
    labels = [
        f"{r.series} · n={'-' if pd.isna(r.n_tasks) else int(r.n_tasks)}"
        + (f" · {r.config}" if many_configs and r.config else "")
        for r in keys.itertuples()
    ]
    fig = Figure(figsize=(9.5, 1.8 + 0.32 * len(keys) * max(1, len(runs)) ** 0.5), layout="constrained")
    ax = fig.add_subplot()
    step = 0.6 / max(len(runs), 1)
    for k, run in enumerate(runs):
        mine = ratios[ratios["run"] == run]
        for i, key in enumerate(keys.itertuples()):
            match = mine[
                (mine["series"] == key.series)
                & (mine["config"] == key.config)
                & (mine["n_tasks"].fillna(-1) == (-1 if pd.isna(key.n_tasks) else key.n_tasks))
            ]
            if match.empty:
                continue
            r = match.iloc[0]
            y = i + (k - (len(runs) - 1) / 2) * step
            tint = str(r["model_colour"])
            if pd.notna(r["ci_low"]):
                ax.errorbar(
                    [r["ratio"]],
                    [y],
                    xerr=[[r["ratio"] - r["ci_low"]], [r["ci_high"] - r["ratio"]]],
                    color=tint,
                    capsize=3,
                    linewidth=1.2,
                )
            ax.plot(
                [r["ratio"]],
                [y],
                marker=RUN_MARKERS[k % len(RUN_MARKERS)],
                markersize=7,
                color=tint,
                markerfacecolor=tint if r["verdict"] in (SLOWER, FASTER) else "white",
                linestyle="none",
            )
    ax.axvline(1.0, color="#333333", linewidth=1)
    if "margin" in ratios and ratios["margin"].notna().any():
        margin = float(ratios["margin"].dropna().iloc[0])
        for edge in (1.0 + margin, 1.0 / (1.0 + margin)):
            ax.axvline(edge, color="#333333", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    # Keep 1x well inside the axis and at least 0.8x-1.25x in view, so a ratio of
    # 0.99x does not look like a big move on a zoomed-in axis.
    spread = pd.concat([ratios["ratio"], ratios["ci_low"], ratios["ci_high"]]).dropna()
    spread = spread[spread > 0]
    if not spread.empty:
        ax.set_xlim(min(float(spread.min()) / 1.1, 0.8), max(float(spread.max()) * 1.1, 1.25))
    tick_formatter(fmt_ratio, ax.xaxis)
    ax.set_yticks(range(len(labels)), labels, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel(
        wrap(
            "run figure / baseline figure (x), log scale; whiskers: the interval that decided the verdict; "
            "dotted: the margin; right of 1: slower"
        )
    )
    ax.grid(True, axis="x", which="both", alpha=0.25)
    handles = [
        Line2D([], [], color="#444444", marker=RUN_MARKERS[k % len(RUN_MARKERS)], linestyle="none", label=run)
        for k, run in enumerate(runs)
    ]
    handles += [
        Line2D(
            [], [], color="#444444", marker="o", markerfacecolor="#444444", linestyle="none", label="slower or faster"
        ),
        Line2D(
            [],
            [],
            color="#444444",
            marker="o",
            markerfacecolor="white",
            linestyle="none",
            label="no difference, not resolved or inconclusive",
        ),
    ]
    legend_outside(ax, handles=handles, title="run (marker)")
    baseline = ratios["baseline"].iloc[0]
    ax.set_title(
        wrap(
            f"{ratios['case'].iloc[0]}: each run's figure over the baseline's, with its deciding interval\n"
            f"baseline: {baseline}",
            width=60,
        )
    )
    return fig
