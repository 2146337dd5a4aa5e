"""Time one micro-cost case under pytest-benchmark.

The same shape as :func:`bench.harness.run_case`: skip with the reason where the case
cannot run, record its parameters in ``extra_info``, time whole rounds with
``benchmark.pedantic`` and check every round's answer in the untimed ``teardown``, so
a wrong answer fails the case and is never reported as a time.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from bench.canary import CANARY_KEY, CanaryReadings
from bench.climb import Climb, Step, climb_key, failure_reason
from bench.micro import MicroCase
from bench.micro.costs import cost_named
from bench.micro.plan import applies_not, extra_info, group, open_loop, rounds, why_not
from bench.micro.sizes import sizes_for
from bench.models._limits import limits_facts
from bench.profiles import Profile
from bench.results_format import add_measured


def run_micro(case: MicroCase, benchmark: Any, profile: Profile, climb: Climb | None = None) -> None:
    """Measure ``case`` with ``benchmark``; skip with a reason where it cannot run.

    With a ``climb`` (a climbing profile's memory cases, one a task count), a limit, the
    memory cap or a failed hold stops the case's climb there, with the reason.
    """
    if climb is not None and case.n_tasks is not None and not applies_not(case):
        start = time.perf_counter()
        key = climb_key(case.id)
        refused = climb.refusal(key, case.n_tasks, why_not(case))
        if refused:
            pytest.skip(refused)
        try:
            _measure(case, benchmark, profile)
        except pytest.skip.Exception:
            raise
        except Exception as exc:
            pytest.skip(climb.stop(key, case.n_tasks, failure_reason(exc, limits_facts())))
        held = float(benchmark.extra_info.get("bytes_per_task") or 0.0) * case.n_tasks
        climb.record(key, Step(case.n_tasks, time.perf_counter() - start, int(held)))
        return
    reason = why_not(case)
    if reason:
        pytest.skip(reason)
    _measure(case, benchmark, profile)


def _measure(case: MicroCase, benchmark: Any, profile: Profile) -> None:
    sizes = sizes_for(profile)
    timed, warmup = rounds(case, sizes)
    benchmark.group = group(case)
    with open_loop(case, sizes) as loop:
        benchmark.extra_info.update(extra_info(case, profile.name, loop))
        answers: list[Any] = []
        # A micro-cost whose figure is not seconds (memory) runs no machine-speed reference.
        canary = CanaryReadings() if cost_named(case.micro).canary else None

        def one_round() -> None:
            answers.append(loop.round())

        def before_round() -> None:
            if canary is not None:
                canary.before()

        def check_round() -> None:
            if canary is not None:
                canary.after()
            loop.check(answers.pop())

        benchmark.pedantic(
            one_round, setup=before_round, teardown=check_round, rounds=timed, warmup_rounds=warmup, iterations=1
        )
        if canary is not None:
            benchmark.extra_info[CANARY_KEY] = canary.timed(warmup)
            add_measured(benchmark.extra_info, CANARY_KEY)
        # With --benchmark-disable, pedantic runs the round once and skips the teardown.
        while answers:
            check_round()
