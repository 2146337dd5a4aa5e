"""The claims about the micro-costs of subinterpreters (PEP 684's GIL per interpreter, PEP 734's API).

Decided like every claim (:mod:`reports.verdicts`). The claims are about every model
whose tasks run in interpreters of their own inside the parent process
(:data:`reports.verdicts.SUBINTERPRETERS`, by the traits it declares). Each states
its premise: the Python the interpreters ran on and whether that build has a GIL at
all. Where no such model ran (Python before 3.12) they are "not measured", with that
reason. On a free-threaded build the memory claim says what the isolation costs.
Whether they run pure Python in parallel is a claim of the CPU workload's own.
"""

from __future__ import annotations

import pandas as pd

from reports.units import fmt_seconds
from reports.verdicts import (
    NOT_MEASURED,
    PROCESS_PER_TASK,
    SUBINTERPRETERS,
    THREAD_PER_TASK,
    Figure,
    Verdict,
    combine,
    figure,
    interval_text,
    judge,
    kib,
    labels_of,
    per_op,
    rows_of,
)

#: Why a claim has no interpreters figure in a run (the model is skipped before 3.12).
SKIPPED = "this run has no `{what}` figure for a subinterpreter model (it needs Python 3.12+ for a GIL per interpreter)"


def _own(frame: pd.DataFrame) -> str | None:
    """The label of the run's first subinterpreter model, or None."""
    labels = labels_of(frame, SUBINTERPRETERS)
    return labels[0] if labels else None


def _premise(frame: pd.DataFrame) -> tuple[str, bool]:
    """The interpreters' Python as text, and whether it ran with a GIL (False: a free-threaded build)."""
    own = SUBINTERPRETERS.rows(frame)
    versions = own["python_version"].dropna().unique() if "python_version" in own else []
    states = own["gil_enabled"].dropna()
    with_gil = all(bool(state) for state in states)
    version = f"Python {versions[0]}" if len(versions) else "Python 3.12+"
    return version, with_gil


def _premise_text(version: str, with_gil: bool) -> str:
    if with_gil:
        return f"{version}, a GIL per interpreter"
    return f"{version} free-threaded, no GIL at all (threads run in parallel too)"


def interpreter_starts_between_thread_and_process(frame: pd.DataFrame) -> Verdict:
    """A new interpreter costs more to start than a thread and less than a process."""
    claim_id = "interpreter_starts_between_thread_and_process"
    version, with_gil = _premise(frame)
    own_label = _own(frame)
    process = next(iter(labels_of(frame, PROCESS_PER_TASK)), PROCESS_PER_TASK.words)
    thread = next(iter(labels_of(frame, THREAD_PER_TASK)), THREAD_PER_TASK.words)
    claim = (
        f"Starting a task ({_premise_text(version, with_gil)}): a new interpreter is cheaper than {process}, "
        f"dearer than {thread}"
    )
    own = per_op(frame, "spawn", own_label) if own_label else None
    threads, processes = (per_op(frame, "spawn", label) for label in (thread, process))
    if own is None:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="spawn"))
    if threads is None or processes is None:
        missing = thread if threads is None else process
        return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `spawn` figure for {missing}")
    cheaper, dearer = processes / own, own / threads
    evidence = (
        f"{own_label} {fmt_seconds(own.value)}, {process} {fmt_seconds(processes.value)}, {thread} "
        f"{fmt_seconds(threads.value)} per spawn; {process} over {own_label} {interval_text(cheaper)}, "
        f"{own_label} over {thread} {interval_text(dearer)}"
    )
    return Verdict(claim_id, claim, combine([judge(cheaper, above=1.0), judge(dearer, above=1.0)]), evidence)


def interpreter_memory_between_thread_and_process(frame: pd.DataFrame) -> Verdict:
    """A live interpreter holds more memory than a thread and less than a process."""
    claim_id = "interpreter_memory_between_thread_and_process"
    version, with_gil = _premise(frame)
    rows = rows_of(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    own_label = _own(rows)
    process = next(iter(labels_of(rows, PROCESS_PER_TASK)), PROCESS_PER_TASK.words)
    thread = next(iter(labels_of(rows, THREAD_PER_TASK)), THREAD_PER_TASK.words)
    claim = (
        f"Memory ({_premise_text(version, with_gil)}): a live interpreter takes less than {process}, more than {thread}"
    )
    found: dict[str, Figure] = {}
    for label in (own_label, thread, process):
        of_label = rows[rows["label"] == label]
        if label is not None and not of_label.empty:
            found[label] = figure(of_label.iloc[-1], "bytes_per_task")
    if own_label not in found:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="memory"))
    missing = [label for label in (thread, process) if label not in found]
    if missing:
        return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `memory` figure for {', '.join(missing)}")
    assert own_label is not None
    own, threads, processes = found[own_label], found[thread], found[process]
    share, over = own / processes, own / threads
    evidence = (
        f"{own_label} {kib(own.value)}, {process} {kib(processes.value)}, {thread} {kib(threads.value)} per "
        f"live task; {own_label} {interval_text(share)} of a process, {interval_text(over)} of a thread"
    )
    return Verdict(claim_id, claim, combine([judge(share, below=1.0), judge(over, above=1.0)]), evidence)


INTERPRETER_CLAIMS = (
    interpreter_starts_between_thread_and_process,
    interpreter_memory_between_thread_and_process,
)
