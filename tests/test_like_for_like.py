"""Like for like: rows name their mechanism, placement is explicit, memory has no instrument
in it, ideals are bounds, pool size is a parameter, set-up stays out of the timed region.

Sizes are small; no assertion is about speed except where the model's behaviour is the
point (all N sleepers of a pool sized for all overlap), and then with wide margins.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from functools import partial
from typing import Any

import pandas as pd
import psutil
import pytest

from bench import calibrate
from bench.harness import workload_cases
from bench.micro import PLACEMENTS, MicroCase, micro_cases, placement
from bench.micro._loop import WrongAnswer, nothing_left_behind
from bench.micro.costs import SWITCH
from bench.micro.hooks import Families, Skip, hook_for, hooks_of
from bench.micro.memory import fresh_holds, summary
from bench.micro.plan import extra_info, open_loop, why_not
from bench.micro.sizes import sizes_for
from bench.models import MODELS
from bench.models import generators as generators_model
from bench.models import greenlet as greenlet_model
from bench.models._pools import PROCESS_POOL_CAP, THREAD_POOL_CAP
from bench.models.process_pool import ProcessPool
from bench.models.thread_pool import ThreadPool, default_pool_size
from bench.profiles import PROFILES
from reports.claims import CLAIMS, DOES_NOT_HOLD, NOT_MEASURED, Verdict
from reports.fold_processes import merge_processes
from reports.load import add_case_columns
from tests.test_claims import declared
from workloads import WORKLOADS, Calibration, cpu_spin

KIB = 1024
MIB = 1024 * KIB
#: "A few KiB": the most a task that holds nothing may cost on greenlet and asyncio.
FEW_KIB = 8 * KIB
LINUX_PINNING = hasattr(os, "sched_setaffinity") and len(placement.allowed_cpus()) >= 2
FORK = "fork"
#: Models that can wait on a file descriptor, and so hand over through the common pipe
#: (a model added later may join them: the test asks for these at least).
SWITCH_COMMON = ("threads", "processes", "generators", "greenlet", "gevent", "asyncio", "uvloop")
#: The models whose switch and ipc cases are two threads or two processes.
PLACED = ("threads", "processes")

# -- switch: two families, every row names its mechanism -------------------------------


def _has_common_switch(model: str) -> bool:
    """Tell whether ``model``'s module gives a switch in the common family."""
    entry = hooks_of(model).get(SWITCH)
    return isinstance(entry, Families) and entry.common is not None


def test_switch_has_native_and_common_cases_and_placements_for_two_threads_or_processes() -> None:
    common = {model for model in MODELS if _has_common_switch(model)}
    placed = {model for model in MODELS if hooks_of(model).placed}
    assert common >= set(SWITCH_COMMON) and placed >= set(PLACED)
    assert "sequential" not in common and "sequential" not in placed
    for model in common:
        cases = micro_cases(PROFILES["quick"], model, ["switch"])
        assert {case.family for case in cases} == {"native", "common"}
        placements = {case.placement for case in cases}
        assert placements == (set(PLACEMENTS) if model in placed else {None})
    sequential = micro_cases(PROFILES["quick"], "sequential", ["switch"])
    assert [case.family for case in sequential] == ["native"]


@pytest.mark.parametrize("model", ["threads", "processes", "generators", "greenlet", "asyncio", "uvloop"])
def test_common_switch_goes_through_a_pipe_and_checks_its_sum(model: str) -> None:
    case = MicroCase(model, FORK if model == "processes" else None, "switch", family="common", placement="os")
    if why_not(case):
        pytest.skip(why_not(case) or "")
    sizes = sizes_for("smoke")
    with open_loop(case, sizes) as loop:
        answer = loop.round()
        loop.check(answer)
        with pytest.raises(WrongAnswer):
            loop.check(answer + 1)
        info = extra_info(case, "smoke", loop)
    assert info["family"] == "common" and info["mechanism"].startswith("os.pipe")


def test_native_and_common_rows_name_different_mechanisms() -> None:
    sizes = sizes_for("smoke")
    mechanisms = {}
    for family in ("native", "common"):
        case = MicroCase("threads", None, "switch", family=family, placement="os")
        with open_loop(case, sizes) as loop:
            loop.check(loop.round())
            mechanisms[family] = extra_info(case, "smoke", loop)["mechanism"]
    assert mechanisms["native"] == "queue.Queue" and "pipe" in mechanisms["common"]


