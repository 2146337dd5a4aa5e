"""Run one model x workload x n_tasks case under pytest-benchmark.

The harness builds the task, skips what this machine or profile cannot run (with
the reason), records every parameter in ``extra_info``, times whole rounds with
``benchmark.pedantic`` and checks every round's answer in the untimed teardown: a
wrong answer raises, so pytest-benchmark drops the case and the test fails.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pytest

from bench.canary import CANARY_KEY, CanaryReadings
from bench.climb import (
    Climb,
    Step,
    StepFailed,
    climb_key,
    failure_reason,
    peak_rss_bytes,
)
from bench.micro.memory import rss_bytes
from bench.models import Model, load, unavailable
from bench.models._limits import limits_facts, open_files_limit
from bench.profiles import PROFILES, Profile
from bench.results_format import add_measured
from workloads import WORKLOADS, Calibration, Meter, RunContext


@dataclass(frozen=True)
class WorkloadCase:
    """One model (and variant) running one workload at one task count."""

    model: str
    variant: str | None
    workload: str
    n_tasks: int
    #: The value this case takes for each of the workload's grid parameters
    #: (a parameter the workload gives as a tuple of values, such as an HTTP client).
    choices: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        """The model's label: its key, with the variant in brackets."""
        return f"{self.model}[{self.variant}]" if self.variant else self.model

    @property
    def id(self) -> str:
        """The pytest id of this case."""
        chosen = "".join(f"-{value}" for _, value in self.choices)
        return f"{self.label}-{self.workload}{chosen}-n{self.n_tasks}"

    def params(self, profile: Profile) -> dict[str, Any]:
        """The workload's parameters for this case, its grid choices and n_tasks included."""
        return {**profile_params(profile, self.workload), **dict(self.choices), "n_tasks": self.n_tasks}


def profile_params(profile: Profile, workload: str) -> Mapping[str, Any]:
    """A workload's parameters in ``profile``: its own ``params`` for that profile's name.

    A workload that states none for a profile with ``params_from`` takes that one's.
    """
    found = WORKLOADS[workload].profile_params(profile.name)
    if not found and profile.params_from:
        return WORKLOADS[workload].profile_params(profile.params_from)
    return found


def workload_cases(profile: Profile, model: str, workloads: list[str]) -> list[WorkloadCase]:
    """Every case of ``model`` on ``workloads`` in ``profile``."""
    model_cls = None if unavailable(model) else load(model)
    variants = model_cls.variants(profile.start_methods) if model_cls else (None,)
    return [
        WorkloadCase(model, variant, workload, n, choices)
        for workload in workloads
        for choices in grid(profile_params(profile, workload))
        for variant in variants
        if model_cls is None or model_cls.applies(variant, workload)
        for n in profile.n_tasks
    ]


def grid(params: Mapping[str, Any]) -> list[tuple[tuple[str, Any], ...]]:
    """Every combination of the parameters given as tuples of values: ``[()]`` if none are."""
    axes = [(key, values) for key, values in params.items() if isinstance(values, tuple)]
    return [
        tuple(zip([key for key, _ in axes], combo, strict=True))
        for combo in itertools.product(*(values for _, values in axes))
    ]


def rounds_for(profile: Profile, probe_s: float) -> int:
    """How many timed rounds of one process fit the profile's per-case target, given one round's time."""
    if probe_s >= profile.long_round_s:
        return 1
    if probe_s <= 0:
        return profile.max_rounds
    return max(profile.min_rounds, min(profile.max_rounds, math.ceil(profile.target_case_s / probe_s)))


def predicted_round_s(model: Model, case: WorkloadCase, params: dict[str, Any], calibration: Calibration) -> float:
    """A round's likely length: waves of ``capacity`` tasks, each one task long."""
    workload = WORKLOADS[case.workload]
    capacity = model.capacity(case.n_tasks) or case.n_tasks
    return math.ceil(case.n_tasks / capacity) * workload.task_s(case.n_tasks, params, calibration)


