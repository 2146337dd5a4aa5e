"""One- or two-sentence readings of each chart, computed from the data it shows.

Every function takes the same rows as the chart it describes and picks the same
`n_tasks` (`frames.common_n`), so each number in a sentence is the rounded form of a
value in `summary.csv`: a median, a per-op time, a bytes-per-task figure, or a ratio
of two of them. Model names are in bold, case names in code spans.
"""

from __future__ import annotations

import pandas as pd

from reports.frames import at_n, case_groups, common_n, largest_n_each, speedups
from reports.marks import BELOW_IDEAL, below_ideal, distance_from_ideal
from reports.models import baseline_name, baseline_rows
from reports.units import fmt_bytes, fmt_rate, fmt_ratio, fmt_seconds


def _n_text(n: int | None) -> str:
    """Say "at N tasks" for a sentence, or nothing when there is no n_tasks."""
    return "" if n is None else f" at {n} tasks"


def scaling_reading(rows: pd.DataFrame) -> str:
    """Say which model's wall time grows least and most from the smallest n_tasks up."""
    n1 = common_n(rows)
    sized = rows.dropna(subset=["n_tasks"])
    if n1 is None or sized.empty:
        return "No n_tasks was recorded, so there is no scaling to read."
    n0 = int(sized["n_tasks"].min())
    first = sized[sized["n_tasks"] == n0].set_index("series")["median"]
    last = sized[sized["n_tasks"] == n1].set_index("series")["median"]
    growth = (last / first).dropna().sort_values()
    if n0 == n1 or growth.empty:
        return f"Only {n1} tasks were measured for every model, so the chart shows no growth."
    text = (
        f"From {n0} to {n1} tasks the median of **{growth.index[0]}** grows least, "
        f"{fmt_ratio(growth.iloc[0])}, and that of **{growth.index[-1]}** most, {fmt_ratio(growth.iloc[-1])}"
    )
    ideal = sized.groupby("n_tasks")["ideal_s"].median()
    if pd.notna(ideal.get(n0)) and pd.notna(ideal.get(n1)):
        text += f"; the ideal grows {fmt_ratio(ideal[n1] / ideal[n0])}"
    return text + "."


def bars_reading(rows: pd.DataFrame) -> str:
    """Say how much faster the fastest model is than the slowest, and how near ideal."""
    n = common_n(rows)
    at = at_n(rows, n).sort_values("median")
    case = rows["case"].iloc[0]
    best, worst = at.iloc[0], at.iloc[-1]
    if len(at) == 1:
        return f"Only **{best['series']}** ran `{case}`{_n_text(n)}: {fmt_seconds(best['median'])}."
    text = (
        f"At {n} `{case}` tasks **{best['series']}** is {fmt_ratio(worst['median'] / best['median'])} "
        f"faster than **{worst['series']}**"
    )
    if pd.notna(best["times_ideal"]):
        text += f" and {fmt_ratio(best['times_ideal'])} ideal"
    return text + f" ({fmt_seconds(best['median'])} vs {fmt_seconds(worst['median'])})."


def overhead_reading(rows: pd.DataFrame) -> str:
    """Say what each model adds per task beyond the ideal: ``(median - ideal) / n_tasks`` at the common N.

    The ideal is the best any model could do with the work, so what is left over, per
    task, is what running one task through the model costs at that N (dispatch,
    pickling, waking it). The interval is the median's, shifted and divided the same
    way. Empty when the rows have no ideal or no N of two or more.
    """
    n = common_n(rows)
    if n is None or n < 2:
        return ""
    at = at_n(rows, n).dropna(subset=["ideal_s"]).copy()
    if at.empty:
        return ""
    at["overhead"] = (at["median"] - at["ideal_s"]) / n
    parts = []
    for _, row in at.sort_values("overhead").iterrows():
        if row["overhead"] <= 0:
            parts.append(f"**{row['series']}** none (at or below the ideal)")
            continue
        text = f"**{row['series']}** {fmt_seconds(row['overhead'])}"
        if pd.notna(row.get("ci_low")) and pd.notna(row.get("ci_high")):
            low, high = ((row[k] - row["ideal_s"]) / n for k in ("ci_low", "ci_high"))
            text += f" ({fmt_seconds(max(low, 0.0))} to {fmt_seconds(high)})"
        parts.append(text)
    return f"Overhead per task beyond the ideal at {n} tasks, (median - ideal) / N: " + "; ".join(parts) + "."