def test_every_micro_hook_names_a_mechanism_for_every_case_it_runs() -> None:
    channels = set()
    for model in MODELS:
        for case in micro_cases(PROFILES["quick"], model, ["spawn", "switch", "ipc", "memory"]):
            hook = hook_for(case)
            if not isinstance(hook, Skip):
                assert hook.mechanism.strip(), case.id
                channels.add(case.channel)
    assert channels >= {"queue", "pipe", "shared_memory", "thread_queue"}


# -- placement ---------------------------------------------------------------------------


def _thread_cpus(native_id: int) -> set[int]:
    return set(os.sched_getaffinity(native_id))


@pytest.mark.skipif(not LINUX_PINNING, reason="pinning needs Linux's sched_setaffinity and two CPUs")
def test_a_thread_pins_itself_only() -> None:
    main_before = os.sched_getaffinity(0)
    seen: dict[str, Any] = {}

    def body() -> None:
        placement.pin_this_thread(placement.allowed_cpus()[1])
        seen["tid"] = threading.get_native_id()
        seen["own"] = os.sched_getaffinity(0)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen["own"] == {placement.allowed_cpus()[1]}
    assert os.sched_getaffinity(0) == main_before


@pytest.mark.skipif(not LINUX_PINNING, reason="pinning needs Linux's sched_setaffinity and two CPUs")
@pytest.mark.parametrize("where", ["same-core", "cross-core"])
def test_threads_switch_runs_each_side_where_the_placement_says(where: str) -> None:
    here, there = placement.cpus(where)
    before = os.sched_getaffinity(0)
    case = MicroCase("threads", None, "switch", family="native", placement=where)
    with open_loop(case, sizes_for("smoke")) as loop:
        loop.check(loop.round())
        partner = next(t for t in threading.enumerate() if t.name == "switch-partner")
        assert partner.native_id is not None
        assert os.sched_getaffinity(0) == {here}
        assert _thread_cpus(partner.native_id) == {there}
    assert os.sched_getaffinity(0) == before


@pytest.mark.skipif(not LINUX_PINNING, reason="pinning needs Linux's sched_setaffinity and two CPUs")
def test_processes_switch_cross_core_pins_the_child_to_the_other_cpu() -> None:
    here, there = placement.cpus("cross-core")
    before = os.sched_getaffinity(0)
    case = MicroCase("processes", FORK, "switch", family="native", placement="cross-core")
    with nothing_left_behind(case.id), open_loop(case, sizes_for("smoke")) as loop:
        loop.check(loop.round())
        children = [c for c in psutil.Process().children() if "resource_tracker" not in " ".join(c.cmdline())]
        assert [c.cpu_affinity() for c in children] == [[there]]
        assert os.sched_getaffinity(0) == {here}
    assert os.sched_getaffinity(0) == before


def test_an_unknown_placement_is_an_error_naming_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="same-core, cross-core"):
        placement.why_not("sideways")


def test_cross_core_is_skipped_with_a_reason_on_one_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(placement, "allowed_cpus", lambda: [0])
    reason = placement.why_not("cross-core")
    assert reason and "two CPUs" in reason
    assert placement.why_not("same-core") is None or not hasattr(os, "sched_setaffinity")


# -- memory without the instrument -----------------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize("model", ["greenlet", "asyncio", "threads", "generators"])
def test_a_task_holding_one_mib_shows_at_least_one_mib(model: str) -> None:
    results = fresh_holds(MicroCase(model, None, "memory", n_tasks=20), 20, holds=1, ballast=MIB)
    assert results[0]["bytes_per_task"] >= MIB, results


@pytest.mark.timeout(120)
@pytest.mark.parametrize("model", ["greenlet", "asyncio"])
def test_a_task_holding_nothing_shows_a_few_kib_at_most(model: str) -> None:
    results = fresh_holds(MicroCase(model, None, "memory", n_tasks=2000), 2000, holds=1)
    assert 0 < results[0]["bytes_per_task"] < FEW_KIB, results
    assert 0 < results[0]["python_objects"] < FEW_KIB, results


