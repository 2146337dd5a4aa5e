"""Readings across workloads: GIL-releasing C code beside pure Python, file reads, fetch then parse.

Each reading puts two workloads (or two models) side by side at one task count they
share, with the medians of the report's summary, so the numbers match the charts:

- ``cpu_release`` beside ``cpu_spin``: each model's speedup over the run's baseline
  model on both (threads scale on the first, not on the second);
- ``file_io``: what gevent does with a file read, and what it costs at N tasks;
- ``fetch_parse`` beside ``http_fetch`` (minimal client) at the same N: what the
  parse adds to each model.
"""

from __future__ import annotations

import pandas as pd

from reports.markdown import table
from reports.models import baseline_name, ranks
from reports.units import fmt_ratio, fmt_seconds
from reports.workload_claims import RELEASE_N, RELEASED_GAIN


def _workload_rows(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    rows = frame[(frame["kind"] == "workload") & (frame["case"] == case)]
    return rows.dropna(subset=["n_tasks", "median"])


def _medians(rows: pd.DataFrame) -> pd.DataFrame:
    """One median per (label, n_tasks): the first configuration of each."""
    return rows.drop_duplicates(["label", "n_tasks"]).set_index(["label", "n_tasks"])["median"].to_frame()


def _common_n(*tables: pd.DataFrame, need: tuple[str, ...] = (), at_most: int | None = None) -> int | None:
    """The largest n_tasks (up to ``at_most``) at which every table has every label in ``need``."""
    sizes = None
    for found in tables:
        here = {int(n) for _, n in found.index}
        for label in need:
            here &= {int(n) for lab, n in found.index if lab == label}
        sizes = here if sizes is None else sizes & here
    if sizes and at_most is not None:
        sizes = {n for n in sizes if n <= at_most}
    return max(sizes) if sizes else None


def _ordered(labels: list[str], rows: pd.DataFrame) -> list[str]:
    """Sort series labels of ``rows`` in their models' declared order."""
    rank = ranks(rows)
    backends = rows.drop_duplicates("label").set_index("label")["backend"]
    return sorted(labels, key=lambda label: (rank[str(backends[label])], label))


def gil_release_markdown(frame: pd.DataFrame) -> list[str]:
    """cpu_release beside cpu_spin: each model's speedup over the run's baseline model at one n_tasks."""
    spin, release = _workload_rows(frame, "cpu_spin"), _workload_rows(frame, "cpu_release")
    base = baseline_name(frame)
    if spin.empty or release.empty or base is None:
        return []
    a, b = _medians(spin), _medians(release)
    n = _common_n(a, b, need=(base,), at_most=RELEASE_N)
    if n is None:
        return []
    labels = sorted({lab for lab, m in a.index if m == n} & {lab for lab, m in b.index if m == n})
    body = []
    gains: dict[str, tuple[float, float]] = {}
    for label in _ordered(labels, pd.concat([spin, release])):
        gain_spin = a.loc[(base, n), "median"] / a.loc[(label, n), "median"]
        gain_release = b.loc[(base, n), "median"] / b.loc[(label, n), "median"]
        gains[label] = (gain_spin, gain_release)
        body.append(
            (
                label,
                fmt_seconds(a.loc[(label, n), "median"]),
                fmt_ratio(gain_spin),
                fmt_seconds(b.loc[(label, n), "median"]),
                fmt_ratio(gain_release),
            )
        )
    lines = [
        f"### GIL-releasing C code beside pure Python, at {n} tasks",
        "",
        "`cpu_spin` is Python arithmetic, which holds the GIL; `cpu_release` hashes with sha256, which lets the "
        f"GIL go while it hashes. Speedup is {base}'s median over the model's (above 1: faster), "
        f"read at up to {RELEASE_N} tasks, where each task's share of the work outweighs starting it.",
        "",
        table(("model", "cpu_spin median", "cpu_spin speedup", "cpu_release median", "cpu_release speedup"), body),
        "",
    ]
    if "threads" in gains:
        spin_gain, release_gain = gains["threads"]
        verdict = (
            "threads run the hashing on several cores at once, which they cannot do with Python arithmetic"
            if release_gain >= RELEASED_GAIN > spin_gain
            else f"the GIL-releasing work did not gain {RELEASED_GAIN}x here; the claims table says whether "
            "the difference clears the noise"
        )
        lines += [
            f"**threads** run `cpu_release` at {fmt_ratio(release_gain)} the speed of {base} and `cpu_spin` "
            f"at {fmt_ratio(spin_gain)}: {verdict}.",
            "",
        ]
    return lines


def file_io_markdown(frame: pd.DataFrame) -> list[str]:
    """What gevent does with a file read, and its cost at the largest N it shares with the baseline model."""
    rows = _workload_rows(frame, "file_io")
    if rows.empty:
        return []
    medians = _medians(rows)
    lines = [
        "### File reads",
        "",
        "Every task reads its own file from the page cache (each file was read once before timing: "
        "`page_cache=warm`; a cold disk is not measured). asyncio has no non-blocking file API: its form "
        "is `asyncio.to_thread`, the loop's default thread pool. gevent's monkey-patching does not "
        "make file reads cooperative: a read runs on the hub's own thread and blocks every other greenlet "
        "until it returns, so N reads under gevent run one after another.",
        "",
    ]
    base = baseline_name(frame)
    n = _common_n(medians, need=(base, "gevent")) if base is not None else None
    if n is None:
        return lines
    gevent, baseline = medians.loc[("gevent", n), "median"], medians.loc[(base, n), "median"]
    text = (
        f"At {n} tasks **gevent** takes {fmt_seconds(gevent)} against {base}'s {fmt_seconds(baseline)} "
        f"({fmt_ratio(baseline / gevent)} the speed of {base})"
    )
    others = [
        f"**{label}** {fmt_seconds(medians.loc[(label, n), 'median'])}"
        for label in ("threads", "asyncio")
        if (label, n) in medians.index
    ]
    if others:
        text += "; " + ", ".join(others)
    return [*lines, text + ".", ""]


def fetch_parse_markdown(frame: pd.DataFrame) -> list[str]:
    """fetch_parse beside http_fetch alone (minimal client): each model's two medians at one n_tasks."""
    fetch = _workload_rows(frame, "http_fetch")
    if "client" in fetch.columns:
        fetch = fetch[fetch["client"] == "minimal"]
    parse = _workload_rows(frame, "fetch_parse")
    if fetch.empty or parse.empty:
        return []
    a, b = _medians(fetch), _medians(parse)
    n = _common_n(a, b)
    if n is None:
        return []
    labels = _ordered(
        sorted({lab for lab, m in a.index if m == n} & {lab for lab, m in b.index if m == n}), pd.concat([fetch, parse])
    )
    if not labels:
        return []
    body = [
        (
            label,
            fmt_seconds(a.loc[(label, n), "median"]),
            fmt_seconds(b.loc[(label, n), "median"]),
            fmt_ratio(b.loc[(label, n), "median"] / a.loc[(label, n), "median"]),
        )
        for label in labels
    ]
    ratios = {label: b.loc[(label, n), "median"] / a.loc[(label, n), "median"] for label in labels}
    worst = max(ratios, key=lambda label: ratios[label])
    sentence = ", ".join(
        f"**{label}** {fmt_seconds(a.loc[(label, n), 'median'])} then {fmt_seconds(b.loc[(label, n), 'median'])}"
        for label in labels
    )
    return [
        f"### Fetch then parse, beside the fetch alone, at {n} tasks",
        "",
        "`http_fetch` with the minimal client, and `fetch_parse`: the same client fetching a JSON document, then "
        "`json.loads` and a Python loop over it, which hold the GIL (and an event loop or a hub) while they run.",
        "",
        f"Medians, fetch alone then fetch and parse: {sentence}."
        + (
            f" The parse costs **{worst}** most: {fmt_ratio(ratios[worst])} the time of its fetch alone."
            if ratios[worst] > 1
            else ""
        ),
        "",
        table(("model", "http_fetch (minimal)", "fetch_parse", "fetch_parse / http_fetch"), body),
        "",
    ]


def workload_readings_markdown(frame: pd.DataFrame) -> list[str]:
    """Every cross-workload reading the run has the figures for."""
    return [*gil_release_markdown(frame), *file_io_markdown(frame), *fetch_parse_markdown(frame)]
