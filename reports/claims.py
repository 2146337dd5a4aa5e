"""The tutorials' claims about kinds of concurrency model and their micro-costs, checked against one run.

Each claim is a function of the run's tidy frame that returns a
:class:`~reports.verdicts.Verdict`, decided with the figures' 95% intervals (see
:mod:`reports.verdicts`). A claim is about kinds of model (a thread per task, a
process per task, a cooperative task), chosen by the traits the run's models declare,
never by name: a model added through the registry is in every claim its traits
qualify it for. The claims about a workload's figures are declared by the workload
(:mod:`reports.workload_claims`).

The claim's text names only the models and the task count that were checked.
Nothing here is hard-coded but each claim's own threshold, stated in its text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from reports.interpreter_claims import INTERPRETER_CLAIMS
from reports.models import MODEL_COLUMNS
from reports.units import fmt_bytes, fmt_rate, fmt_seconds
from reports.verdicts import (
    COOPERATIVE,
    DOES_NOT_HOLD,
    HOLDS,
    INCONCLUSIVE,
    NOT_MEASURED,
    PROCESS_PER_TASK,
    THREAD_PER_TASK,
    Figure,
    Kind,
    Verdict,
    combine,
    figure,
    interval_text,
    judge,
    kib,
    labels_of,
    names_text,
    no_model,
    per_op,
    rows_of,
)
from reports.workload_claims import declared_verdicts


def _dearer(
    claim_id: str, micro: str, what: str, dear_kind: Kind, cheap_kind: Kind
) -> Callable[[pd.DataFrame], Verdict]:
    """Each model of ``dear_kind`` costs more per ``micro`` than each model of ``cheap_kind``."""

    def check(frame: pd.DataFrame) -> Verdict:
        dears, cheaps = labels_of(frame, dear_kind), labels_of(frame, cheap_kind)
        claim = f"{what}: {names_text(dears, dear_kind)} costs more than {names_text(cheaps, cheap_kind)}"
        if not dears or not cheaps:
            return Verdict(claim_id, claim, NOT_MEASURED, no_model(dear_kind if not dears else cheap_kind))
        dear_s = {label: f for label in dears if (f := per_op(frame, micro, label)) is not None}
        cheap_s = {label: f for label in cheaps if (f := per_op(frame, micro, label)) is not None}
        if not dear_s or not cheap_s:
            missing = " or ".join(dears if not dear_s else cheaps)
            return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `{micro}` figure for {missing}")
        claim = f"{what}: {names_text(list(dear_s), dear_kind)} costs more than {names_text(list(cheap_s), cheap_kind)}"
        outcomes, parts = [], []
        for dear, d in dear_s.items():
            for cheap, c in cheap_s.items():
                outcomes.append(judge(d / c, above=1.0))
                parts.append(
                    f"{dear} {fmt_seconds(d.value)} vs {cheap} {fmt_seconds(c.value)} ({interval_text(d / c)})"
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
        dears, cheaps = labels_of(frame, dear_kind), labels_of(frame, cheap_kind)
        claim = f"{what}: {names_text(dears, dear_kind)} costs more than {names_text(cheaps, cheap_kind)}"
        if not dears or not cheaps:
            return Verdict(claim_id, claim, NOT_MEASURED, no_model(dear_kind if not dears else cheap_kind))
        rows = rows_of(frame, "micro", micro).dropna(subset=["per_op_s"])
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
            f"({interval_text(d / c)})"
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
    rows = rows_of(frame, "micro", "ipc").dropna(subset=["per_op_s", "payload_bytes"])
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
            f"({interval_text(gain)})"
        )
    return Verdict(claim_id, claim, combine(outcomes), "; ".join(parts))


def light_tasks_take_a_tenth_of_a_process(frame: pd.DataFrame) -> Verdict:
    """A cooperative task holds far less memory than a process."""
    claim_id = "light_tasks_take_a_tenth_of_a_process"
    rows = rows_of(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    processes, lights = labels_of(rows, PROCESS_PER_TASK), labels_of(rows, COOPERATIVE)
    claim = (
        f"Memory: {names_text(lights, COOPERATIVE)} takes under a tenth of what "
        f"{names_text(processes[:1], PROCESS_PER_TASK)} takes"
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
    parts = [f"{process['label']} {kib(per_process.value)}"]
    outcomes = []
    for label in lights:
        row = rows[rows["label"] == label].iloc[-1]
        share = figure(row, "bytes_per_task") / per_process
        outcomes.append(judge(share, below=0.1))
        parts.append(f"{label} {kib(row['bytes_per_task'])} ({interval_text(share)} of a process)")
    return Verdict(claim_id, claim, combine(outcomes), ", ".join(parts) + " per live task")


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
)


def check_claims(frame: pd.DataFrame, manifest: Mapping[str, Any] | None = None) -> list[Verdict]:
    """Every claim's verdict on this run: about kinds of model, subinterpreters, and those its workloads declare.

    ``manifest`` is the run's ``run.json``; without one (or in a run that predates the
    declarations) the workloads declare no claims. A run of some workloads only lacks
    columns, and its claims that need them are "not measured".
    """
    missing = [column for column in COLUMNS if column not in frame.columns]
    frame = frame.assign(**{column: float("nan") for column in missing})
    return [claim(frame) for claim in (*CLAIMS, *INTERPRETER_CLAIMS)] + declared_verdicts(frame, manifest)


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
