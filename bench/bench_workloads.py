"""Workload benchmarks: every backend x workload x n_tasks, under pytest-benchmark.

Parametrised by ``conftest.pytest_generate_tests`` from the session's backend,
profile and workloads; run one backend per interpreter through ``python -m bench``.
"""

from __future__ import annotations

from bench.harness import HttpTarget, WorkloadCase, run_case
from bench.profiles import Profile
from workloads import Calibration


def bench_workload(
    workload_case: WorkloadCase,
    benchmark: object,
    profile: Profile,
    calibration: Calibration,
    http_target: HttpTarget,
) -> None:
    """Time N tasks of one workload on one backend; every round's answer is checked."""
    run_case(workload_case, benchmark, profile, calibration, http_target)
