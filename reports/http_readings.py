"""The http_fetch readings: what the client library costs, and what the server took.

http_fetch runs every model twice, with the minimal client (the same bytes and
parser in every form) and with the idiomatic library (urlopen, aiohttp). The
difference between the two medians of one model is the **client library cost**:
everything the library does beyond one HTTP/1.1 exchange, urllib's ``getaddrinfo``
per request (gevent's resolver thread pool) included.

The local server runs on the same machine; every round records its CPU time, so the
report says how much CPU the server took from the models, and marks a case
server-bound when it kept most of a core busy.
"""

from __future__ import annotations

import pandas as pd

from reports.frames import common_n
from reports.markdown import table
from reports.marks import BELOW_IDEAL, SERVER_BOUND, below_ideal, marks, server_bound
from reports.models import ranks
from reports.units import fmt_ratio, fmt_seconds
from workloads.server_cpu import SERVER_BOUND_SHARE

WORKLOAD = "http_fetch"
#: The parameters that make two http_fetch rows the same case apart from the client.
_CASE_KEY = ("label", "n_tasks", "latency_s", "body_bytes", "url")


def http_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The http_fetch rows of a tidy frame."""
    return frame[(frame["kind"] == "workload") & (frame["case"] == WORKLOAD)]


def client_pairs(rows: pd.DataFrame) -> pd.DataFrame:
    """Pair each model's minimal and idiomatic figures at every n_tasks they share.

    Columns: the case key, `minimal`, `idiomatic` (medians), `library` (the idiomatic
    row's `http_library`), `cost` (idiomatic - minimal) and `ratio` (idiomatic / minimal).
    """
    if "client" not in rows.columns:
        return pd.DataFrame(columns=["label", "n_tasks", "minimal", "idiomatic", "library", "cost", "ratio"])
    key = [c for c in _CASE_KEY if c in rows.columns]
    minimal = rows[rows["client"] == "minimal"][[*key, "backend", "median"]].rename(columns={"median": "minimal"})
    idiomatic = rows[rows["client"] == "idiomatic"][[*key, "median", "http_library"]].rename(
        columns={"median": "idiomatic", "http_library": "library"}
    )
    pairs = minimal.merge(idiomatic, on=key, how="inner")
    pairs["cost"] = pairs["idiomatic"] - pairs["minimal"]
    pairs["ratio"] = pairs["idiomatic"] / pairs["minimal"]
    return pairs


def client_cost_markdown(rows: pd.DataFrame) -> list[str]:
    """The two clients side by side at the largest n_tasks most models ran with both."""
    pairs = client_pairs(rows)
    if pairs.empty:
        return []
    n = common_n(pairs.assign(series=pairs["label"]))
    at = pairs[pairs["n_tasks"] == n] if n is not None else pairs
    rank = ranks(rows)
    at = at.assign(rank=[rank[b] for b in at["backend"]]).sort_values(["rank", "label"])
    body = [
        (
            r.label,
            fmt_seconds(r.minimal),
            fmt_seconds(r.idiomatic),
            r.library if isinstance(r.library, str) else "",
            ("+" if r.cost >= 0 else "-") + fmt_seconds(abs(r.cost)),
            fmt_ratio(r.ratio),
        )
        for r in at.itertuples()
    ]
    own = at[~at["library"].fillna("").str.startswith("minimal")]
    lines = [
        f"#### Client library cost at {n} tasks",
        "",
        "Each model with the minimal client (one HTTP/1.1 exchange, the same bytes and parser in every "
        "model) and with its idiomatic library; the difference is the **client library cost**, the "
        "library's own work and its resolver path (urllib calls `getaddrinfo` on every request, which "
        "gevent sends to a thread pool) included. A model with no HTTP library of its own runs the "
        "minimal client in both columns.",
        "",
        table(
            ("model", "minimal", "idiomatic", "idiomatic library", "client library cost", "idiomatic / minimal"), body
        ),
        "",
    ]
    if not own.empty:
        dearest = own.sort_values("cost").iloc[-1]
        lines += [
            f"The dearest library here is **{dearest['label']}**'s ({dearest['library']}): "
            f"{fmt_seconds(dearest['idiomatic'])} against {fmt_seconds(dearest['minimal'])} with the minimal "
            f"client, {fmt_ratio(dearest['ratio'])}.",
            "",
        ]
    return lines


def server_markdown(rows: pd.DataFrame) -> list[str]:
    """How much CPU the local server took, and which cases were server-bound."""
    measured = rows.dropna(subset=["server_cpu_s"]) if "server_cpu_s" in rows.columns else rows.iloc[0:0]
    lines = ["#### What the HTTP server took", ""]
    if measured.empty:
        reasons = rows["server_cpu_reason"].dropna().unique() if "server_cpu_reason" in rows.columns else []
        why = "; ".join(str(r) for r in reasons) or "this run recorded no server CPU time"
        return [*lines, f"The server's CPU time is not known: {why}.", ""]
    n = int(measured["n_tasks"].max())
    top = measured[measured["n_tasks"] == n]
    workers = measured["server_workers"].dropna()
    who = f"The local server ({int(workers.iloc[0])} worker processes)" if not workers.empty else "The local server"
    busiest = top.sort_values("server_busy_share").iloc[-1]
    lines += [
        f"{who} runs on this machine and takes its CPU from the models it serves. At {n} tasks it used "
        f"{fmt_seconds(top['server_cpu_s'].min())} to {fmt_seconds(top['server_cpu_s'].max())} of CPU per round "
        f"(median over rounds), at most {busiest['server_busy_share']:.2f} cores busy over the round "
        f"(**{busiest['series']}**). A case is **{SERVER_BOUND}** when the server kept at least "
        f"{SERVER_BOUND_SHARE:g} of a core busy: its clients then wait for the server, not for their model.",
        "",
    ]
    bound = measured[server_bound(measured)]
    if bound.empty:
        lines += ["No case was server-bound.", ""]
    lines += [
        table(
            (
                "model",
                "client",
                "n_tasks",
                "median",
                "times ideal",
                "server CPU per round",
                "server busy (cores)",
                "mark",
            ),
            [
                (
                    r.series,
                    getattr(r, "client", ""),
                    r.n_tasks,
                    fmt_seconds(r.median),
                    fmt_ratio(r.times_ideal) if pd.notna(r.times_ideal) else "",
                    fmt_seconds(r.server_cpu_s),
                    f"{r.server_busy_share:.2f}" if pd.notna(r.server_busy_share) else "",
                    "; ".join(marks(measured.loc[r.Index])),
                )
                for r in top.itertuples()
            ],
        ),
        "",
    ]
    elsewhere = bound[bound["n_tasks"] != n]
    if not elsewhere.empty:
        cases = ", ".join(f"{r.series} ({getattr(r, 'client', '')}) at {r.n_tasks}" for r in elsewhere.itertuples())
        lines += [f"Also {SERVER_BOUND}: {cases}.", ""]
    return lines


def below_ideal_markdown(rows: pd.DataFrame) -> list[str]:
    """Name every http_fetch case whose median is below its ideal by more than the noise."""
    below = rows[below_ideal(rows)]
    if below.empty:
        return []
    cases = ", ".join(
        f"{r.series} ({getattr(r, 'client', '')}) at {r.n_tasks}: {fmt_ratio(r.times_ideal)}"
        for r in below.itertuples()
    )
    return [f"{BELOW_IDEAL.capitalize()}: {cases} (the whole interquartile range is below the ideal).", ""]


def http_markdown(frame: pd.DataFrame) -> list[str]:
    """The http_fetch readings for index.md, or nothing when the run has no http_fetch."""
    rows = http_rows(frame)
    if rows.empty:
        return []
    return [
        "### http_fetch: client library cost and server load",
        "",
        *client_cost_markdown(rows),
        *server_markdown(rows),
        *below_ideal_markdown(rows),
    ]
