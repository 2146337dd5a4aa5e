"""The tutorials' claims about concurrency models, checked against one run's figures.

Each claim is a function of the run's tidy frame that returns a :class:`Verdict`,
decided with the figures' 95% intervals (over processes, see ``reports.stats``):

- **holds**: the interval of the deciding quantity clears the claim's threshold;
- **does not hold**: it clears it the other way;
- **inconclusive**: it straddles the threshold, or a figure has no interval (one
  process), so the run cannot tell;
- **not measured**: the run lacks a figure the claim needs.

The claim's text names only the models and the task count that were checked.
Nothing here is hard-coded but each claim's own threshold, stated in its text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from reports.units import fmt_bytes, fmt_rate, fmt_ratio, fmt_seconds

HOLDS = "holds"
DOES_NOT_HOLD = "does not hold"
INCONCLUSIVE = "inconclusive"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Verdict:
    """One claim (``id`` names it), what this run says of it, and the figures."""

    id: str
    claim: str
    outcome: str
    evidence: str

    @property
    def holds(self) -> bool | None:
        """True if it holds, False if it does not, None if inconclusive or not measured."""
        return {HOLDS: True, DOES_NOT_HOLD: False}.get(self.outcome)


@dataclass(frozen=True)
class Figure:
    """A figure and its 95% interval (NaN ends: no interval, one process)."""

    value: float
    low: float = math.nan
    high: float = math.nan

    @property
    def has_interval(self) -> bool:
        """Tell whether both ends are known."""
        return math.isfinite(self.low) and math.isfinite(self.high)

    def __truediv__(self, other: Figure) -> Figure:
        """The ratio, its interval from both (half-widths added in quadrature on a log scale)."""
        value = self.value / other.value
        if not (self.has_interval and other.has_interval):
            return Figure(value)
        half = math.hypot(_half(self), _half(other))
        return Figure(value, value * math.exp(-half), value * math.exp(half))


def _half(figure: Figure) -> float:
    return max(math.log(figure.high / figure.value), math.log(figure.value / figure.low))


def judge(figure: Figure, *, above: float | None = None, below: float | None = None) -> str:
    """Whether ``figure`` is above (or below) the threshold, given its interval."""
    if not figure.has_interval:
        return INCONCLUSIVE
    if above is not None:
        return HOLDS if figure.low > above else DOES_NOT_HOLD if figure.high < above else INCONCLUSIVE
    assert below is not None
    return HOLDS if figure.high < below else DOES_NOT_HOLD if figure.low > below else INCONCLUSIVE


def combine(outcomes: Iterable[str]) -> str:
    """All hold: holds; any does not: does not hold; otherwise inconclusive."""
    seen = list(outcomes)
    if DOES_NOT_HOLD in seen:
        return DOES_NOT_HOLD
    return HOLDS if seen and all(o == HOLDS for o in seen) else INCONCLUSIVE


def figure(row: pd.Series, column: str) -> Figure:
    """A row's figure in ``column`` (``per_op_s``, ``times_ideal``, ``bytes_per_task``...) with its interval.

    The interval columns bound the row's own figure (``median``, or
    ``bytes_per_task`` for memory); every other column is a fixed scaling of it.
    """
    base = "bytes_per_task" if column == "bytes_per_task" else "median"
    value, own = float(row[column]), float(row.get(base, math.nan))
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    if not (own > 0 and math.isfinite(low) and math.isfinite(high)):
        return Figure(value)
    return Figure(value, value * low / own, value * high / own)


def _rows(frame: pd.DataFrame, kind: str, case: str) -> pd.DataFrame:
    return frame[(frame["kind"] == kind) & (frame["case"] == case)]


def _per_op(frame: pd.DataFrame, micro: str, label: str) -> Figure | None:
    """Per-op figure of model ``label`` for ``micro`` (at its largest N)."""
    rows = _rows(frame, "micro", micro)
    rows = rows[(rows["label"] == label) | ((rows["backend"] == label) & rows["variant"].isna())]
    rows = rows.dropna(subset=["per_op_s"])
    for column, default in (("family", "native"), ("placement", "os")):
        if column in rows.columns:  # each model's own hand-over, placed by the OS
            rows = rows[rows[column].isna() | (rows[column] == default)]
    if rows.empty:
        return None
    return figure(rows.sort_values("n_tasks", na_position="first").iloc[-1], "per_op_s")


def _first_label(frame: pd.DataFrame, backend: str) -> str:
    """The label of ``backend``'s default variant in this run (processes[fork], say)."""
    labels = frame.loc[frame["backend"] == backend, "label"].dropna().unique()
    return str(sorted(labels, key=len)[0]) if len(labels) else backend