def test_memory_summary_is_the_median_hold_with_its_range() -> None:
    case = MicroCase("asyncio", None, "memory", n_tasks=10)
    holds = [
        {"bytes_per_task": 900.0, "python_objects": 800.0},
        {"bytes_per_task": 700.0, "python_objects": 820.0},
        {"bytes_per_task": 1000.0, "python_objects": 810.0},
    ]
    result = summary(case, holds)
    assert result["bytes_per_task"] == 900.0
    assert result["memory"]["low"] == 700.0 and result["memory"]["high"] == 1000.0
    assert result["memory"]["python_objects"] == 810.0 and result["memory"]["holds"] == 3
    threads = summary(MicroCase("threads", None, "memory", n_tasks=10), holds)
    assert "stack" in threads["memory"]["counts"]


@pytest.mark.timeout(120)
def test_the_memory_case_records_the_profiles_fresh_holds() -> None:
    case = MicroCase("generators", None, "memory", n_tasks=500)
    sizes = replace(sizes_for("smoke"), memory_holds=3)
    with open_loop(case, sizes) as loop:
        memory = loop.recorded["memory"]
        assert memory["holds"] == 3
        assert memory["low"] <= loop.recorded["bytes_per_task"] <= memory["high"]
        assert memory["python_objects"] > 0
        loop.check(loop.round())


# -- ideals that are bounds --------------------------------------------------------------


