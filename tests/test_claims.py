"""The claims table: each verdict follows the figures and their intervals, and says so when it cannot."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from bench.runner import models_section, workloads_section
from reports.claims import (
    CLAIMS,
    DOES_NOT_HOLD,
    HOLDS,
    INCONCLUSIVE,
    NOT_MEASURED,
    Figure,
    Verdict,
    check_claims,
    claims_markdown,
    judge,
)
from reports.interpreter_claims import INTERPRETER_CLAIMS
from reports.models import declared_models
from workloads import WORKLOADS

#: Each figure's 95% interval in the synthetic runs: +-3%.
SPREAD = 0.03

DEFAULTS: dict[str, Any] = {
    "variant": None,
    "n_tasks": None,
    "per_op_s": math.nan,
    "median": math.nan,
    "ci_low": math.nan,
    "ci_high": math.nan,
    "times_ideal": math.nan,
    "bytes_per_task": math.nan,
    "channel": None,
    "family": None,
    "placement": None,
    "mechanism": None,
    "payload_bytes": math.nan,
    "cpu_count": 2,
}


def declared(model: str) -> dict[str, Any]:
    """The model columns a run's manifest gives ``model``'s rows: what the registered model declares."""
    return declared_models({"models": models_section([model])}, [model])[model].columns()


def row(kind: str, case: str, model: str, spread: float = SPREAD, **values: Any) -> dict[str, Any]:
    variant = values.get("variant")
    label = f"{model}[{variant}]" if variant else model
    values = {**DEFAULTS, "kind": kind, "case": case, "backend": model, "label": label, **declared(model), **values}
    own = values["bytes_per_task"] if case == "memory" else values["median"]
    return {**values, "ci_low": own * (1 - spread), "ci_high": own * (1 + spread)}


def micro(case: str, model: str, per_op_s: float, ops: int = 1000, **values: Any) -> dict[str, Any]:
    return row("micro", case, model, per_op_s=per_op_s, median=per_op_s * ops, **values)


def workload(case: str, model: str, n: int, median: float, ideal: float, **values: Any) -> dict[str, Any]:
    return row("workload", case, model, n_tasks=n, median=median, times_ideal=median / ideal, **values)


def physics() -> list[dict[str, Any]]:
    """A run where every claim holds, by a wide margin against +-3% intervals."""
    rows = [
        micro("spawn", "processes", 2e-3, variant="fork"),
        micro("spawn", "threads", 90e-6),
        micro("spawn", "greenlet", 8e-6),
        micro("switch", "processes", 40e-6, variant="fork", family="native", placement="os", mechanism="Pipe"),
        micro("switch", "threads", 20e-6, family="native", placement="os", mechanism="queue.Queue"),
        *(
            micro("switch", model, per_op, variant=variant, family="common", placement="same-core", mechanism="pipe")
            for model, variant, per_op in (("processes", "fork", 40e-6), ("threads", None, 15e-6))
        ),
        micro("switch", "greenlet", 0.2e-6, family="native", mechanism="greenlet.switch"),
        micro("ipc", "processes", 2e-6, variant="fork", channel="pipe", payload_bytes=64),
        micro("ipc", "processes", 1e-3, variant="fork", channel="pipe", payload_bytes=2**20),
        row("micro", "memory", "processes", variant="fork", n_tasks=100, bytes_per_task=2e6),
        row("micro", "memory", "greenlet", n_tasks=10_000, bytes_per_task=6e3),
        row("micro", "memory", "asyncio", n_tasks=10_000, bytes_per_task=1.5e3),
    ]
    for case in ("sleep", "http_fetch"):
        rows += [workload(case, m, 100, 0.06, 0.05) for m in ("threads", "greenlet", "gevent", "asyncio")]
        rows.append(workload(case, "sequential", 100, 5.0, 0.05))
    rows += [
        workload("cpu_spin", "sequential", 10, 0.12, 0.06),
        workload("cpu_spin", "threads", 10, 0.13, 0.06),
        workload("cpu_spin", "process_pool", 10, 0.07, 0.06),
        workload("cpu_release", "sequential", 10, 0.020, 0.010),
        workload("cpu_release", "threads", 10, 0.011, 0.010),
        workload("file_io", "sequential", 10, 0.002, 0.001),
        workload("file_io", "gevent", 10, 0.0021, 0.001),
        workload("cpu_spin", "interpreters", 10, 0.065, 0.06),
        micro("spawn", "interpreters", 400e-6),
        row("micro", "memory", "threads", n_tasks=1000, bytes_per_task=20e3),
        row("micro", "memory", "interpreters", n_tasks=20, bytes_per_task=3e6 / 4),
    ]
    return rows


#: A run.json as the runner writes it for every registered workload: their declared claims.
MANIFEST = {"workloads": workloads_section(list(WORKLOADS))}


def by_id(rows: list[dict[str, Any]]) -> dict[str, Verdict]:
    return {v.id: v for v in check_claims(pd.DataFrame(rows), MANIFEST)}


def test_every_claim_holds_on_a_run_that_follows_the_physics() -> None:
    results = check_claims(pd.DataFrame(physics()), MANIFEST)
    declared = [c for spec in MANIFEST["workloads"].values() for c in spec["claims"]]
    assert len(results) == len(CLAIMS) + len(INTERPRETER_CLAIMS) + len(declared) == len({v.id for v in results})
    assert [v.claim for v in results if v.outcome != HOLDS] == []


def test_figures_and_intervals_are_quoted_in_the_evidence() -> None:
    spawn = by_id(physics())["process_spawn_dearer_than_thread"]
    assert "2.00 ms" in spawn.evidence and "90.0 µs" in spawn.evidence and "22.2x" in spawn.evidence
    assert "95% interval" in spawn.evidence


def _set(rows: list[dict[str, Any]], match: dict[str, Any], **values: Any) -> list[dict[str, Any]]:
    """The rows with every row matching ``match`` given ``values`` (and its interval moved along)."""
    changed = []
    for r in rows:
        if all(r.get(k) == v for k, v in match.items()):
            base = "bytes_per_task" if r["case"] == "memory" else "median"
            r = {**r, **values}
            if "per_op_s" in values:
                r["median"] = values["per_op_s"] * 1000
            if "times_ideal" in values:
                r["median"] = r["median"] * values["times_ideal"] / float(dict(row_of(rows, match))["times_ideal"])
            r["ci_low"], r["ci_high"] = r[base] * (1 - SPREAD), r[base] * (1 + SPREAD)
        changed.append(r)
    return changed


def row_of(rows: list[dict[str, Any]], match: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in rows if all(r.get(k) == v for k, v in match.items()))


@pytest.mark.parametrize(
    ("claim_id", "match", "values"),
    [
        ("process_spawn_dearer_than_thread", {"case": "spawn", "backend": "threads"}, {"per_op_s": 5e-3}),
        ("process_switch_dearer_than_thread", {"case": "switch", "backend": "threads"}, {"per_op_s": 60e-6}),
        ("ipc_throughput_rises_with_payload", {"case": "ipc", "payload_bytes": 2**20}, {"per_op_s": 1.0}),
        ("light_tasks_take_a_tenth_of_a_process", {"case": "memory", "backend": "greenlet"}, {"bytes_per_task": 5e5}),
        ("sleep_waits_overlap", {"case": "sleep", "backend": "gevent"}, {"times_ideal": 3.5}),
        ("process_pools_parallelise_python", {"case": "cpu_spin", "backend": "process_pool"}, {"median": 0.1}),
    ],
)
def test_a_claim_does_not_hold_when_its_interval_clears_the_other_way(
    claim_id: str, match: dict[str, Any], values: dict[str, Any]
) -> None:
    assert by_id(_set(physics(), match, **values))[claim_id].outcome == DOES_NOT_HOLD


def test_a_figure_whose_interval_straddles_the_threshold_is_inconclusive() -> None:
    # gevent at 2.95x ideal, +-3%: the interval reaches past 3x.
    rows = _set(physics(), {"case": "sleep", "backend": "gevent"}, times_ideal=2.95)
    assert by_id(rows)["sleep_waits_overlap"].outcome == INCONCLUSIVE
    # A hand-over only 2% dearer, each figure +-3%: the ratio's interval straddles 1.
    rows = _set(physics(), {"case": "switch", "backend": "threads"}, per_op_s=40e-6 / 1.02)
    assert by_id(rows)["process_switch_dearer_than_thread"].outcome == INCONCLUSIVE


def test_figures_without_intervals_are_inconclusive() -> None:
    rows = [{**r, "ci_low": math.nan, "ci_high": math.nan} for r in physics()]
    results = check_claims(pd.DataFrame(rows), MANIFEST)
    assert {v.outcome for v in results} == {INCONCLUSIVE}
    assert "one process" in by_id(rows)["thread_spawn_dearer_than_greenlet"].evidence


def test_a_claim_without_its_figures_is_not_measured() -> None:
    rows = [r for r in physics() if r["case"] not in ("switch", "http_fetch")]
    verdicts = by_id(rows)
    assert verdicts["thread_switch_dearer_than_greenlet"].outcome == NOT_MEASURED
    assert "switch" in verdicts["thread_switch_dearer_than_greenlet"].evidence
    assert verdicts["http_fetch_waits_overlap"].outcome == NOT_MEASURED
    assert "http_fetch" in verdicts["http_fetch_waits_overlap"].evidence
    markdown = "\n".join(claims_markdown(list(verdicts.values())))
    assert "not measured" in markdown and "holds" in markdown


def test_an_overlap_claim_names_only_the_models_and_size_it_checked() -> None:
    rows = [workload("sleep", m, 10, 0.06, 0.05) for m in ("threads", "asyncio")] + [
        workload("sleep", "sequential", 10, 0.5, 0.05)
    ]
    verdict = by_id(rows)["sleep_waits_overlap"]
    assert verdict.outcome == HOLDS
    assert (
        "Waiting: threads, asyncio, each task a wait of its own" in verdict.claim
        and "overlap 10 waits" in verdict.claim
    )
    assert "gevent" not in verdict.claim and "100" not in verdict.claim


def test_an_overlap_claim_with_no_figure_at_the_common_size_is_not_measured() -> None:
    # Models present, but none has a times-ideal figure: nothing was checked.
    rows = [{**workload("sleep", m, 10, 0.06, 0.05), "times_ideal": math.nan} for m in ("threads", "asyncio")]
    assert by_id(rows)["sleep_waits_overlap"].outcome == NOT_MEASURED


def test_a_run_of_one_workload_has_no_micro_columns_and_is_not_measured() -> None:
    rows = [
        {"kind": "workload", "case": "http_fetch", "backend": b, "label": b, "n_tasks": 10, "median": 0.06,
         "times_ideal": 1.2, "ci_low": 0.058, "ci_high": 0.062, "cpu_count": 2, **declared(b)}
        for b in ("threads", "asyncio")
    ]  # fmt: skip
    verdicts = by_id(rows)
    assert [v.outcome for v in list(verdicts.values())[:6]] == [NOT_MEASURED] * 6
    assert verdicts["http_fetch_waits_overlap"].outcome == HOLDS


def test_judge_and_ratio_intervals() -> None:
    assert judge(Figure(2.0, 1.9, 2.1), above=1.0) == HOLDS
    assert judge(Figure(0.5, 0.4, 0.6), above=1.0) == DOES_NOT_HOLD
    assert judge(Figure(1.0, 0.9, 1.1), above=1.0) == INCONCLUSIVE
    assert judge(Figure(2.0), above=1.0) == INCONCLUSIVE
    ratio = Figure(2.0, 2.0 / 1.03, 2.0 * 1.03) / Figure(1.0, 1 / 1.04, 1.04)
    assert ratio.value == 2.0
    assert ratio.high / ratio.value == pytest.approx(math.exp(math.hypot(math.log(1.03), math.log(1.04))))


def test_the_http_overlap_claim_reads_the_minimal_client_where_the_client_is_a_parameter() -> None:
    # The idiomatic client (urllib's getaddrinfo per request, say) is a library's cost, not the model's:
    # listed first, it would decide the claim if the claim took the first row it found.
    rows = [r for r in physics() if r["case"] != "http_fetch"]
    for m in ("threads", "greenlet", "gevent", "asyncio"):
        rows.append(workload("http_fetch", m, 100, 0.5, 0.05, client="idiomatic"))
        rows.append(workload("http_fetch", m, 100, 0.06, 0.05, client="minimal"))
    rows.append(workload("http_fetch", "sequential", 100, 5.0, 0.05, client="minimal"))
    assert by_id(rows)["http_fetch_waits_overlap"].outcome == HOLDS


def test_a_run_whose_models_declare_no_traits_measures_no_claim_about_a_kind_of_model() -> None:
    from reports.models import MODEL_COLUMNS

    rows = [{k: v for k, v in r.items() if k not in MODEL_COLUMNS} for r in physics()]
    verdicts = by_id(rows)
    for claim_id in ("process_spawn_dearer_than_thread", "sleep_waits_overlap", "threads_do_not_parallelise_python"):
        assert verdicts[claim_id].outcome == NOT_MEASURED, verdicts[claim_id]
    assert "declare no traits" in verdicts["sleep_waits_overlap"].evidence
    assert "declares traits" in verdicts["process_spawn_dearer_than_thread"].evidence
    assert verdicts["ipc_throughput_rises_with_payload"].outcome == HOLDS  # about a micro-cost, not a kind of model


def test_every_model_of_a_kind_is_checked_and_one_that_fails_fails_the_claim() -> None:
    rows = [
        *physics(),
        workload("sleep", "trio", 100, 0.06, 0.05),
        workload("http_fetch", "trio", 100, 0.06, 0.05),
        workload("sleep", "thread_pool", 100, 1.0, 0.05),
        workload("sleep", "processes", 100, 0.5, 0.05, variant="fork"),
    ]
    verdict = by_id(rows)["sleep_waits_overlap"]
    assert verdict.outcome == HOLDS and "trio" in verdict.claim and "trio 1.20x" in verdict.evidence
    # A pool of fixed size, or a process per task, is not a task per wait.
    assert "thread_pool" not in verdict.claim and "processes" not in verdict.claim
    assert "thread_pool" not in verdict.evidence and "processes" not in verdict.evidence
    slow = _set(rows, {"case": "sleep", "backend": "trio"}, times_ideal=4.0)
    assert by_id(slow)["sleep_waits_overlap"].outcome == DOES_NOT_HOLD