def heatmap_reading(frame: pd.DataFrame) -> str:
    """Say, per workload, which model is closest to ideal and which is furthest.

    Closeness is the distance from 1.0 on a log scale; a median below its ideal is
    named as such and never called the closest.
    """
    sentences = []
    for case, config, rows in case_groups(frame, "workload"):
        n = common_n(rows)
        at = at_n(rows, n).dropna(subset=["times_ideal"])
        below = at[below_ideal(at)]
        at = at[~below_ideal(at)]
        at = at.assign(distance=distance_from_ideal(at["times_ideal"])).sort_values("distance")
        where = f"`{case}`" + (f" ({config})" if config else "") + _n_text(n)
        if not at.empty:
            best, worst = at.iloc[0], at.iloc[-1]
            sentences.append(
                f"On {where} **{best['series']}** is closest to ideal ({fmt_ratio(best['times_ideal'])}) "
                f"and **{worst['series']}** furthest ({fmt_ratio(worst['times_ideal'])})."
            )
        if not below.empty:
            names = ", ".join(f"**{r.series}** ({fmt_ratio(r.times_ideal)})" for r in below.itertuples())
            sentences.append(f"On {where} {names}: {BELOW_IDEAL}.")
    return " ".join(sentences) or "No workload recorded an ideal time."


def speedup_reading(rows: pd.DataFrame) -> str:
    """Say which model gains most and least over the baseline model at the largest common n_tasks.

    That is the largest n_tasks the baseline itself reached, when it skipped bigger ones.
    """
    base = baseline_name(rows)
    with_base = rows[rows["n_tasks"].isin(baseline_rows(rows)["n_tasks"])]
    n = common_n(with_base) if not with_base.empty else None
    table = speedups(at_n(with_base, n))
    others = table[~table["model_baseline"].astype(bool)].sort_values("speedup", ascending=False)
    if base is None or others.empty:
        return "No baseline model's run to compare with."
    best, worst = others.iloc[0], others.iloc[-1]
    text = (
        f"At {n} `{rows['case'].iloc[0]}` tasks **{best['series']}** gains most over {base}, "
        f"{fmt_ratio(best['speedup'])}"
    )
    if pd.notna(best["ideal_speedup"]):
        text += f" (ideal {fmt_ratio(best['ideal_speedup'])})"
    if len(others) > 1:
        text += f", and **{worst['series']}** least, {fmt_ratio(worst['speedup'])}"
    return text + "."


def micro_cost_reading(rows: pd.DataFrame, operation: str) -> str:
    """List every model's per-op cost, cheapest first, with its ratio to the cheapest."""
    at = largest_n_each(rows).dropna(subset=["per_op_s"]).sort_values("per_op_s")
    if at.empty:
        return "No per-op time was recorded."
    cheapest = float(at["per_op_s"].iloc[0])
    parts = [f"**{at['series'].iloc[0]}** {fmt_seconds(cheapest)}"]
    parts += [
        f"**{r.series}** {fmt_seconds(r.per_op_s)} ({fmt_ratio(r.per_op_s / cheapest)})"
        for r in at.iloc[1:].itertuples()
    ]
    return f"Cost of one `{rows['case'].iloc[0]}` ({operation}), cheapest first: " + "; ".join(parts) + "."


