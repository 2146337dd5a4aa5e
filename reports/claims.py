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

import numpy as np
import pandas as pd

from reports.models import MODEL_COLUMNS
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


@dataclass(frozen=True)
class Kind:
    """The models a claim is about, chosen by the traits they declare (``run.json``'s ``models``).

    A trait left None is not looked at. A run whose models declare no traits (written
    before format 2.6) has no model of any kind, so its claims are "not measured".
    """

    #: How the claim names such a model in its text ("a thread per task").
    words: str
    waits: tuple[str, ...] = ()
    parallel_python: bool | None = None
    in_parent: bool | None = None
    fixed_pool: bool | None = None
    own_interpreter: bool | None = None
    #: Only the baseline model (the one the speedups divide by).
    baseline: bool = False

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` whose model is of this kind."""
        keep = pd.Series(True, index=frame.index)
        if self.baseline:
            keep &= frame.get("model_baseline", pd.Series(False, index=frame.index)).fillna(False).astype(bool)
        if self.waits:
            keep &= frame.get("model_waits", pd.Series(None, index=frame.index)).isin(self.waits)
        for trait in ("parallel_python", "in_parent", "fixed_pool", "own_interpreter"):
            wanted = getattr(self, trait)
            if wanted is not None:
                column = frame.get(f"model_{trait}", pd.Series(None, index=frame.index))
                keep &= column.map(lambda value, w=wanted: isinstance(value, (bool, np.bool_)) and bool(value) == w)
        return frame[keep]

    def models(self, frame: pd.DataFrame) -> list[str]:
        """The models of this kind in ``frame``, in their declared order."""
        rows = self.rows(frame)
        if rows.empty:
            return []
        order = rows.get("model_order", pd.Series(0, index=rows.index)).fillna(0)
        first = rows.assign(_order=order).sort_values(["_order", "backend"]).drop_duplicates("backend")
        return [str(b) for b in first["backend"]]


#: The kinds of model the claims below are about.
BASELINE = Kind("the baseline", baseline=True)
THREAD_PER_TASK = Kind("a thread per task", waits=("thread",), in_parent=True, fixed_pool=False, own_interpreter=False)
THREADED = Kind("OS threads", waits=("thread",), in_parent=True, own_interpreter=False)
PROCESS_PER_TASK = Kind("a process per task", waits=("process",), fixed_pool=False)
PROCESS_POOL = Kind("a process pool", waits=("process",), parallel_python=True, fixed_pool=True)
COOPERATIVE = Kind("a cooperative task", waits=("cooperative",), in_parent=True, fixed_pool=False)
#: Every model that lets each task of the parent process wait at once, on a loop or in a thread.
OVERLAPPING = Kind("a task per wait", waits=("cooperative", "thread"), in_parent=True, fixed_pool=False)
SUBINTERPRETERS = Kind("a subinterpreter", in_parent=True, own_interpreter=True)
#: Why a claim found no model of a kind.
NO_TRAITS = "no model of this run declares traits that qualify it ({words}); runs before format 2.6 declare none"


def no_model(kind: Kind) -> str:
    """The evidence of a claim that found no model of ``kind``."""
    return NO_TRAITS.format(words=kind.words)


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


def _labels(frame: pd.DataFrame, kind: Kind) -> list[str]:
    """The label of each model of ``kind`` in ``frame``: its default variant's (processes[fork], say)."""
    return [_first_label(frame, model) for model in kind.models(frame)]


def _names(labels: Sequence[str], kind: Kind) -> str:
    return f"{', '.join(labels)} ({kind.words})" if labels else kind.words


def _dearer(
    claim_id: str, micro: str, what: str, dear_kind: Kind, cheap_kind: Kind
) -> Callable[[pd.DataFrame], Verdict]:
    """Each model of ``dear_kind`` costs more per ``micro`` than each model of ``cheap_kind``."""

    def check(frame: pd.DataFrame) -> Verdict:
        dears, cheaps = _labels(frame, dear_kind), _labels(frame, cheap_kind)
        claim = f"{what}: {_names(dears, dear_kind)} costs more than {_names(cheaps, cheap_kind)}"
        if not dears or not cheaps:
            return Verdict(claim_id, claim, NOT_MEASURED, no_model(dear_kind if not dears else cheap_kind))
        dear_s = {label: f for label in dears if (f := _per_op(frame, micro, label)) is not None}
        cheap_s = {label: f for label in cheaps if (f := _per_op(frame, micro, label)) is not None}
        if not dear_s or not cheap_s:
            missing = " or ".join(dears if not dear_s else cheaps)
            return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `{micro}` figure for {missing}")
        claim = f"{what}: {_names(list(dear_s), dear_kind)} costs more than {_names(list(cheap_s), cheap_kind)}"
        outcomes, parts = [], []
        for dear, d in dear_s.items():
            for cheap, c in cheap_s.items():
                outcomes.append(judge(d / c, above=1.0))
                parts.append(
                    f"{dear} {fmt_seconds(d.value)} vs {cheap} {fmt_seconds(c.value)} ({_interval_text(d / c)})"
                )
        return Verdict(claim_id, claim, combine(outcomes), f"per {micro}: " + "; ".join(parts))

    check.__name__ = claim_id
    check.__doc__ = f"{what}: {dear_kind.words} costs more than {cheap_kind.words}."
    return check


def _dearer_matched(
    claim_id: str, micro: str, what: str, dear_kind: Kind, cheap_kind: Kind
) -> Callable[[pd.DataFrame], Verdict]:
    """As :func:`_dearer`, compared only through the same mechanism at the same CPU placement.

    Every pair of rows that share ``mechanism`` and ``placement`` is judged; a run
    without such a pair says it cannot compare them.
    """

    def check(frame: pd.DataFrame) -> Verdict:
        dears, cheaps = _labels(frame, dear_kind), _labels(frame, cheap_kind)
        claim = f"{what}: {_names(dears, dear_kind)} costs more than {_names(cheaps, cheap_kind)}"
        if not dears or not cheaps:
            return Verdict(claim_id, claim, NOT_MEASURED, no_model(dear_kind if not dears else cheap_kind))
        rows = _rows(frame, "micro", micro).dropna(subset=["per_op_s"])
        if not {"mechanism", "placement"} <= set(rows.columns):
            return Verdict(claim_id, claim, NOT_MEASURED, f"this run's `{micro}` rows name no mechanism and placement")
        rows = rows[rows["label"].isin([*dears, *cheaps])].dropna(subset=["mechanism", "placement"])
        pairs = []
        for (mechanism, placement), same in rows.groupby(["mechanism", "placement"], sort=True):
            last = same.sort_values("n_tasks", na_position="first").drop_duplicates("label", keep="last")
            by_label = {str(r["label"]): figure(r, "per_op_s") for _, r in last.iterrows()}
            pairs += [
                (str(placement), str(mechanism), dear, cheap, by_label[dear], by_label[cheap])
                for dear in dears
                for cheap in cheaps
                if dear in by_label and cheap in by_label
            ]
        if not pairs:
            return Verdict(
                claim_id,
                claim,
                NOT_MEASURED,
                f"no `{micro}` figures of {' or '.join(dears)} and {' or '.join(cheaps)} through the same mechanism "
                "at the same placement",
            )
        evidence = "; ".join(
            f"{placement} over {mechanism}: {dear} {fmt_seconds(d.value)} vs {cheap} {fmt_seconds(c.value)} "
            f"({_interval_text(d / c)})"
            for placement, mechanism, dear, cheap, d, c in pairs
        )
        return Verdict(claim_id, claim, combine(judge(d / c, above=1.0) for *_, d, c in pairs), evidence)

    check.__name__ = claim_id
    check.__doc__ = f"{what}: {dear_kind.words} costs more than {cheap_kind.words}, like for like."
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
    """A cooperative task holds far less memory than a process."""
    claim_id = "light_tasks_take_a_tenth_of_a_process"
    rows = _rows(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    processes, lights = _labels(rows, PROCESS_PER_TASK), _labels(rows, COOPERATIVE)
    claim = (
        f"Memory: {_names(lights, COOPERATIVE)} takes under a tenth of what "
        f"{_names(processes[:1], PROCESS_PER_TASK)} takes"
    )
    if not processes or not lights:
        return Verdict(
            claim_id,
            claim,
            NOT_MEASURED,
            f"this run has no `memory` figure for {PROCESS_PER_TASK.words if not processes else COOPERATIVE.words}",
        )
    process = rows[rows["label"] == processes[0]].iloc[-1]
    per_process = figure(process, "bytes_per_task")
    parts = [f"{process['label']} {_kib(per_process.value)}"]
    outcomes = []
    for label in lights:
        row = rows[rows["label"] == label].iloc[-1]
        share = figure(row, "bytes_per_task") / per_process
        outcomes.append(judge(share, below=0.1))
        parts.append(f"{label} {_kib(row['bytes_per_task'])} ({_interval_text(share)} of a process)")
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


def _overlap(workload: str, how: str) -> Callable[[pd.DataFrame], Verdict]:
    """Every model that gives each task a wait of its own (:data:`OVERLAPPING`) stays within 3x ideal."""
    claim_id = f"{workload}_waits_overlap"

    def check(frame: pd.DataFrame) -> Verdict:
        measured = _rows(frame, "workload", workload)
        present = OVERLAPPING.models(measured)
        n = _largest_common_n(frame, workload, present, at_most=OVERLAP_N) if present else None
        figures = {m: row for m in present if n is not None and (row := _at(frame, workload, m, n)) is not None}
        names = ", ".join(figures) or OVERLAPPING.words
        claim = f"{how}: {names} overlap {n or OVERLAP_N} waits, each within 3x ideal"
        if not present:
            return Verdict(claim_id, claim, NOT_MEASURED, no_model(OVERLAPPING) + f" in `{workload}`")
        if n is None or n < 2 or not figures:
            return Verdict(
                claim_id, claim, NOT_MEASURED, f"this run has no `{workload}` figures at a common n_tasks >= 2"
            )
        outcomes = [judge(figure(row, "times_ideal"), below=3.0) for row in figures.values()]
        parts = [f"{m} {_times_text(figure(row, 'times_ideal'))}" for m, row in figures.items()]
        for baseline in BASELINE.models(measured):
            if (row := _at(frame, workload, baseline, n)) is not None:
                parts.append(f"{baseline} {fmt_ratio(row['times_ideal'])}")
        return Verdict(claim_id, claim, combine(outcomes), f"at {n} tasks, times ideal: " + ", ".join(parts))

    check.__name__ = claim_id
    check.__doc__ = f"Every model that gives each task its own wait overlaps {workload} waits."
    return check


def _times_text(fig: Figure) -> str:
    if not fig.has_interval:
        return fmt_ratio(fig.value)
    return f"{fmt_ratio(fig.value)} ({fmt_ratio(fig.low)}-{fmt_ratio(fig.high)})"


def gil_premise(frame: pd.DataFrame) -> bool:
    """Whether the models of OS threads ran with the GIL; assumed so where the run does not say.

    A free-threaded build records ``gil_enabled`` False when it ran without the GIL
    (it turns it back on for an extension module not marked safe without it).
    """
    states = THREADED.rows(frame)["gil_enabled"].dropna()
    return all(bool(state) for state in states)


def threads_do_not_parallelise_python(frame: pd.DataFrame) -> Verdict:
    """The GIL: threads give pure-Python work no speedup; a process pool does.

    The claim's premise is the GIL. Where the threads ran without it (a free-threaded
    build), the expected outcome flips: threads should then gain as a process pool does.
    Several process pools (a pool of the standard library's, joblib's, a cluster's)
    each show their gain; the claim asks that one of them reaches it, as a pool whose
    own overhead hides the cores is the library's cost, not the model's.
    """
    claim_id = "threads_do_not_parallelise_python"
    with_gil = gil_premise(frame)
    claim = (
        "CPU-bound Python with the GIL: OS threads gain nothing over the baseline (under 1.2x), "
        "a process pool gains at least 1.5x on 2+ cores"
        if with_gil
        else "CPU-bound Python without the GIL (free-threaded build, so the usual claim flips): "
        "OS threads gain at least 1.5x over the baseline on 2+ cores, as a process pool does"
    )
    rows = _rows(frame, "workload", "cpu_spin")
    cores = int(frame["cpu_count"].dropna().iloc[0]) if frame["cpu_count"].notna().any() else 1
    baselines, threads, pools = BASELINE.models(rows), THREADED.models(rows), PROCESS_POOL.models(rows)
    if not baselines or not threads or not pools:
        missing = next(k for k, m in ((BASELINE, baselines), (THREADED, threads), (PROCESS_POOL, pools)) if not m)
        return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `cpu_spin` figures for {missing.words}")
    baseline = baselines[0]
    n = _largest_common_n(rows, "cpu_spin", [baseline, *threads])
    if n is None or n < cores:
        return Verdict(claim_id, claim, NOT_MEASURED, "the baseline and the threads have no common n_tasks")
    base = _at(frame, "cpu_spin", baseline, n)
    gains = {
        m: figure(base, "median") / figure(row, "median")
        for m in (*threads, *pools)
        if base is not None and (row := _at(frame, "cpu_spin", m, n)) is not None
    }
    pool_gains = {m: g for m, g in gains.items() if m in pools}
    if base is None or not pool_gains:
        return Verdict(claim_id, claim, NOT_MEASURED, f"no process pool ran `cpu_spin` at {n} tasks")
    thread_gains = [g for m, g in gains.items() if m in threads]
    outcomes = [judge(g, below=1.2) for g in thread_gains] if with_gil else []
    if cores >= 2:
        best = max(pool_gains.values(), key=lambda g: g.value)
        outcomes.append(judge(best, above=1.5))
        if not with_gil:
            outcomes += [judge(g, above=1.5) for g in thread_gains]
    evidence = (
        f"at {n} tasks on {cores} cores, the speed of {baseline} ({fmt_seconds(figure(base, 'median').value)}): "
        + "; ".join(f"{m} {_interval_text(g)}" for m, g in gains.items())
        + f"; the threads ran with the GIL {'enabled' if with_gil else 'disabled'}"
    )
    return Verdict(claim_id, claim, combine(outcomes), evidence)


#: The columns of the tidy frame the claims read.
COLUMNS = (
    "kind", "case", "backend", "variant", "label", "n_tasks", "median", "times_ideal", "ci_low", "ci_high",
    "per_op_s", "bytes_per_task", "channel", "payload_bytes", "cpu_count", "gil_enabled", *MODEL_COLUMNS,
)  # fmt: skip

CLAIMS: tuple[Callable[[pd.DataFrame], Verdict], ...] = (
    _dearer("process_spawn_dearer_than_thread", "spawn", "Starting a task", PROCESS_PER_TASK, THREAD_PER_TASK),
    _dearer("thread_spawn_dearer_than_greenlet", "spawn", "Starting a task", THREAD_PER_TASK, COOPERATIVE),
    _dearer("thread_switch_dearer_than_greenlet", "switch", "A hand-over", THREAD_PER_TASK, COOPERATIVE),
    _dearer_matched("process_switch_dearer_than_thread", "switch", "A hand-over", PROCESS_PER_TASK, THREAD_PER_TASK),
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
