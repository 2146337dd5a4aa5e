"""The claims the workloads declare: judged from synthetic figures with known truth, models chosen by trait."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reports.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, NOT_MEASURED, Verdict
from reports.selection import NO_TRAITS
from reports.workload_claims import PREDATES, declared_verdicts, predates_markdown
from tests.test_claims import row, workload
from workloads import WORKLOADS
from workloads.report_spec import SPEEDUP, TIMES_IDEAL, Claim, Named, ReportSpec, Traits

#: Traits as the models declare them: (waits, parallel_python, in_parent, fixed_pool).
TRAITS: dict[str, tuple[str, bool, bool, bool]] = {
    "sequential": ("none", False, True, False),
    "threads": ("thread", False, True, False),
    "thread_pool": ("thread", False, True, True),
    "process_pool": ("process", True, False, True),
    "gevent": ("cooperative", False, True, False),
    "asyncio": ("cooperative", False, True, False),
    "newloop": ("cooperative", False, True, False),
}


def with_traits(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their models' trait columns, as a run whose models declare traits has them."""
    out = []
    for r in rows:
        waits, parallel, in_parent, fixed = TRAITS[str(r["backend"])]
        out.append(
            {
                **r,
                "model_waits": waits,
                "model_parallel_python": parallel,
                "model_in_parent": in_parent,
                "model_fixed_pool": fixed,
            }
        )
    return out


def manifest(*names: str) -> dict[str, Any]:
    """A manifest whose `workloads` section holds what the named workloads declare."""
    return {"workloads": {name: WORKLOADS[name].report.to_json() for name in names}}


def verdict(rows: list[dict[str, Any]], claim_id: str, declared: dict[str, Any] | None = None) -> Verdict:
    found = declared_verdicts(pd.DataFrame(rows), declared or manifest("cpu_release", "file_io"))
    return {v.id: v for v in found}[claim_id]


@pytest.mark.parametrize(
    ("threads_s", "outcome"),
    [(0.010, HOLDS), (0.019, DOES_NOT_HOLD), (0.0133, INCONCLUSIVE)],
)
def test_threads_speed_up_released_c_follows_the_threads_gain(threads_s: float, outcome: str) -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01),
        workload("cpu_release", "threads", 10, threads_s, 0.01),
    ]
    found = verdict(with_traits(rows), "threads_speed_up_released_c")
    assert found.outcome == outcome, found.evidence
    assert "10 tasks" in found.evidence and "threads" in found.evidence
    assert "over sequential" in found.claim


def test_a_model_chosen_by_trait_joins_the_claim_and_one_that_is_not_stays_out() -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01),
        workload("cpu_release", "threads", 10, 0.010, 0.01),
        workload("cpu_release", "thread_pool", 10, 0.019, 0.01),
        workload("cpu_release", "process_pool", 10, 0.001, 0.01),
    ]
    found = verdict(with_traits(rows), "threads_speed_up_released_c")
    assert "thread_pool" in found.evidence and "process_pool" not in found.evidence
    assert found.outcome == DOES_NOT_HOLD  # thread_pool, a thread model too, gains under 1.5x


def test_threads_speed_up_released_c_shows_cpu_spin_beside_it() -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01),
        workload("cpu_release", "threads", 10, 0.010, 0.01),
        workload("cpu_spin", "sequential", 10, 0.12, 0.06),
        workload("cpu_spin", "threads", 10, 0.13, 0.06),
    ]
    assert "on `cpu_spin` at the same n" in verdict(with_traits(rows), "threads_speed_up_released_c").evidence


def test_threads_speed_up_released_c_is_not_measured_on_one_core() -> None:
    rows = [
        workload("cpu_release", "sequential", 10, 0.020, 0.01, cpu_count=1),
        workload("cpu_release", "threads", 10, 0.010, 0.01, cpu_count=1),
    ]
    assert verdict(with_traits(rows), "threads_speed_up_released_c").outcome == NOT_MEASURED


