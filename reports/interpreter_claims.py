"""The claims about subinterpreters (PEP 684's GIL per interpreter, PEP 734's API), checked against one run.

Decided like every claim in :mod:`reports.claims`. Each states its premise: the
Python the interpreters ran on and whether that build has a GIL at all. Where the
``interpreters`` model did not run (Python before 3.12) they are "not measured", with
that reason. On a free-threaded build the threads run pure Python in parallel too:
the parallel claim then still expects the gain, but says that it shows isolation
working, not a GIL escaped, and the memory claim says what the isolation costs.
"""

from __future__ import annotations

import pandas as pd

from reports.claims import (
    NOT_MEASURED,
    Figure,
    Verdict,
    _at,
    _first_label,
    _interval_text,
    _kib,
    _largest_common_n,
    _per_op,
    _rows,
    combine,
    figure,
    judge,
)
from reports.units import fmt_seconds

#: The interpreters must gain at least this over sequential on cpu_spin (2+ cores).
PARALLEL_GAIN = 1.5
#: The task count the parallel claim is read at (the largest that ran, up to it).
PARALLEL_N = 10
#: Why a claim has no interpreters figure in a run (the model is skipped before 3.12).
SKIPPED = "this run has no `{what}` figure for interpreters (the model needs Python 3.12+ for a GIL per interpreter)"


def _premise(frame: pd.DataFrame) -> tuple[str, bool]:
    """The interpreters' Python as text, and whether it ran with a GIL (False: a free-threaded build)."""
    own = frame[frame["backend"] == "interpreters"]
    versions = own["python_version"].dropna().unique() if "python_version" in own else []
    states = own["gil_enabled"].dropna()
    with_gil = all(bool(state) for state in states)
    version = f"Python {versions[0]}" if len(versions) else "Python 3.12+"
    return version, with_gil


def _premise_text(version: str, with_gil: bool) -> str:
    if with_gil:
        return f"{version}, a GIL per interpreter"
    return f"{version} free-threaded, no GIL at all (threads run in parallel too)"


def subinterpreters_parallelise_python(frame: pd.DataFrame) -> Verdict:
    """Pure-Python work runs in parallel in subinterpreters of one process, each with its own GIL."""
    claim_id = "subinterpreters_parallelise_python"
    version, with_gil = _premise(frame)
    claim = (
        f"Subinterpreters run pure-Python CPU in parallel in one process ({_premise_text(version, with_gil)}): "
        f"at least {PARALLEL_GAIN}x over sequential on 2+ cores"
    )
    if not with_gil:
        claim += "; here it shows isolated interpreters sharing nothing, not a GIL escaped"
    cores = int(frame["cpu_count"].dropna().iloc[0]) if frame["cpu_count"].notna().any() else 1
    n = _largest_common_n(frame, "cpu_spin", ["sequential", "interpreters"], at_most=PARALLEL_N)
    if n is None or n < 2:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="cpu_spin") + " or sequential")
    if cores < 2:
        return Verdict(claim_id, claim, NOT_MEASURED, f"this machine has {cores} core: no parallel speedup to see")
    sequential, own = _at(frame, "cpu_spin", "sequential", n), _at(frame, "cpu_spin", "interpreters", n)
    if sequential is None or own is None:
        return Verdict(claim_id, claim, NOT_MEASURED, "a model is missing at the common n_tasks")
    gain = figure(sequential, "median") / figure(own, "median")
    evidence = (
        f"at {n} tasks on {cores} cores, the speed of sequential ({fmt_seconds(float(sequential['median']))}): "
        f"interpreters {_interval_text(gain)}"
    )
    for other in ("process_pool", "threads"):
        row = _at(frame, "cpu_spin", other, n)
        if row is not None:
            evidence += f"; {other} {_interval_text(figure(sequential, 'median') / figure(row, 'median'))}"
    return Verdict(claim_id, claim, combine([judge(gain, above=PARALLEL_GAIN)]), evidence)


def interpreter_starts_between_thread_and_process(frame: pd.DataFrame) -> Verdict:
    """A new interpreter costs more to start than a thread and less than a process."""
    claim_id = "interpreter_starts_between_thread_and_process"
    version, with_gil = _premise(frame)
    process = _first_label(frame, "processes")
    claim = (
        f"Starting a task ({_premise_text(version, with_gil)}): a new interpreter is cheaper than {process}, "
        "dearer than a thread"
    )
    own, threads, processes = (_per_op(frame, "spawn", label) for label in ("interpreters", "threads", process))
    if own is None:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="spawn"))
    if threads is None or processes is None:
        missing = "threads" if threads is None else process
        return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `spawn` figure for {missing}")
    cheaper, dearer = processes / own, own / threads
    evidence = (
        f"interpreters {fmt_seconds(own.value)}, {process} {fmt_seconds(processes.value)}, threads "
        f"{fmt_seconds(threads.value)} per spawn; {process} over interpreters {_interval_text(cheaper)}, "
        f"interpreters over threads {_interval_text(dearer)}"
    )
    return Verdict(claim_id, claim, combine([judge(cheaper, above=1.0), judge(dearer, above=1.0)]), evidence)


def interpreter_memory_between_thread_and_process(frame: pd.DataFrame) -> Verdict:
    """A live interpreter holds more memory than a thread and less than a process."""
    claim_id = "interpreter_memory_between_thread_and_process"
    version, with_gil = _premise(frame)
    rows = _rows(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    process = _first_label(rows, "processes") if not rows.empty else "processes"
    claim = (
        f"Memory ({_premise_text(version, with_gil)}): a live interpreter takes less than {process}, more than a thread"
    )
    found: dict[str, Figure] = {}
    for label in ("interpreters", "threads", process):
        of_label = rows[rows["label"] == label]
        if not of_label.empty:
            found[label] = figure(of_label.iloc[-1], "bytes_per_task")
    if "interpreters" not in found:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="memory"))
    missing = [label for label in ("threads", process) if label not in found]
    if missing:
        return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `memory` figure for {', '.join(missing)}")
    own, threads, processes = found["interpreters"], found["threads"], found[process]
    share, over = own / processes, own / threads
    evidence = (
        f"interpreters {_kib(own.value)}, {process} {_kib(processes.value)}, threads {_kib(threads.value)} per "
        f"live task; interpreters {_interval_text(share)} of a process, {_interval_text(over)} of a thread"
    )
    return Verdict(claim_id, claim, combine([judge(share, below=1.0), judge(over, above=1.0)]), evidence)


INTERPRETER_CLAIMS = (
    subinterpreters_parallelise_python,
    interpreter_starts_between_thread_and_process,
    interpreter_memory_between_thread_and_process,
)