def _interval_text(ratio: Figure) -> str:
    if not ratio.has_interval:
        return f"{fmt_ratio(ratio.value)}, no interval: one process"
    return f"{fmt_ratio(ratio.value)}, 95% interval {fmt_ratio(ratio.low)}-{fmt_ratio(ratio.high)}"


def _dearer(claim_id: str, micro: str, what: str, dear_backend: str, cheap: str) -> Callable[[pd.DataFrame], Verdict]:
    def check(frame: pd.DataFrame) -> Verdict:
        dear = _first_label(frame, dear_backend)
        claim = f"{what}: {dear} costs more than {cheap}"
        dear_s, cheap_s = _per_op(frame, micro, dear), _per_op(frame, micro, cheap)
        if dear_s is None or cheap_s is None:
            missing = dear if dear_s is None else cheap
            return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `{micro}` figure for {missing}")
        ratio = dear_s / cheap_s
        evidence = (
            f"{dear} {fmt_seconds(dear_s.value)} vs {cheap} {fmt_seconds(cheap_s.value)} per {micro} "
            f"({_interval_text(ratio)})"
        )
        return Verdict(claim_id, claim, judge(ratio, above=1.0), evidence)

    check.__name__ = claim_id
    check.__doc__ = f"{what}: {dear_backend} costs more than {cheap}."
    return check


def _dearer_matched(
    claim_id: str, micro: str, what: str, dear_backend: str, cheap: str
) -> Callable[[pd.DataFrame], Verdict]:
    """As :func:`_dearer`, compared only through the same mechanism at the same CPU placement.

    Every pair of rows that share ``mechanism`` and ``placement`` is judged; a run
    without such a pair says it cannot compare them.
    """

    def check(frame: pd.DataFrame) -> Verdict:
        dear = _first_label(frame, dear_backend)
        claim = f"{what}: {dear} costs more than {cheap}"
        rows = _rows(frame, "micro", micro).dropna(subset=["per_op_s"])
        if not {"mechanism", "placement"} <= set(rows.columns):
            return Verdict(claim_id, claim, NOT_MEASURED, f"this run's `{micro}` rows name no mechanism and placement")
        rows = rows[rows["label"].isin([dear, cheap])].dropna(subset=["mechanism", "placement"])
        pairs = []
        for (mechanism, placement), same in rows.groupby(["mechanism", "placement"], sort=True):
            last = same.sort_values("n_tasks", na_position="first").drop_duplicates("label", keep="last")
            by_label = {str(r["label"]): figure(r, "per_op_s") for _, r in last.iterrows()}
            if dear in by_label and cheap in by_label:
                pairs.append((str(placement), str(mechanism), by_label[dear], by_label[cheap]))
        if not pairs:
            return Verdict(
                claim_id,
                claim,
                NOT_MEASURED,
                f"no `{micro}` figures of {dear} and {cheap} through the same mechanism at the same placement",
            )
        evidence = "; ".join(
            f"{placement} over {mechanism}: {dear} {fmt_seconds(d.value)} vs {cheap} {fmt_seconds(c.value)} "
            f"({_interval_text(d / c)})"
            for placement, mechanism, d, c in pairs
        )
        return Verdict(claim_id, claim, combine(judge(d / c, above=1.0) for _, _, d, c in pairs), evidence)

    check.__name__ = claim_id
    check.__doc__ = f"{what}: {dear_backend} costs more than {cheap}, like for like."
    return check


def ipc_throughput_rises_with_payload(frame: pd.DataFrame) -> Verdict:
    """Bigger messages move more bytes per second between processes."""
    claim_id = "ipc_throughput_rises_with_payload"
    claim = "Moving bytes between processes: throughput rises with the payload size"
    rows = _rows(frame, "micro", "ipc").dropna(subset=["per_op_s", "payload_bytes"])
    rows = rows[rows["channel"] != "thread_queue"]
    if rows.empty:
        return Verdict(claim_id, claim, NOT_MEASURED, "this run has no inter-process `ipc` figures")
    parts, outcomes = [], []
    for channel, of_channel in rows.groupby("channel", sort=True):
        ordered = of_channel.sort_values("payload_bytes")
        small, large = ordered.iloc[0], ordered.iloc[-1]
        # rate = payload / time per message; the ratio of rates carries both intervals.
        gain = figure(small, "per_op_s") / figure(large, "per_op_s")
        gain = Figure(*(x * large["payload_bytes"] / small["payload_bytes"] for x in (gain.value, gain.low, gain.high)))
        outcomes.append(judge(gain, above=1.0))
        parts.append(
            f"`{channel}` {fmt_rate(small['payload_bytes'] / small['per_op_s'])} "
            f"at {fmt_bytes(small['payload_bytes'])}, "
            f"{fmt_rate(large['payload_bytes'] / large['per_op_s'])} at {fmt_bytes(large['payload_bytes'])} "
            f"({_interval_text(gain)})"
        )
    return Verdict(claim_id, claim, combine(outcomes), "; ".join(parts))


