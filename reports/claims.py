"""The tutorials' claims about concurrency models, checked against one run's figures.

Each claim is a function of the run's tidy frame that returns a :class:`Verdict`:
whether the claim holds on this machine, with the figures that decide it, or
``None`` when the run did not measure what the claim needs. Nothing here is
hard-coded but the claim's own threshold, stated in its text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from reports.units import fmt_bytes, fmt_rate, fmt_ratio, fmt_seconds


@dataclass(frozen=True)
class Verdict:
    """One claim, whether it holds here (None: not measured), and the figures."""

    claim: str
    holds: bool | None
    evidence: str

    def __post_init__(self) -> None:
        # Comparisons of pandas values give numpy booleans; keep plain ones.
        if self.holds is not None:
            object.__setattr__(self, "holds", bool(self.holds))


def _rows(frame: pd.DataFrame, kind: str, case: str) -> pd.DataFrame:
    return frame[(frame["kind"] == kind) & (frame["case"] == case)]


def _per_op(frame: pd.DataFrame, micro: str, label: str) -> float | None:
    """Median per-op time of model ``label`` for ``micro`` (at its largest N)."""
    rows = _rows(frame, "micro", micro)
    rows = rows[(rows["label"] == label) | ((rows["backend"] == label) & rows["variant"].isna())]
    rows = rows.dropna(subset=["per_op_s"])
    if rows.empty:
        return None
    return float(rows.sort_values("n_tasks", na_position="first")["per_op_s"].iloc[-1])


def _first_label(frame: pd.DataFrame, backend: str) -> str:
    """The label of ``backend``'s default variant in this run (processes[fork], say)."""
    labels = frame.loc[frame["backend"] == backend, "label"].dropna().unique()
    return str(sorted(labels, key=len)[0]) if len(labels) else backend


def _dearer(frame: pd.DataFrame, micro: str, what: str, dear: str, cheap: str) -> Verdict:
    claim = f"{what}: {dear} costs more than {cheap}"
    dear_s, cheap_s = _per_op(frame, micro, dear), _per_op(frame, micro, cheap)
    if dear_s is None or cheap_s is None:
        return Verdict(claim, None, f"this run has no `{micro}` figure for {dear if dear_s is None else cheap}")
    ratio = dear_s / cheap_s
    evidence = f"{dear} {fmt_seconds(dear_s)} vs {cheap} {fmt_seconds(cheap_s)} per {micro} ({fmt_ratio(ratio)})"
    return Verdict(claim, dear_s > cheap_s, evidence)


def process_spawn_dearer_than_thread(frame: pd.DataFrame) -> Verdict:
    """'Creating a process has a very large overhead' (compared with a thread)."""
    return _dearer(frame, "spawn", "Starting a task", _first_label(frame, "processes"), "threads")


def thread_spawn_dearer_than_greenlet(frame: pd.DataFrame) -> Verdict:
    """Threads are heavier to start than greenlets."""
    return _dearer(frame, "spawn", "Starting a task", "threads", "greenlet")


def thread_switch_dearer_than_greenlet(frame: pd.DataFrame) -> Verdict:
    """A greenlet switch is a cheap manual hand-over."""
    return _dearer(frame, "switch", "A hand-over", "threads", "greenlet")


def process_switch_dearer_than_thread(frame: pd.DataFrame) -> Verdict:
    """Switching between processes costs more than between threads."""
    return _dearer(frame, "switch", "A hand-over", _first_label(frame, "processes"), "threads")


def ipc_throughput_rises_with_payload(frame: pd.DataFrame) -> Verdict:
    """Bigger messages move more bytes per second between processes."""
    claim = "Moving bytes between processes: throughput rises with the payload size"
    rows = _rows(frame, "micro", "ipc").dropna(subset=["per_op_s", "payload_bytes"])
    rows = rows[rows["channel"] != "thread_queue"]
    if rows.empty:
        return Verdict(claim, None, "this run has no inter-process `ipc` figures")
    parts = []
    holds = True
    for channel, of_channel in rows.groupby("channel", sort=True):
        ordered = of_channel.sort_values("payload_bytes")
        small, large = ordered.iloc[0], ordered.iloc[-1]
        small_rate = small["payload_bytes"] / small["per_op_s"]
        large_rate = large["payload_bytes"] / large["per_op_s"]
        holds = holds and large_rate > small_rate
        parts.append(
            f"`{channel}` {fmt_rate(small_rate)} at {fmt_bytes(small['payload_bytes'])}, "
            f"{fmt_rate(large_rate)} at {fmt_bytes(large['payload_bytes'])}"
        )
    return Verdict(claim, holds, "; ".join(parts))