def test_a_run_whose_models_declare_no_traits_measures_no_trait_claim() -> None:
    rows = [
        {k: v for k, v in r.items() if not k.startswith("model_")}
        for r in (
            workload("cpu_release", "sequential", 10, 0.020, 0.01),
            workload("cpu_release", "threads", 10, 0.010, 0.01),
        )
    ]
    found = verdict(rows, "threads_speed_up_released_c")
    assert (found.outcome, found.evidence) == (NOT_MEASURED, NO_TRAITS)
    empty = [{**r, "model_waits": None, "model_parallel_python": None} for r in with_traits(rows)]
    found = verdict(empty, "threads_speed_up_released_c")
    assert (found.outcome, found.evidence) == (NOT_MEASURED, NO_TRAITS), "trait columns a run left empty"


@pytest.mark.parametrize(("gevent_s", "outcome"), [(0.0021, HOLDS), (0.0005, DOES_NOT_HOLD)])
def test_gevent_file_reads_claim_follows_gevents_gain(gevent_s: float, outcome: str) -> None:
    rows = [workload("file_io", "sequential", 100, 0.002, 0.001), workload("file_io", "gevent", 100, gevent_s, 0.001)]
    assert verdict(rows, "gevent_file_reads_not_cooperative").outcome == outcome


def test_gevent_file_reads_claim_lists_the_models_its_traits_add_unjudged() -> None:
    rows = [
        workload("file_io", "sequential", 100, 0.002, 0.001),
        workload("file_io", "gevent", 100, 0.0021, 0.001),
        workload("file_io", "threads", 100, 0.0005, 0.001),
        workload("file_io", "asyncio", 100, 0.0009, 0.001),
    ]
    found = verdict(with_traits(rows), "gevent_file_reads_not_cooperative")
    assert found.outcome == HOLDS
    beside = found.evidence.split("; beside them ")[1]
    assert "threads 4.00x" in beside and "asyncio" in beside and "gevent" not in beside


def test_gevent_file_reads_claim_is_inconclusive_without_intervals() -> None:
    rows = [
        row("workload", "file_io", "sequential", spread=float("nan"), n_tasks=100, median=0.002, times_ideal=2.0),
        row("workload", "file_io", "gevent", spread=float("nan"), n_tasks=100, median=0.002, times_ideal=2.0),
    ]
    assert verdict(rows, "gevent_file_reads_not_cooperative").outcome == INCONCLUSIVE


def test_the_claims_are_not_measured_without_their_workloads() -> None:
    rows = with_traits([workload("sleep", "threads", 10, 0.06, 0.05)])
    assert verdict(rows, "threads_speed_up_released_c").outcome == NOT_MEASURED
    assert verdict(rows, "gevent_file_reads_not_cooperative").outcome == NOT_MEASURED


def test_a_declared_times_ideal_claim_takes_in_a_new_model_by_its_traits() -> None:
    spec = ReportSpec(
        claims=(
            Claim(
                id="loops_wait_together",
                sentence="Cooperative models overlap the waits: within {threshold}x ideal",
                models=Traits(waits=("cooperative",)),
                figure=TIMES_IDEAL,
                below=3.0,
            ),
        )
    )
    rows = with_traits(
        [
            workload("napping", "sequential", 100, 5.0, 0.05),
            workload("napping", "asyncio", 100, 0.06, 0.05),
            workload("napping", "newloop", 100, 0.07, 0.05),
        ]
    )
    found = verdict(rows, "loops_wait_together", {"workloads": {"napping": spec.to_json()}})
    assert found.outcome == HOLDS
    assert "newloop" in found.evidence and "sequential" not in found.evidence
    assert found.claim == "Cooperative models overlap the waits: within 3x ideal"


def test_a_declaration_refuses_a_claim_without_one_threshold_and_an_unknown_way_to_wait() -> None:
    with pytest.raises(ValueError, match="exactly one of above and below"):
        Claim(id="x", sentence="x", models=Named(("threads",)), figure=SPEEDUP)
    with pytest.raises(ValueError, match="unknown way to wait"):
        Traits(waits=("telepathy",))


def test_a_run_without_declarations_says_so_once_and_judges_nothing() -> None:
    rows = with_traits([workload("cpu_release", "threads", 10, 0.010, 0.01)])
    assert declared_verdicts(pd.DataFrame(rows), {"models": {}}) == []
    assert predates_markdown({"models": {}}) == [PREDATES, ""]
    assert predates_markdown(manifest("file_io")) == []
