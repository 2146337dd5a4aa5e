"""Workload benchmarks: every model x workload x n_tasks, under pytest-benchmark.

Parametrised by ``bench.plugin``'s ``pytest_generate_tests`` from the session's
description (model, profile, workloads); run one model per interpreter through
``python -m bench``.
"""

from __future__ import annotations

from bench.climb import Climb
from bench.harness import WorkloadCase, run_case
from bench.plugin import SessionState
from bench.profiles import Profile
from workloads import Calibration, RunContext


def bench_workload(
    workload_case: WorkloadCase,
    benchmark: object,
    profile: Profile,
    calibration: Calibration,
    run_context: RunContext,
    model_session: SessionState,
    climb: Climb | None,
) -> None:
    """Time N tasks of one workload on one model; every round's answer is checked."""
    run_case(
        workload_case, benchmark, profile, calibration, run_context, model_session.state, model_session.cores, climb
    )