@pytest.mark.parametrize(("n", "waves"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_cpu_spin_ideal_is_whole_waves_of_tasks_on_the_cores(n: int, waves: int) -> None:
    calibration = Calibration(cpu_count=2, entries={"cpu_spin": {"1000": 1.0}})
    ideal = cpu_spin.ideal_s(n, {"work_units": 1000}, calibration)
    assert ideal == pytest.approx(waves / n)


def test_cpu_spin_is_calibrated_in_a_fresh_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    in_process = replace(WORKLOADS["cpu_spin"], measure=lambda units: pytest.fail("timed in this process"))
    monkeypatch.setitem(WORKLOADS, "cpu_spin", in_process)
    seconds = calibrate.fresh_measure("cpu_spin", 20_000)
    assert 0 < seconds < 10


def test_calibrate_refuses_bad_input_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.calibrate", "cpu_spin", "lots"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "SIZE" in done.stderr and "Traceback" not in done.stderr


# -- pool size as a parameter ------------------------------------------------------------


def test_pools_run_all_only_on_waiting_workloads() -> None:
    for model in ("thread_pool", "process_pool"):
        cases = workload_cases(PROFILES["quick"], model, ["cpu_spin", "sleep", "http_fetch"])
        assert {(c.workload, c.variant) for c in cases} == {
            ("cpu_spin", None),
            ("sleep", None),
            ("sleep", "all"),
            ("http_fetch", None),
            ("http_fetch", "all"),
        }


def test_the_all_pool_holds_every_task_and_says_when_it_repeats_the_default_or_passes_its_cap() -> None:
    pool = ThreadPool("all")
    assert pool.size_for(100) == 100
    reason = pool.limit(default_pool_size())
    assert reason and "already holds" in reason
    assert pool.limit(default_pool_size() + 1) is None and pool.limit(THREAD_POOL_CAP) is None
    over = pool.limit(THREAD_POOL_CAP + 1)
    assert over and f"cap of {THREAD_POOL_CAP}" in over
    assert ThreadPool().size_for(100) == default_pool_size()
    processes = ProcessPool("all")
    assert processes.limit(PROCESS_POOL_CAP) is None or "cap" in (processes.limit(PROCESS_POOL_CAP) or "")
    assert "cap of" in (processes.limit(PROCESS_POOL_CAP + 1) or "")


@pytest.mark.timeout(60)
def test_an_all_pool_overlaps_every_sleeper_that_the_default_pool_queues() -> None:
    n, sleep_s = 40, 0.2
    params = {"sleep_s": sleep_s, "n_tasks": n}
    form = WORKLOADS["sleep"].blocking
    assert form is not None
    with ThreadPool("all") as pool:
        pool.setup(n)
        start = time.perf_counter()
        pool.run(partial(form, params=params), n)
        elapsed = time.perf_counter() - start
        assert pool.parameters() == {"pool_size": n, "pool": "all"}
    assert elapsed < n * sleep_s / default_pool_size() / 2, f"{n} sleepers took {elapsed:.2f} s"


# -- set-up out of the timed region ------------------------------------------------------


class _CountingReactor(generators_model.Reactor):  # type: ignore[type-arg]
    made = 0

    def __init__(self) -> None:
        super().__init__()
        type(self).made += 1


@pytest.mark.parametrize("module", [generators_model, greenlet_model])
def test_the_scheduler_and_hub_make_their_selector_once_per_case(module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _CountingReactor.made = 0
    monkeypatch.setattr(module, "Reactor", _CountingReactor)
    cls = generators_model.Generators if module is generators_model else greenlet_model.Greenlet
    form = WORKLOADS["sleep"].generator
    assert form is not None
    with cls() as model:
        for _ in range(3):
            model.run(partial(form, params={"sleep_s": 0.001, "n_tasks": 3}), 3)
    assert _CountingReactor.made == 1


# -- reports: labels and the claim --------------------------------------------------------


def _switch_row(label: str, family: str, mechanism: str, where: str | None, per_op: float) -> dict[str, Any]:
    model = label.split("[")[0]
    return {
        "kind": "micro",
        "case": "switch",
        "backend": model,
        "variant": label[len(model) + 1 : -1] or None,
        "label": label,
        "n_tasks": None,
        "profile": "quick",
        "family": family,
        "mechanism": mechanism,
        "placement": where,
        "per_op_s": per_op,
        "median": per_op,
        "ci_low": per_op * 0.95,
        "ci_high": per_op * 1.05,
        **declared(model),
    }


def process_switch_dearer_than_thread(frame: pd.DataFrame) -> Verdict:
    (claim,) = [c for c in CLAIMS if c.__name__ == "process_switch_dearer_than_thread"]
    return claim(frame)


def test_series_name_the_mechanism_and_placement_and_families_chart_apart() -> None:
    frame = add_case_columns(
        pd.DataFrame(
            [
                _switch_row("threads", "native", "queue.Queue", "same-core", 1e-5),
                _switch_row("threads", "native", "queue.Queue", "cross-core", 3e-5),
                _switch_row("greenlet", "native", "greenlet.switch", None, 2e-7),
                _switch_row("threads", "common", "os.pipe", "os", 8e-6),
                _switch_row("greenlet", "common", "os.pipe", None, 9e-6),
            ]
        )
    )
    assert set(frame["config"]) == {"family=native", "family=common"}
    assert "threads(queue.Queue, same-core)" in set(frame["series"])
    assert "greenlet(greenlet.switch)" in set(frame["series"])
    assert frame["series"].nunique() == len(frame)


def test_the_thread_vs_process_claim_compares_like_with_like_or_says_it_cannot() -> None:
    rows = [
        _switch_row("processes[fork]", "native", "multiprocessing.Pipe", "os", 40e-6),
        _switch_row("threads", "native", "queue.Queue", "os", 20e-6),
    ]
    frame = pd.DataFrame(rows).assign(kind="micro")
    verdict = process_switch_dearer_than_thread(frame)
    assert verdict.outcome == NOT_MEASURED and "same mechanism" in verdict.evidence
    rows += [
        _switch_row("processes[fork]", "common", "os.pipe", "same-core", 5e-6),
        _switch_row("threads", "common", "os.pipe", "same-core", 4e-6),
        _switch_row("processes[fork]", "common", "os.pipe", "cross-core", 9e-6),
        _switch_row("threads", "common", "os.pipe", "cross-core", 12e-6),
    ]
    verdict = process_switch_dearer_than_thread(pd.DataFrame(rows))
    assert verdict.outcome == DOES_NOT_HOLD
    assert "same-core over os.pipe" in verdict.evidence and "cross-core over os.pipe" in verdict.evidence


def test_memory_holds_pool_over_processes_into_one_range() -> None:
    def member(process: int, low: float, high: float, objects: float) -> dict[str, Any]:
        return {
            "backend": "asyncio",
            "variant": None,
            "name": "bench_micro[asyncio-memory-n10]",
            "source": f"asyncio.{process}.json",
            "process": process,
            "kind": "micro",
            "samples": [0.01, 0.011],
            "median": 0.0105,
            "ops_per_round": 10.0,
            "ideal_s": math.nan,
            "bytes_per_task": (low + high) / 2,
            "bytes_per_task_low": low,
            "bytes_per_task_high": high,
            "python_objects_per_task": objects,
        }

    members = [member(0, 900.0, 1000.0, 800.0), member(1, 850.0, 950.0, 820.0), member(2, 950.0, 990.0, 810.0)]
    (row,) = merge_processes(members)
    assert row["bytes_per_task_low"] == 850.0 and row["bytes_per_task_high"] == 1000.0
    assert row["python_objects_per_task"] == 810.0
