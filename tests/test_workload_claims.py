"""The claims about GIL-releasing C code and file reads: decided from synthetic figures with known truth."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, NOT_MEASURED, Verdict, check_claims
from tests.test_claims import row, workload


def verdict(rows: list[dict[str, object]], claim_id: str) -> Verdict:
    return {v.id: v for v in check_claims(pd.DataFrame(rows))}[claim_id]


@pytest.mark.parametrize(
    ("threads_s", "outcome"),
    [(0.010, HOLDS), (0.019, DOES_NOT_HOLD), (0.0133, INCONCLUSIVE)],
)
def test_threads_speed_up_released_c_follows_the_threads_gain(threads_s: float, outcome: str) -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01),
        workload("cpu_release", "threads", 10, threads_s, 0.01),
    ]
    found = verdict(rows, "threads_speed_up_released_c")
    assert found.outcome == outcome, found.evidence
    assert "10 tasks" in found.evidence


def test_threads_speed_up_released_c_shows_cpu_spin_beside_it() -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01),
        workload("cpu_release", "threads", 10, 0.010, 0.01),
        workload("cpu_spin", "sequential", 10, 0.12, 0.06),
        workload("cpu_spin", "threads", 10, 0.13, 0.06),
    ]
    assert "cpu_spin" in verdict(rows, "threads_speed_up_released_c").evidence


def test_threads_speed_up_released_c_is_not_measured_on_one_core() -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01, cpu_count=1),
        workload("cpu_release", "threads", 10, 0.010, 0.01, cpu_count=1),
    ]
    assert verdict(rows, "threads_speed_up_released_c").outcome == NOT_MEASURED


@pytest.mark.parametrize(("gevent_s", "outcome"), [(0.0021, HOLDS), (0.0005, DOES_NOT_HOLD)])
def test_gevent_file_reads_claim_follows_gevents_gain(gevent_s: float, outcome: str) -> None:
    rows = [workload("file_io", "sequential", 100, 0.002, 0.001), workload("file_io", "gevent", 100, gevent_s, 0.001)]
    assert verdict(rows, "gevent_file_reads_not_cooperative").outcome == outcome


def test_gevent_file_reads_claim_is_inconclusive_without_intervals() -> None:
    rows = [
        row("workload", "file_io", "sequential", spread=float("nan"), n_tasks=100, median=0.002, times_ideal=2.0),
        row("workload", "file_io", "gevent", spread=float("nan"), n_tasks=100, median=0.002, times_ideal=2.0),
    ]
    assert verdict(rows, "gevent_file_reads_not_cooperative").outcome == INCONCLUSIVE


def test_the_new_claims_are_not_measured_without_their_workloads() -> None:
    rows = [workload("sleep", "threads", 10, 0.06, 0.05)]
    assert verdict(rows, "threads_speed_up_released_c").outcome == NOT_MEASURED
    assert verdict(rows, "gevent_file_reads_not_cooperative").outcome == NOT_MEASURED