def _ipc_at(rows: pd.DataFrame, payload: float) -> pd.DataFrame:
    """The ipc rows at one payload size, each series and channel at its largest n_tasks."""
    at = rows[rows["payload_bytes"] == payload].sort_values("n_tasks")
    return at.drop_duplicates(["series", "channel"], keep="last").sort_values("per_op_s")


def ipc_cost_reading(rows: pd.DataFrame) -> str:
    """Compare the cheapest and dearest channel per message at the smallest payload."""
    payload = float(rows["payload_bytes"].min())
    at = _ipc_at(rows, payload)
    best, worst = at.iloc[0], at.iloc[-1]
    text = (
        f"At {fmt_bytes(payload)} per message the cheapest is **{best['series']}** over "
        f"`{best['channel']}`, {fmt_seconds(best['per_op_s'])} per message"
    )
    if len(at) > 1:
        text += (
            f", and the dearest **{worst['series']}** over `{worst['channel']}`, "
            f"{fmt_seconds(worst['per_op_s'])} ({fmt_ratio(worst['per_op_s'] / best['per_op_s'])})"
        )
    return text + "."


def ipc_throughput_reading(rows: pd.DataFrame) -> str:
    """Compare the highest and lowest throughput at the largest payload."""
    payload = float(rows["payload_bytes"].max())
    at = _ipc_at(rows, payload)
    best, worst = at.iloc[0], at.iloc[-1]
    text = (
        f"At {fmt_bytes(payload)} per message **{best['series']}** over `{best['channel']}` moves the most, "
        f"{fmt_rate(payload / best['per_op_s'])}"
    )
    if len(at) > 1:
        rate = fmt_rate(payload / worst["per_op_s"])
        text += f", and **{worst['series']}** over `{worst['channel']}` the least, {rate}"
    text += "."
    if "thread_queue" in set(at["channel"]):
        text += " Between threads only a reference to the payload moves, so that rate grows with the size for free."
    return text


def memory_reading(rows: pd.DataFrame) -> str:
    """List memory per live task, each model at its largest N, smallest first.

    Models hold different N (a machine holds far fewer processes than greenlets), so
    each is read at its own largest; the ratio is to the most expensive model.
    """
    at = largest_n_each(rows).dropna(subset=["bytes_per_task"]).sort_values("bytes_per_task")
    if at.empty:
        return "No memory per task was recorded."
    most = at.iloc[-1]
    parts = []
    for _, r in at.iterrows():
        text = f"**{r['series']}** {fmt_bytes(r['bytes_per_task'])}{_spread(r)} (N={r['n_tasks']})"
        if r.name != most.name and r["bytes_per_task"] > 0:
            text += f", {fmt_ratio(most['bytes_per_task'] / r['bytes_per_task'])} less than {most['series']}"
        extras = [
            f"{label} {fmt_bytes(float(r[column]))}"
            for column, label in (("python_objects_per_task", "Python objects"), ("pss_per_task", "PSS"))
            if column in r.index and pd.notna(r[column])
        ]
        if extras:
            text += f" [{', '.join(extras)}]"
        parts.append(text)
    text = "Memory per live task, smallest first: " + "; ".join(parts) + "."
    if "bytes_counted" in at.columns:
        counted = at.dropna(subset=["bytes_counted"]).drop_duplicates("bytes_counted")
        if not counted.empty:
            text += " What each figure counts: " + "; ".join(
                f"{r.series}: {r.bytes_counted}" for r in counted.itertuples()
            )
            text += (
                ". Each is the median of fresh-process holds with no instrument running (range in brackets); "
                "Python objects is tracemalloc's figure for the same tasks, read in a later hold."
            )
    return text


def _spread(row: pd.Series) -> str:
    """` (low–high)` of a memory row's fresh-process holds, or nothing where none was recorded."""
    if "bytes_per_task_low" not in row.index or pd.isna(row["bytes_per_task_low"]):
        return ""
    return f" ({fmt_bytes(float(row['bytes_per_task_low']))}–{fmt_bytes(float(row['bytes_per_task_high']))})"
