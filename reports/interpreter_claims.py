"""The claims about subinterpreters (PEP 684's GIL per interpreter, PEP 734's API), checked against one run.

Decided like every claim in :mod:`reports.claims`. The claims are about every model
whose tasks run in interpreters of their own inside the parent process
(:data:`reports.claims.SUBINTERPRETERS`, by the traits it declares). Each states its
premise: the Python the interpreters ran on and whether that build has a GIL at all.
Where no such model ran (Python before 3.12) they are "not measured", with that
reason. On a free-threaded build the threads run pure Python in parallel too: the
parallel claim then still expects the gain, but says that it shows isolation working,
not a GIL escaped, and the memory claim says what the isolation costs.
"""

from __future__ import annotations

import pandas as pd

from reports.claims import (
    BASELINE,
    NOT_MEASURED,
    PROCESS_PER_TASK,
    PROCESS_POOL,
    SUBINTERPRETERS,
    THREAD_PER_TASK,
    Figure,
    Verdict,
    _at,
    _interval_text,
    _kib,
    _labels,
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
SKIPPED = "this run has no `{what}` figure for a subinterpreter model (it needs Python 3.12+ for a GIL per interpreter)"


def _own(frame: pd.DataFrame) -> str | None:
    """The label of the run's first subinterpreter model, or None."""
    labels = _labels(frame, SUBINTERPRETERS)
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
    spin = _rows(frame, "workload", "cpu_spin")
    own_model, baselines = SUBINTERPRETERS.models(spin), BASELINE.models(spin)
    n = (
        _largest_common_n(frame, "cpu_spin", [baselines[0], own_model[0]], at_most=PARALLEL_N)
        if own_model and baselines
        else None
    )
    if n is None or n < 2:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="cpu_spin") + " or the baseline")
    if cores < 2:
        return Verdict(claim_id, claim, NOT_MEASURED, f"this machine has {cores} core: no parallel speedup to see")
    baseline, own = _at(frame, "cpu_spin", baselines[0], n), _at(frame, "cpu_spin", own_model[0], n)
    if baseline is None or own is None:
        return Verdict(claim_id, claim, NOT_MEASURED, "a model is missing at the common n_tasks")
    gain = figure(baseline, "median") / figure(own, "median")
    evidence = (
        f"at {n} tasks on {cores} cores, the speed of {baselines[0]} ({fmt_seconds(float(baseline['median']))}): "
        f"{own_model[0]} {_interval_text(gain)}"
    )
    for other in (*PROCESS_POOL.models(spin)[:1], *THREAD_PER_TASK.models(spin)[:1]):
        row = _at(frame, "cpu_spin", other, n)
        if row is not None:
            evidence += f"; {other} {_interval_text(figure(baseline, 'median') / figure(row, 'median'))}"
    return Verdict(claim_id, claim, combine([judge(gain, above=PARALLEL_GAIN)]), evidence)


def interpreter_starts_between_thread_and_process(frame: pd.DataFrame) -> Verdict:
    """A new interpreter costs more to start than a thread and less than a process."""
    claim_id = "interpreter_starts_between_thread_and_process"
    version, with_gil = _premise(frame)
    own_label = _own(frame)
    process = next(iter(_labels(frame, PROCESS_PER_TASK)), PROCESS_PER_TASK.words)
    thread = next(iter(_labels(frame, THREAD_PER_TASK)), THREAD_PER_TASK.words)
    claim = (
        f"Starting a task ({_premise_text(version, with_gil)}): a new interpreter is cheaper than {process}, "
        f"dearer than {thread}"
    )
    own = _per_op(frame, "spawn", own_label) if own_label else None
    threads, processes = (_per_op(frame, "spawn", label) for label in (thread, process))
    if own is None:
        return Verdict(claim_id, claim, NOT_MEASURED, SKIPPED.format(what="spawn"))
    if threads is None or processes is None:
        missing = thread if threads is None else process
        return Verdict(claim_id, claim, NOT_MEASURED, f"this run has no `spawn` figure for {missing}")
    cheaper, dearer = processes / own, own / threads
    evidence = (
        f"{own_label} {fmt_seconds(own.value)}, {process} {fmt_seconds(processes.value)}, {thread} "
        f"{fmt_seconds(threads.value)} per spawn; {process} over {own_label} {_interval_text(cheaper)}, "
        f"{own_label} over {thread} {_interval_text(dearer)}"
    )
    return Verdict(claim_id, claim, combine([judge(cheaper, above=1.0), judge(dearer, above=1.0)]), evidence)


def interpreter_memory_between_thread_and_process(frame: pd.DataFrame) -> Verdict:
    """A live interpreter holds more memory than a thread and less than a process."""
    claim_id = "interpreter_memory_between_thread_and_process"
    version, with_gil = _premise(frame)
    rows = _rows(frame, "micro", "memory").dropna(subset=["bytes_per_task"])
    rows = rows.sort_values("n_tasks").drop_duplicates("label", keep="last")  # each model at its largest N
    own_label = _own(rows)
    process = next(iter(_labels(rows, PROCESS_PER_TASK)), PROCESS_PER_TASK.words)
    thread = next(iter(_labels(rows, THREAD_PER_TASK)), THREAD_PER_TASK.words)
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
        f"{own_label} {_kib(own.value)}, {process} {_kib(processes.value)}, {thread} {_kib(threads.value)} per "
        f"live task; {own_label} {_interval_text(share)} of a process, {_interval_text(over)} of a thread"
    )
    return Verdict(claim_id, claim, combine([judge(share, below=1.0), judge(over, above=1.0)]), evidence)


INTERPRETER_CLAIMS = (
    subinterpreters_parallelise_python,
    interpreter_starts_between_thread_and_process,
    interpreter_memory_between_thread_and_process,
)
