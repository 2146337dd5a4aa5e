"""The tutorials' claims about the workloads between the extremes: GIL-releasing C code and file reads.

Decided like every claim in :mod:`reports.claims`: from the figures' 95% intervals
over processes, at the largest task count the models in question share.
"""

from __future__ import annotations

import pandas as pd

from reports.claims import (
    NOT_MEASURED,
    Verdict,
    _at,
    _interval_text,
    _largest_common_n,
    combine,
    figure,
    judge,
)
from reports.units import fmt_seconds

#: Threads must gain at least this over sequential on cpu_release (2+ cores).
RELEASED_GAIN = 1.5
#: The task count the GIL-release claim is read at (the largest that ran, up to it): few tasks
#: with large slices, so the hashing, not the start of a thousand threads, decides the figure.
RELEASE_N = 10
#: gevent gaining less than this over sequential on file_io: its reads did not overlap.
NOT_COOPERATIVE_GAIN = 1.2


def _cores(frame: pd.DataFrame) -> int:
    return int(frame["cpu_count"].dropna().iloc[0]) if frame["cpu_count"].notna().any() else 1


def _gain(frame: pd.DataFrame, workload: str, backend: str, n: int) -> str | None:
    """``backend``'s speedup over sequential on ``workload`` at ``n``, as text; None where either is missing."""
    base, other = _at(frame, workload, "sequential", n), _at(frame, workload, backend, n)
    if base is None or other is None:
        return None
    return _interval_text(figure(base, "median") / figure(other, "median"))


def threads_speed_up_released_c(frame: pd.DataFrame) -> Verdict:
    """C code that releases the GIL (hashlib): threads run it on several cores."""
    claim_id = "threads_speed_up_released_c"
    claim = (
        f"Threads speed up C code that releases the GIL (`cpu_release`, sha256): "
        f"at least {RELEASED_GAIN}x over sequential on 2+ cores"
    )
    cores = _cores(frame)
    n = _largest_common_n(frame, "cpu_release", ["sequential", "threads"], at_most=RELEASE_N)
    if n is None or n < 2:
        return Verdict(
            claim_id, claim, NOT_MEASURED, "this run has no `cpu_release` figures for sequential and threads"
        )
    if cores < 2:
        return Verdict(claim_id, claim, NOT_MEASURED, f"this machine has {cores} core: no parallel speedup to see")
    sequential, threads = _at(frame, "cpu_release", "sequential", n), _at(frame, "cpu_release", "threads", n)
    if sequential is None or threads is None:
        return Verdict(claim_id, claim, NOT_MEASURED, "a model is missing at the common n_tasks")
    gain = figure(sequential, "median") / figure(threads, "median")
    evidence = (
        f"at {n} tasks on {cores} cores, the speed of sequential ({fmt_seconds(float(sequential['median']))}): "
        f"threads {_interval_text(gain)}"
    )
    spin = _gain(frame, "cpu_spin", "threads", n)
    if spin is not None:
        evidence += f"; on pure-Python `cpu_spin` at the same n, threads {spin}"
    return Verdict(claim_id, claim, combine([judge(gain, above=RELEASED_GAIN)]), evidence)


def gevent_file_reads_not_cooperative(frame: pd.DataFrame) -> Verdict:
    """gevent's patch leaves file reads blocking: N reads run one after another on the hub."""
    claim_id = "gevent_file_reads_not_cooperative"
    claim = (
        f"gevent does not make file reads cooperative: N `file_io` reads under gevent gain "
        f"under {NOT_COOPERATIVE_GAIN}x over sequential"
    )
    n = _largest_common_n(frame, "file_io", ["sequential", "gevent"])
    if n is None or n < 2:
        return Verdict(claim_id, claim, NOT_MEASURED, "this run has no `file_io` figures for sequential and gevent")
    sequential, gevent = _at(frame, "file_io", "sequential", n), _at(frame, "file_io", "gevent", n)
    if sequential is None or gevent is None:
        return Verdict(claim_id, claim, NOT_MEASURED, "a model is missing at the common n_tasks")
    gain = figure(sequential, "median") / figure(gevent, "median")
    outcome = judge(gain, below=NOT_COOPERATIVE_GAIN)
    evidence = (
        f"at {n} tasks, the speed of sequential ({fmt_seconds(float(sequential['median']))}): "
        f"gevent {_interval_text(gain)}"
    )
    for other in ("threads", "asyncio"):
        text = _gain(frame, "file_io", other, n)
        if text is not None:
            evidence += f", {other} {text}"
    return Verdict(claim_id, claim, outcome, evidence)


WORKLOAD_CLAIMS = (threads_speed_up_released_c, gevent_file_reads_not_cooperative)
