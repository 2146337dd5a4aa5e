"""The interpreters model: skipped with its reason before 3.12, tasks by importable reference, its claims.

Tests that run subinterpreters need Python 3.12+ with the executor; on the default
3.11 they skip themselves with the model's own reason, and ``make test-matrix`` runs
them on 3.12 and 3.13.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench.models import MODELS, load, unavailable
from bench.models import interpreters as model
from bench.models._by_reference import NotImportable, call_by_reference, reference
from bench.profiles import PROFILES
from reports.claims import DOES_NOT_HOLD, HOLDS, NOT_MEASURED, Verdict, check_claims
from tests.test_claims import MANIFEST, physics, workload
from tests.test_user_workload import TEMPLATE, bench, benchmarks, only_run
from workloads.cpu_spin import check, spin

REASON = unavailable("interpreters")
needs_interpreters = pytest.mark.skipif(REASON is not None, reason=str(REASON))


def by_id(rows: list[dict[str, Any]]) -> dict[str, Verdict]:
    return {v.id: v for v in check_claims(pd.DataFrame(rows), MANIFEST)}


def test_the_model_lives_in_the_package_named_by_its_key() -> None:
    """Every model lives in ``bench.models.<key>``, this one a package with its micro-costs.

    It once lived in a module named ``subinterpreters`` so that no module shared a name
    with a library. Every import in the project is absolute, so a model module named
    like a library (``interpreters`` here, ``asyncio``) never shadows it; the rule is
    now the one that lets a reader find a model from its key.
    """
    assert MODELS["interpreters"] == "bench.models.interpreters:Interpreters"
    assert load("interpreters").name == "interpreters"
    assert model.__spec__ is not None and model.__spec__.submodule_search_locations is not None  # a package
    assert importlib.util.find_spec("bench.models.interpreters._micro") is not None


def test_before_3_12_the_model_is_skipped_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    # Injected, so that it is proven on every Python: the model's floor above this one.
    monkeypatch.setattr(model, "PER_INTERPRETER_GIL", (sys.version_info.major, sys.version_info.minor + 1))
    reason = unavailable("interpreters")
    assert reason is not None
    assert reason.startswith("needs Python 3.12+ for a per-interpreter GIL") and "run with PYTHON=" in reason


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python has a GIL per interpreter")
def test_on_this_python_the_model_is_unavailable_with_the_reason() -> None:
    assert REASON is not None and REASON.startswith("needs Python 3.12+ for a per-interpreter GIL")


def _in_main(i: int) -> int:
    return i


def test_a_task_defined_in_main_is_refused_before_it_is_sent() -> None:
    task = functools.partial(_in_main)
    _in_main.__module__ = "__main__"
    try:
        with pytest.raises(NotImportable, match=r"defined in __main__, which a subinterpreter does not share"):
            reference(task)
    finally:
        _in_main.__module__ = __name__
    with pytest.raises(NotImportable, match="a local function or a lambda"):
        reference(lambda i: i)


def test_a_task_travels_as_its_module_and_name_and_comes_back_pickled() -> None:
    params = {"n_tasks": 4, "work_units": 4000}
    packed = reference(functools.partial(spin, params=params))
    assert b"workloads.cpu_spin" in packed and b"spin" in packed
    check([pickle.loads(call_by_reference(packed, i)) for i in range(4)], 4, params)


def test_a_task_whose_module_cannot_be_imported_raises_naming_the_cause(tmp_path: Path) -> None:
    packed = pickle.dumps(("no_such_module_anywhere", "task", None, pickle.dumps(((), {}))))
    with pytest.raises(ImportError, match=r"no_such_module_anywhere.task cannot be imported in a subinterpreter"):
        call_by_reference(packed, 0)


@needs_interpreters
def test_cpu_spin_runs_in_the_pool_with_checked_answers() -> None:
    params = {"n_tasks": 10, "work_units": 200_000}
    with load("interpreters")() as model:
        model.setup(10)
        check(model.run(functools.partial(spin, params=params), 10), 10, params)
        assert model.parameters()["pool_size"] >= 1


@needs_interpreters
def test_a_task_defined_in_main_fails_at_once_and_the_pool_still_runs() -> None:
    params = {"n_tasks": 2, "work_units": 1000}
    with load("interpreters")() as model:
        model.setup(2)
        _in_main.__module__ = "__main__"
        start = time.monotonic()
        try:
            with pytest.raises(NotImportable, match="__main__"):
                model.run(_in_main, 2)
        finally:
            _in_main.__module__ = __name__
        assert time.monotonic() - start < 5
        check(model.run(functools.partial(spin, params=params), 2), 2, params)


#: A workload file whose module imports an extension that cannot load in a subinterpreter.
NEEDS_PSUTIL = TEMPLATE.replace("from workloads import", "import psutil\nfrom workloads import").replace(
    'name="doubling"', 'name="needs_psutil"'
)


@needs_interpreters
def test_a_task_the_interpreters_cannot_import_fails_its_case_with_the_reason_and_the_session_goes_on(
    tmp_path: Path,
) -> None:
    good, bad = tmp_path / "doubling.py", tmp_path / "needs_psutil.py"
    good.write_text(TEMPLATE.format(answer="i * 2"))
    bad.write_text(NEEDS_PSUTIL.format(answer="i * 2"))
    results = tmp_path / "results"
    start = time.monotonic()
    proc = bench(
        "--profile", "smoke", "--backends", "interpreters", "--workloads", f"{bad},{good}",
        "--results", str(results), "--no-report",
    )  # fmt: skip
    took = time.monotonic() - start
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = only_run(results)
    cases = json.loads((run / "run.json").read_text())["backends"]["interpreters"]["cases"]
    failed = [c for c in cases if c["outcome"] == "failed"]
    assert failed and all("needs_psutil" in c["id"] for c in failed)
    assert all("cannot be imported in a subinterpreter" in c["reason"] and "psutil" in c["reason"] for c in failed)
    # The session went on: the importable workload file ran after the failed cases, loaded in each interpreter.
    ran = {(b["extra_info"]["workload"], b["extra_info"]["n_tasks"]) for b in benchmarks(run)}
    assert ran == {("doubling", 1), ("doubling", 10)}
    assert took < PROFILES["smoke"].case_timeout_s, "a hang would have lasted the case time-out"


# -- claims ---------------------------------------------------------------------------


def _without_interpreters(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["backend"] != "interpreters"]


def test_the_claims_are_not_measured_where_the_model_was_skipped() -> None:
    verdicts = by_id(_without_interpreters(physics()))
    assert verdicts["subinterpreters_parallelise_python"].outcome == NOT_MEASURED
    for claim_id in ("interpreter_starts_between_thread_and_process", "interpreter_memory_between_thread_and_process"):
        assert verdicts[claim_id].outcome == NOT_MEASURED
        assert "needs Python 3.12+" in verdicts[claim_id].evidence


def test_the_claims_state_their_premise_and_hold_on_a_run_that_follows_the_physics() -> None:
    rows = [{**r, "python_version": "3.13.0", "gil_enabled": True} for r in physics()]
    verdicts = by_id(rows)
    parallel = verdicts["subinterpreters_parallelise_python"]
    assert parallel.outcome == HOLDS and "Subinterpreters (interpreters), a GIL each" in parallel.claim
    assert "process_pool" in parallel.evidence
    assert "Python 3.13.0, a GIL per interpreter" in verdicts["interpreter_starts_between_thread_and_process"].claim
    assert verdicts["interpreter_starts_between_thread_and_process"].outcome == HOLDS
    assert verdicts["interpreter_memory_between_thread_and_process"].outcome == HOLDS


def test_interpreters_that_do_not_gain_fail_the_parallel_claim() -> None:
    rows = [r for r in physics() if not (r["backend"] == "interpreters" and r["case"] == "cpu_spin")]
    rows.append(workload("cpu_spin", "interpreters", 10, 0.12, 0.06))
    assert by_id(rows)["subinterpreters_parallelise_python"].outcome == DOES_NOT_HOLD


def test_on_a_free_threaded_build_the_claims_say_what_they_mean_there() -> None:
    # The state is injected: the run's interpreters session recorded the GIL off.
    rows = [{**r, "python_version": "3.13.0", "gil_enabled": False} for r in physics()]
    verdicts = by_id(rows)
    parallel = verdicts["subinterpreters_parallelise_python"]
    assert "free-threaded build, no GIL at all" in parallel.claim and "not a GIL escaped" in parallel.claim
    assert parallel.outcome == HOLDS
    assert "free-threaded" in verdicts["interpreter_memory_between_thread_and_process"].claim
    assert verdicts["threads_do_not_parallelise_python"].claim.startswith("CPU-bound Python without the GIL")