def run_case(
    case: WorkloadCase,
    benchmark: Any,
    profile: Profile,
    calibration: Calibration,
    context: RunContext,
    session_state: Any = None,
    session_cores: int | None = None,
    climb: Climb | None = None,
) -> None:
    """Measure ``case`` with ``benchmark``; skip with a reason where it cannot run.

    ``context`` gives the workload the run's options and environment facts, from
    which it resolves its parameters (a URL, say). ``session_state`` is what the
    model's ``session`` yielded; ``session_cores``, when given, replaces the
    machine's cores in the ideal (a cluster's cores). With a ``climb`` (a climbing
    profile), a limit, a cap or a failure of the tasks stops the case's climb there,
    with the reason (:mod:`bench.climb`).
    """
    reason = unavailable(case.model)
    if reason:
        pytest.skip(reason)
    model_cls = load(case.model)
    workload = WORKLOADS[case.workload]
    form = workload.form(model_cls.form)
    if form is None:
        pytest.skip(f"{case.workload} has no {model_cls.form.value} form, which {case.model} needs")
    params = dict(workload.resolve(case.params(profile), context))
    if session_cores is not None:
        calibration = replace(calibration, cpu_count=session_cores)
    with ExitStack() as stack:
        model = stack.enter_context(model_cls.for_session(case.variant, session_state))
        reason = (
            model.limit(case.n_tasks)
            or open_files_limit((model.capacity(case.n_tasks) or case.n_tasks) * workload.fds_per_task)
            or _process_budget(model, case, profile)
        )
        predicted = predicted_round_s(model, case, params, calibration)
        if climb is not None:
            reason = climb.refusal(climb_key(case.id), case.n_tasks, reason, predicted)
        if reason:
            pytest.skip(reason)
        if climb is None and predicted > profile.max_round_s:
            pytest.skip(
                f"{case.label} would take ~{predicted:.1f} s a round at {case.n_tasks} tasks "
                f"(waves of {model.capacity(case.n_tasks)}), over the {profile.name} profile's "
                f"{profile.max_round_s:.0f} s per round (PROFILE=full allows {PROFILES['full'].max_round_s:.0f} s)"
            )
        # Files or data the tasks need are made here, untimed and before a pool
        # forks its workers, and removed after the case.
        run_params = {**params, **stack.enter_context(workload.prepare(params))}
        model.setup(case.n_tasks)
        recorded = {k: v for k, v in params.items() if k != "n_tasks"}
        if workload.recorded is not None:
            recorded.update(workload.recorded(params, calibration))
        benchmark.group = f"{case.workload} n_tasks={case.n_tasks}"
        benchmark.extra_info.update(
            {
                "backend": case.model,
                "variant": case.variant,
                "workload": case.workload,
                "n_tasks": case.n_tasks,
                "ideal_s": checked_ideal(case.workload, workload.ideal_s(case.n_tasks, params, calibration)),
                "profile": profile.name,
                **recorded,
                **(workload.describe(model_cls.form, params) if workload.describe else {}),
                **model.parameters(),
            }
        )
        meter = workload.meter(params, context) if workload.meter else None
        task = partial(form, params=run_params)
        one_round = partial(model.run, task, case.n_tasks)
        climbed: dict[str, float] = {}
        if climb is not None:
            # One round a step and no warmup: the memory before it is read here, untimed.
            climbed["rss_before"] = rss_bytes()
            one_round = partial(_step, one_round, climbed)
        try:
            timed_and_checked(
                benchmark,
                one_round,
                lambda results: workload.check(results, case.n_tasks, run_params),
                profile,
                predicted,
                meter,
            )
        except StepFailed as failed:
            assert climb is not None
            pytest.skip(
                climb.stop(climb_key(case.id), case.n_tasks, failure_reason(failed.__cause__ or failed, limits_facts()))
            )
        readings = dict(meter.extra_info()) if meter is not None else {}
        if climb is not None:
            readings.update(_climbed(climb, case, climbed))
        benchmark.extra_info.update(readings)
        add_measured(benchmark.extra_info, "ideal_s", CANARY_KEY, *readings)