def light_tasks_take_a_tenth_of_a_process(frame: pd.DataFrame) -> Verdict:
    """A greenlet or an asyncio task holds far less memory than a process."""
    claim_id = "light_tasks_take_a_tenth_of_a_process"
    rows = _rows(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    process = rows[rows["label"] == _first_label(rows, "processes")]
    light = rows[rows["backend"].isin(["greenlet", "asyncio"])]
    names = " or ".join(f"{'an' if b[0] in 'aeiou' else 'a'} {b} task" for b in light["backend"])
    names = names or "a greenlet or an asyncio task"
    claim = f"Memory: {names} takes under a tenth of what a process takes"
    if process.empty or light.empty:
        return Verdict(
            claim_id, claim, NOT_MEASURED, "this run has no `memory` figure for processes or for greenlet/asyncio"
        )
    per_process = figure(process.iloc[-1], "bytes_per_task")
    parts = [f"{process['label'].iloc[-1]} {_kib(per_process.value)}"]
    outcomes = []
    for _, row in light.iterrows():
        share = figure(row, "bytes_per_task") / per_process
        outcomes.append(judge(share, below=0.1))
        parts.append(f"{row['label']} {_kib(row['bytes_per_task'])} ({_interval_text(share)} of a process)")
    return Verdict(claim_id, claim, combine(outcomes), ", ".join(parts) + " per live task")


def _kib(n_bytes: float) -> str:
    return f"{n_bytes / 1024:.1f} KiB" if n_bytes < 2**20 else f"{n_bytes / 2**20:.2f} MiB"


def _at(frame: pd.DataFrame, workload: str, backend: str, n_tasks: int) -> pd.Series | None:
    rows = _rows(frame, "workload", workload)
    rows = rows[(rows["backend"] == backend) & (rows["n_tasks"] == n_tasks)].dropna(subset=["times_ideal"])
    # Where the HTTP client is a parameter, the claim reads the minimal client: the same bytes
    # and parser in every model, so the model is not blamed for a library's cost.
    if "client" in rows and (rows["client"] == MINIMAL_CLIENT).any():
        rows = rows[rows["client"] == MINIMAL_CLIENT]
    return None if rows.empty else rows.iloc[0]


def _largest_common_n(
    frame: pd.DataFrame, workload: str, backends: Sequence[str], at_most: int | None = None
) -> int | None:
    rows = _rows(frame, "workload", workload)
    sizes = [set(rows.loc[rows["backend"] == b, "n_tasks"].dropna()) for b in backends]
    common = {int(n) for n in set.intersection(*sizes)} if sizes else set()
    if at_most is not None:
        common = {n for n in common if n <= at_most}
    return max(common) if common else None


#: The value of the ``client`` parameter of the client that is alike in every model.
MINIMAL_CLIENT = "minimal"
#: The task count the overlap claims are read at (the smaller of it and what ran).
OVERLAP_N = 100
#: The models the overlap claims are about, where the run has them.
OVERLAP_MODELS = ("threads", "generators", "greenlet", "gevent", "asyncio", "uvloop")


def _overlap(workload: str, how: str) -> Callable[[pd.DataFrame], Verdict]:
    claim_id = f"{workload}_waits_overlap"

    def check(frame: pd.DataFrame) -> Verdict:
        measured = _rows(frame, "workload", workload)
        present = [m for m in OVERLAP_MODELS if (measured["backend"] == m).any()]
        n = _largest_common_n(frame, workload, present, at_most=OVERLAP_N) if present else None
        figures = {m: row for m in present if n is not None and (row := _at(frame, workload, m, n)) is not None}
        names = ", ".join(figures) or ", ".join(OVERLAP_MODELS)
        claim = f"{how}: {names} overlap {n or OVERLAP_N} waits, each within 3x ideal"
        if n is None or n < 2 or not figures:
            return Verdict(
                claim_id, claim, NOT_MEASURED, f"this run has no `{workload}` figures at a common n_tasks >= 2"
            )
        outcomes = [judge(figure(row, "times_ideal"), below=3.0) for row in figures.values()]
        parts = [f"{m} {_times_text(figure(row, 'times_ideal'))}" for m, row in figures.items()]
        sequential = _at(frame, workload, "sequential", n)
        if sequential is not None:
            parts.append(f"sequential {fmt_ratio(sequential['times_ideal'])}")
        return Verdict(claim_id, claim, combine(outcomes), f"at {n} tasks, times ideal: " + ", ".join(parts))

    check.__name__ = claim_id
    check.__doc__ = f"Cooperative and threaded models overlap {workload} waits."
    return check


def _times_text(fig: Figure) -> str:
    if not fig.has_interval:
        return fmt_ratio(fig.value)
    return f"{fmt_ratio(fig.value)} ({fmt_ratio(fig.low)}-{fmt_ratio(fig.high)})"


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
    claim_id = "threads_do_not_parallelise_python"
    with_gil = gil_premise(frame)
    claim = (
        "CPU-bound Python with the GIL: threads gain nothing over sequential (under 1.2x), "
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
        return Verdict(
            claim_id, claim, NOT_MEASURED, "this run has no `cpu_spin` figures for sequential, threads and process_pool"
        )
    found = {b: _at(frame, "cpu_spin", b, n) for b in backends}
    if any(row is None for row in found.values()):
        return Verdict(claim_id, claim, NOT_MEASURED, "a model is missing at the common n_tasks")
    times = {b: figure(row, "median") for b, row in found.items() if row is not None}
    threads_gain, pool_gain = times["sequential"] / times["threads"], times["sequential"] / times["process_pool"]
    outcomes = [judge(threads_gain, below=1.2)] if with_gil else []
    if cores >= 2:
        outcomes.append(judge(pool_gain, above=1.5))
        if not with_gil:
            outcomes.append(judge(threads_gain, above=1.5))
    evidence = (
        f"at {n} tasks on {cores} cores, the speed of sequential ({fmt_seconds(times['sequential'].value)}): "
        f"threads {_interval_text(threads_gain)}; process_pool {_interval_text(pool_gain)}; "
        f"the threads ran with the GIL {'enabled' if with_gil else 'disabled'}"
    )
    return Verdict(claim_id, claim, combine(outcomes), evidence)


#: The columns of the tidy frame the claims read.
COLUMNS = (
    "kind", "case", "backend", "variant", "label", "n_tasks", "median", "times_ideal", "ci_low", "ci_high",
    "per_op_s", "bytes_per_task", "channel", "payload_bytes", "cpu_count", "gil_enabled",
)  # fmt: skip

CLAIMS: tuple[Callable[[pd.DataFrame], Verdict], ...] = (
    _dearer("process_spawn_dearer_than_thread", "spawn", "Starting a task", "processes", "threads"),
    _dearer("thread_spawn_dearer_than_greenlet", "spawn", "Starting a task", "threads", "greenlet"),
    _dearer("thread_switch_dearer_than_greenlet", "switch", "A hand-over", "threads", "greenlet"),
    _dearer_matched("process_switch_dearer_than_thread", "switch", "A hand-over", "processes", "threads"),
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
    # Imported here: those claims are built from this module's helpers.
    from reports.interpreter_claims import INTERPRETER_CLAIMS
    from reports.workload_claims import WORKLOAD_CLAIMS

    return [claim(frame) for claim in (*CLAIMS, *WORKLOAD_CLAIMS, *INTERPRETER_CLAIMS)]


def claims_markdown(verdicts: list[Verdict]) -> list[str]:
    """The claims as a table: claim, verdict on this machine, the figures."""
    word = {
        HOLDS: "holds",
        DOES_NOT_HOLD: "**does not hold**",
        INCONCLUSIVE: "inconclusive",
        NOT_MEASURED: "not measured",
    }
    lines = [
        "Common claims about these models, checked against this run's figures and their 95% intervals: a claim "
        "holds (or does not) only when the interval clears its threshold, and is inconclusive when it straddles "
        "it or a figure has no interval (one process). A claim that does not hold here is a finding about this "
        "machine, not an error.",
        "",
        "| claim | on this machine | figures |",
        "|---|---|---|",
    ]
    lines += [f"| {v.claim} | {word[v.outcome]} | {v.evidence} |" for v in verdicts]
    return lines