def light_tasks_take_a_tenth_of_a_process(frame: pd.DataFrame) -> Verdict:
    """A greenlet or an asyncio task holds far less memory than a process."""
    claim = "Memory: a greenlet or an asyncio task takes under a tenth of what a process takes"
    rows = _rows(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    process = rows[rows["label"] == _first_label(rows, "processes")]
    light = rows[rows["backend"].isin(["greenlet", "asyncio"])]
    if process.empty or light.empty:
        return Verdict(claim, None, "this run has no `memory` figure for processes or for greenlet/asyncio")
    per_process = float(process["bytes_per_task"].iloc[-1])
    parts = [f"{process['label'].iloc[-1]} {_kib(per_process)}"]
    holds = True
    for row in light.itertuples():
        holds = holds and row.bytes_per_task < per_process / 10
        parts.append(f"{row.label} {_kib(row.bytes_per_task)}")
    return Verdict(claim, holds, ", ".join(parts) + " per live task")


def _kib(n_bytes: float) -> str:
    return f"{n_bytes / 1024:.1f} KiB" if n_bytes < 2**20 else f"{n_bytes / 2**20:.2f} MiB"


def _times_ideal(frame: pd.DataFrame, workload: str, backend: str, n_tasks: int) -> tuple[float, float] | None:
    rows = _rows(frame, "workload", workload)
    rows = rows[(rows["backend"] == backend) & (rows["n_tasks"] == n_tasks)].dropna(subset=["times_ideal"])
    if rows.empty:
        return None
    return float(rows["median"].iloc[0]), float(rows["times_ideal"].iloc[0])


def _largest_common_n(
    frame: pd.DataFrame, workload: str, backends: list[str], at_most: int | None = None
) -> int | None:
    rows = _rows(frame, "workload", workload)
    sizes = [set(rows.loc[rows["backend"] == b, "n_tasks"].dropna()) for b in backends]
    common = {int(n) for n in set.intersection(*sizes)} if sizes else set()
    if at_most is not None:
        common = {n for n in common if n <= at_most}
    return max(common) if common else None


#: The task count the overlap claims are read at (the smaller of it and what ran).
OVERLAP_N = 100


def _overlap(workload: str, how: str) -> Callable[[pd.DataFrame], Verdict]:
    def check(frame: pd.DataFrame) -> Verdict:
        models = ["threads", "generators", "greenlet", "gevent", "asyncio", "uvloop"]
        claim = f"{how}: {', '.join(models)} overlap {OVERLAP_N} waits, each within 3x ideal"
        present = [m for m in models if (frame["backend"] == m).any()]
        n = _largest_common_n(frame, workload, present, at_most=OVERLAP_N) if present else None
        if n is None or n < 2:
            return Verdict(claim, None, f"this run has no `{workload}` figures at a common n_tasks >= 2")
        parts = []
        holds = True
        for model in present:
            figure = _times_ideal(frame, workload, model, n)
            if figure is None:
                continue
            holds = holds and figure[1] < 3
            parts.append(f"{model} {fmt_ratio(figure[1])}")
        sequential = _times_ideal(frame, workload, "sequential", n)
        if sequential is not None:
            parts.append(f"sequential {fmt_ratio(sequential[1])}")
        return Verdict(claim, holds, f"at {n} tasks, times ideal: " + ", ".join(parts))

    check.__doc__ = f"Cooperative and threaded models overlap {workload} waits."
    return check


def gil_premise(frame: pd.DataFrame) -> bool:
    """Whether the threads session ran with the GIL; assumed so where the run does not say.

    A free-threaded build records ``gil_enabled`` False when it ran without the GIL
    (it turns it back on for an extension module not marked safe without it).
    """
    states = frame.loc[frame["backend"] == "threads", "gil_enabled"].dropna()
    return all(bool(state) for state in states)


def threads_do_not_parallelise_python(frame: pd.DataFrame) -> Verdict:
    """The GIL: threads give pure-Python work no speedup; a process pool does.

    The claim's premise is the GIL. Where the threads ran without it (a free-threaded
    build), the expected outcome flips: threads should then gain as a process pool does.
    """
    with_gil = gil_premise(frame)
    claim = (
        "CPU-bound Python with the GIL: threads gain nothing over sequential, "
        "a process pool gains at least 1.5x on 2+ cores"
        if with_gil
        else "CPU-bound Python without the GIL (free-threaded build, so the usual claim flips): "
        "threads gain at least 1.5x over sequential on 2+ cores, as a process pool does"
    )
    rows = _rows(frame, "workload", "cpu_spin")
    cores = int(frame["cpu_count"].dropna().iloc[0]) if frame["cpu_count"].notna().any() else 1
    backends = ["sequential", "threads", "process_pool"]
    n = _largest_common_n(rows, "cpu_spin", backends) if not rows.empty else None
    if n is None or n < cores:
        return Verdict(claim, None, "this run has no `cpu_spin` figures for sequential, threads and process_pool")
    figures = {b: _times_ideal(frame, "cpu_spin", b, n) for b in backends}
    if any(v is None for v in figures.values()):
        return Verdict(claim, None, "a model is missing at the common n_tasks")
    base = figures["sequential"][0]  # type: ignore[index]
    threads_gain = base / figures["threads"][0]  # type: ignore[index]
    pool_gain = base / figures["process_pool"][0]  # type: ignore[index]
    threads_ok = threads_gain < 1.2 if with_gil else (cores < 2 or threads_gain >= 1.5)
    holds = threads_ok and (cores < 2 or pool_gain >= 1.5)
    evidence = (
        f"at {n} tasks on {cores} cores: threads {fmt_ratio(threads_gain)} and process_pool "
        f"{fmt_ratio(pool_gain)} the speed of sequential ({fmt_seconds(base)}); "
        f"the threads ran with the GIL {'enabled' if with_gil else 'disabled'}"
    )
    return Verdict(claim, holds, evidence)


#: The columns of the tidy frame the claims read.
COLUMNS = (
    "kind", "case", "backend", "variant", "label", "n_tasks", "median", "times_ideal",
    "per_op_s", "bytes_per_task", "channel", "payload_bytes", "cpu_count", "gil_enabled",
)  # fmt: skip

CLAIMS: tuple[Callable[[pd.DataFrame], Verdict], ...] = (
    process_spawn_dearer_than_thread,
    thread_spawn_dearer_than_greenlet,
    thread_switch_dearer_than_greenlet,
    process_switch_dearer_than_thread,
    ipc_throughput_rises_with_payload,
    light_tasks_take_a_tenth_of_a_process,
    _overlap("sleep", "Waiting"),
    _overlap("http_fetch", "I/O (HTTP fetches; gevent switches on I/O by itself once patched)"),
    threads_do_not_parallelise_python,
)


def check_claims(frame: pd.DataFrame) -> list[Verdict]:
    """Every claim's verdict on this run (a run of some workloads only lacks columns)."""
    missing = [column for column in COLUMNS if column not in frame.columns]
    frame = frame.assign(**{column: float("nan") for column in missing})
    return [claim(frame) for claim in CLAIMS]


def claims_markdown(verdicts: list[Verdict]) -> list[str]:
    """The claims as a table: claim, verdict on this machine, the figures."""
    word = {True: "holds", False: "**does not hold**", None: "not measured"}
    lines = [
        "Common claims about these models, checked against this run's medians "
        "(a claim that does not hold here is a finding about this machine, not an error).",
        "",
        "| claim | on this machine | figures |",
        "|---|---|---|",
    ]
    lines += [f"| {v.claim} | {word[v.holds]} | {v.evidence} |" for v in verdicts]
    return lines