def _step(one_round: Callable[[], Any], climbed: dict[str, float]) -> Any:
    """One round of a climb's step, its wall time noted; a failure of its tasks is :class:`StepFailed`."""
    start = time.perf_counter()
    try:
        result = one_round()
    except Exception as exc:
        raise StepFailed(str(exc)) from exc
    climbed["seconds"] = time.perf_counter() - start
    return result


def _climbed(climb: Climb, case: WorkloadCase, climbed: dict[str, float]) -> dict[str, float]:
    """Record the step in the climb; return its memory readings for ``extra_info``.

    ``peak_rss_bytes`` is the session's peak resident set so far (the steps ascend, so
    it is this step's), and ``step_memory_bytes`` what the step added over what the
    session held before it: the figure the next step's memory is predicted from. A
    model's child processes are not in it; their count is held to what the machine's
    memory allows by the model's own limit (``bench.models._limits.process_limit``).
    """
    peak = peak_rss_bytes()
    taken = max(0, peak - int(climbed["rss_before"]))
    climb.record(climb_key(case.id), Step(case.n_tasks, climbed["seconds"], taken))
    return {"peak_rss_bytes": peak, "step_memory_bytes": taken}


def checked_ideal(workload: str, ideal_s: float | None) -> float | None:
    """The workload's ideal for this case; a failure naming it when it is not a positive, finite time.

    The reports refuse a file with such an ideal (rule 7: ideals are bounds), so it is
    refused here, for this case alone, rather than recorded.
    """
    if ideal_s is None:
        return None
    number = isinstance(ideal_s, int | float) and not isinstance(ideal_s, bool)
    if not number or not math.isfinite(ideal_s) or ideal_s <= 0:
        pytest.fail(
            f"{workload}'s ideal_s returned {ideal_s!r}; an ideal is a positive, finite time in seconds or None"
        )
    return float(ideal_s)


def _process_budget(model: Model, case: WorkloadCase, profile: Profile) -> str | None:
    """Why a round starting this many processes is over the profile's time budget, or None."""
    started = model.processes_started(case.n_tasks)
    if profile.max_started_processes is None or started <= profile.max_started_processes:
        return None
    return (
        f"{case.label} would start {started} processes a round, over the {profile.name} profile's "
        f"{profile.max_started_processes} (its rounds take seconds each, in every process of the run); "
        "PROFILE=full runs it"
    )


def timed_and_checked(
    benchmark: Any,
    one_round: Callable[[], Any],
    check: Callable[[Any], None],
    profile: Profile,
    predicted_s: float = 0.0,
    meter: Meter | None = None,
) -> None:
    """Time ``one_round`` with ``benchmark.pedantic``, checking each round's answer.

    With ``profile.warmup`` one untimed (but checked) round first sizes the number
    of timed rounds, unless ``predicted_s`` already says a round is long (then one
    timed round: this process is one sample of many). ``check`` runs in pedantic's
    untimed teardown: when it raises, pytest-benchmark marks the benchmark as
    errored, so it is never saved. A ``meter`` is read in pedantic's untimed
    setup and teardown of every timed round, and the machine-speed canary
    (:mod:`bench.canary`) is timed next to the round, inside both: its readings go
    to ``extra_info["canary_s"]``, one per timed round.
    """
    box: list[Any] = []
    canary = CanaryReadings()

    def timed() -> None:
        box.append(one_round())

    def setup() -> None:
        if meter is not None:
            meter.before()
        canary.before()

    def teardown() -> None:
        canary.after()
        if meter is not None:
            meter.after()
        check(box.pop())

    rounds = profile.min_rounds
    if predicted_s >= profile.long_round_s:
        rounds = 1
    elif profile.warmup:
        start = time.perf_counter()
        timed()
        probe_s = time.perf_counter() - start
        check(box.pop())
        rounds = rounds_for(profile, probe_s)
    benchmark.pedantic(timed, setup=setup, teardown=teardown, rounds=rounds, warmup_rounds=0, iterations=1)
    benchmark.extra_info[CANARY_KEY] = canary.timed()
