"""Charts of the micro-costs (spawn, switch, ipc, memory): a tidy frame in, a Figure out.

Per-op times are the round time divided by `ops_per_round`; the whiskers are the
95% interval over processes divided the same way. Like `reports.charts`, figures are
made without pyplot, so nothing keeps them alive once the caller drops them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.charts import legend_outside, whiskers
from reports.frames import case_title, largest_n_each, machine_title, ordered_series, spans_decades, wrap
from reports.palette import RUN_HATCHES, series_styles
from reports.units import byte_unit, fmt_bytes, fmt_rate, fmt_seconds, tick_formatter, time_unit


def micro_cost_figure(rows: pd.DataFrame, operation: str = "operation") -> Figure:
    """Plot the per-op cost of one micro-cost as horizontal bars, cheapest first.

    `operation` names one operation in the labels, as the run declares it
    (`reports.micro_costs`). Each model is shown at its largest n_tasks (named next
    to its bar); the x axis is logarithmic when the costs span decades, as spawn's do
    (a coroutine vs a process).
    """
    at = largest_n_each(rows).sort_values("per_op_s")
    styles = series_styles(at)
    per_op = at["per_op_s"].to_numpy(dtype=float)
    low, high = whiskers(at, per_op=True)
    log = spans_decades(per_op)
    unit, scale = ("s", 1.0) if log else time_unit(per_op)
    # Labels name the mechanism and placement too: widen the figure so the bars keep their room.
    longest = max((len(str(series)) for series in at["series"]), default=0)
    width = max(9.0, 6.0 + 0.09 * longest)
    fig = Figure(figsize=(width, 1.6 + 0.45 * len(at)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(at))
    ax.barh(
        y,
        per_op / scale,
        xerr=np.vstack([low, high]) / scale,
        color=[styles[s].colour for s in at["series"]],
        capsize=3,
        error_kw={"elinewidth": 1, "ecolor": "#333333"},
    )
    ax.set_yticks(y, list(at["series"]))
    ax.invert_yaxis()
    right = (per_op + high) / scale
    if log:
        ax.set_xscale("log")
        ax.set_xlim(float(np.nanmin((per_op - low) / scale)) / 3, float(np.nanmax(right)) * 20)
        tick_formatter(fmt_seconds, ax.xaxis)
    else:
        ax.set_xlim(0, float(np.nanmax(right)) * 1.45)
    top = float(np.nanmax(right))
    for yi, row, end in zip(y, at.itertuples(), right, strict=True):
        n = "" if pd.isna(row.n_tasks) else f" ({int(row.n_tasks)} tasks)"
        ax.text(
            end * 1.06 if log else end + top * 0.02,
            float(yi),
            f"{fmt_seconds(row.per_op_s)}{n}",
            va="center",
            fontsize="small",
        )
    micro, config = str(rows["case"].iloc[0]), str(rows["config"].iloc[0])
    ax.set_xlabel(
        f"time per {operation}{', log scale' if log else f' ({unit})'}; whiskers: 95% interval over processes"
    )
    ax.grid(True, axis="x", which="major", alpha=0.35)
    ax.set_title(
        wrap(
            f"{case_title(micro, config)}: cost of one {operation} by model, cheapest first\n{machine_title(rows)}",
            # The title sits over the bars only, which the labels leave narrower than the figure.
            width=max(40, int(80 * (width - 0.09 * longest - 1.0) / 8.0)),
        )
    )
    return fig


def _ipc_lines(rows: pd.DataFrame) -> list[tuple[str, str, str, pd.DataFrame]]:
    """Split ipc rows into `(series, model, channel, rows by payload)`, one per line.

    Where a series measured a payload at several n_tasks, the largest is kept.
    """
    lines = []
    for series in ordered_series(rows):
        of_series = rows[rows["series"] == series]
        for channel in sorted(of_series["channel"].astype(str).unique()):
            line = of_series[of_series["channel"].astype(str) == channel]
            line = line.sort_values("n_tasks").drop_duplicates("payload_bytes", keep="last")
            lines.append((series, str(line["backend"].iloc[0]), channel, line.sort_values("payload_bytes")))
    return lines


def ipc_cost_figure(rows: pd.DataFrame) -> Figure:
    """Plot ipc per-message cost as grouped bars: a group per payload size, a bar per channel.

    Bars keep their model's colour; channels are told apart by hatch. The y axis is
    logarithmic. `rows` holds every ipc row (columns `channel`, `payload_bytes`).
    """
    lines = _ipc_lines(rows)
    payloads = sorted(rows["payload_bytes"].dropna().unique())
    channels = sorted({channel for _, _, channel, _ in lines})
    styles = series_styles(rows)
    fig = Figure(figsize=(10.0, max(5.4, 1.6 + 0.24 * len(lines))), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(len(lines), 1)
    for k, (series, _, channel, line) in enumerate(lines):
        x = np.array([payloads.index(p) for p in line["payload_bytes"]], dtype=float)
        x += (k - (len(lines) - 1) / 2) * width
        per_op = line["per_op_s"].to_numpy(dtype=float)
        err = whiskers(line, per_op=True)
        ax.bar(
            x,
            per_op,
            width=width * 0.95,
            yerr=err,
            capsize=2,
            color=styles[series].colour,
            hatch=RUN_HATCHES[channels.index(channel) % len(RUN_HATCHES)],
            edgecolor="white",
            linewidth=0.5,
            label=f"{series} · {channel}",
            error_kw={"elinewidth": 1, "ecolor": "#333333"},
        )
    ax.set_xticks(range(len(payloads)), [fmt_bytes(float(p)) for p in payloads])
    ax.set_yscale("log")
    tick_formatter(fmt_seconds, ax.yaxis)
    ax.set_xlabel("payload per message (bytes)")
    ax.set_ylabel("time per message, log scale")
    ax.grid(True, axis="y", which="major", alpha=0.35)
    ax.set_title(wrap(f"ipc: cost of one message by payload size, model and channel\n{machine_title(rows)}"))
    legend_outside(ax, title="model · channel")
    return fig


def ipc_throughput_figure(rows: pd.DataFrame) -> Figure:
    """Plot ipc throughput (payload bytes / time per message) against payload size, log-log.

    One line per model and channel: colour is the model, marker and line the channel.
    """
    lines = _ipc_lines(rows)
    channels = sorted({channel for _, _, channel, _ in lines})
    styles = series_styles(rows)
    fig = Figure(figsize=(10.0, max(5.4, 1.6 + 0.24 * len(lines))), layout="constrained")
    ax = fig.add_subplot()
    markers = ("o", "s", "^", "D", "v", "P")
    linestyles = ("-", "--", ":", "-.")
    for series, _, channel, line in lines:
        index = channels.index(channel)
        payload = line["payload_bytes"].to_numpy(dtype=float)
        ax.plot(
            payload,
            payload / line["per_op_s"].to_numpy(dtype=float),
            color=styles[series].colour,
            marker=markers[index % len(markers)],
            linestyle=linestyles[index % len(linestyles)],
            label=f"{series} · {channel}",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    tick_formatter(fmt_bytes, ax.xaxis)
    tick_formatter(fmt_rate, ax.yaxis)
    ax.set_xlabel("payload per message (bytes), log scale")
    ax.set_ylabel("throughput (bytes/s), log scale")
    ax.grid(True, which="major", alpha=0.35)
    ax.set_title(wrap(f"ipc: throughput by payload size, model and channel, higher is better\n{machine_title(rows)}"))
    legend_outside(ax, title="model · channel")
    return fig


def memory_figure(rows: pd.DataFrame) -> Figure:
    """Plot memory per live task as grouped bars: a group per n_tasks, a bar per model.

    The y axis is logarithmic when the models span decades (a process holds
    megabytes, a coroutine about a kilobyte); each bar is labelled with its value.
    """
    ns = sorted(int(n) for n in rows["n_tasks"].dropna().unique())
    series_list = ordered_series(rows)
    styles = series_styles(rows)
    values = rows["bytes_per_task"].to_numpy(dtype=float)
    log = spans_decades(values)
    unit, scale = ("bytes", 1.0) if log else byte_unit(values)
    fig = Figure(figsize=(11.0, 5.4), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(len(series_list), 1)
    for k, series in enumerate(series_list):
        bars = rows[rows["series"] == series].dropna(subset=["n_tasks", "bytes_per_task"])
        x = np.array([ns.index(int(n)) for n in bars["n_tasks"]], dtype=float)
        x += (k - (len(series_list) - 1) / 2) * width
        heights = bars["bytes_per_task"].to_numpy(dtype=float) / scale
        spread = None
        if "bytes_per_task_low" in bars.columns and bars["bytes_per_task_low"].notna().all():
            spread = np.vstack(
                [
                    np.clip(heights - bars["bytes_per_task_low"].to_numpy(dtype=float) / scale, 0, None),
                    np.clip(bars["bytes_per_task_high"].to_numpy(dtype=float) / scale - heights, 0, None),
                ]
            )
        ax.bar(
            x,
            heights,
            width=width * 0.95,
            yerr=spread,
            capsize=2,
            color=styles[series].colour,
            label=series,
            error_kw={"elinewidth": 1, "ecolor": "#333333"},
        )
        for xi, value in zip(x, bars["bytes_per_task"], strict=True):
            ax.text(
                xi,
                value / scale * (1.08 if log else 1.0),
                fmt_bytes(float(value)),
                rotation=90,
                ha="center",
                va="bottom",
                fontsize="x-small",
            )
    ax.set_xticks(range(len(ns)), [f"{n} tasks" for n in ns])
    if log:
        ax.set_yscale("log", base=2)
        ax.set_ylim(top=float(np.nanmax(values)) * 12)
        tick_formatter(fmt_bytes, ax.yaxis)
    else:
        ax.set_ylim(0, float(np.nanmax(values)) / scale * 1.3)
    ax.set_xlabel("live tasks held at once (n_tasks); whiskers: lowest and highest fresh-process hold")
    ax.set_ylabel(f"memory per task ({unit}){', log scale' if log else ''}")
    ax.grid(True, axis="y", which="major", alpha=0.35)
    ax.set_title(wrap(f"memory: bytes per live task by model, lower is better\n{machine_title(rows)}"))
    legend_outside(ax, title="model")
    return fig
