"""Models in-process: concurrency is real, answers are checked, nothing is left behind.

gevent is left out here: it runs only in its own patched interpreter, which the
end-to-end tests exercise.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

import psutil
import pytest

from bench.harness import timed_and_checked
from bench.models import MODELS, Model, load, unavailable
from bench.profiles import PROFILES
from workloads import WORKLOADS, WrongAnswer, cpu_spin, sleep


def _here(name: str) -> Any:
    """``name`` as a test parameter, skipped with the model's reason where this Python cannot run it."""
    reason = unavailable(name)
    return pytest.param(name, marks=pytest.mark.skipif(reason is not None, reason=str(reason)))


IN_PROCESS = [_here(name) for name in MODELS if name != "gevent"]
CONCURRENT = ["threads", "processes", "generators", "greenlet", "asyncio", "uvloop", "trio"]


def run_workload(model_name: str, workload: str, n_tasks: int, **params: Any) -> tuple[list[Any], float]:
    """Run one round of ``workload`` on ``model_name`` inside the model's session; return results and wall time."""
    with load(model_name).session({}) as state:
        return run_round(model_name, workload, n_tasks, state, **params)


def run_round(model_name: str, workload: str, n_tasks: int, state: Any, **params: Any) -> tuple[list[Any], float]:
    """Run one round of ``workload`` on ``model_name`` in a session that yielded ``state``; check it."""
    model_cls = load(model_name)
    form = WORKLOADS[workload].form(model_cls.form)
    assert form is not None
    full = {**params, "n_tasks": n_tasks}
    with model_cls.for_session(None, state) as model:
        start = time.perf_counter()
        results = model.run(partial(form, params=full), n_tasks)
        elapsed = time.perf_counter() - start
    WORKLOADS[workload].check(results, n_tasks, full)
    return results, elapsed


@pytest.mark.parametrize("model", CONCURRENT)
def test_sleepers_overlap(model: str) -> None:
    n_tasks, sleep_s = 20, 0.2
    _, elapsed = run_workload(model, "sleep", n_tasks, sleep_s=sleep_s)
    assert elapsed < n_tasks * sleep_s / 2, f"{model}: {n_tasks} sleepers took {elapsed:.2f} s"


def test_sequential_sleepers_add_up() -> None:
    n_tasks, sleep_s = 5, 0.05
    _, elapsed = run_workload("sequential", "sleep", n_tasks, sleep_s=sleep_s)
    assert elapsed >= n_tasks * sleep_s * 0.95


@pytest.mark.parametrize("model", IN_PROCESS)
@pytest.mark.parametrize("workload", ["cpu_spin", "sleep"])
def test_every_model_returns_right_answers(model: str, workload: str) -> None:
    params = {"work_units": 30_000} if workload == "cpu_spin" else {"sleep_s": 0.01}
    results, _ = run_workload(model, workload, 7, **params)
    assert len(results) == 7


@pytest.mark.parametrize("model", IN_PROCESS)
def test_no_child_process_or_thread_outlives_a_case(model: str) -> None:
    # What the model's session holds (a cluster) lives for the session; a case leaves nothing of its own.
    with load(model).session({}) as state:
        threads_before = set(threading.enumerate())
        children_before = {c.pid for c in psutil.Process().children(recursive=True)}
        run_round(model, "sleep", 8, state, sleep_s=0.01)
        leftover_threads = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        assert leftover_threads == []
        assert [c for c in psutil.Process().children(recursive=True) if c.pid not in children_before] == []


def test_cpu_spin_checksums_are_exact() -> None:
    params = {"n_tasks": 4, "work_units": 1000}
    results = [cpu_spin.spin(i, params) for i in range(4)]
    assert sum(results) == sum(k * k for k in range(1000))
    cpu_spin.check(results, 4, params)


class Lossy(Model):
    """A broken model: loses the last task."""

    name = "lossy"
    form = load("sequential").form
    summary = "drops a task"

    def run(self, task: Any, n_tasks: int) -> list[Any]:
        return [task(i) for i in range(n_tasks - 1)]


class Corrupting(Model):
    """A broken model: one task returns a wrong checksum."""

    name = "corrupting"
    form = load("sequential").form
    summary = "corrupts an answer"

    def run(self, task: Any, n_tasks: int) -> list[Any]:
        results = [task(i) for i in range(n_tasks)]
        results[0] += 1
        return results


@pytest.mark.parametrize("profile", ["smoke", "quick"])
@pytest.mark.parametrize(
    ("model_cls", "workload", "params"),
    [(Lossy, sleep.WORKLOAD, {"sleep_s": 0.001}), (Corrupting, cpu_spin.WORKLOAD, {"work_units": 5000})],
)
@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
def test_wrong_answer_fails_the_case_and_is_never_saved(
    benchmark: Any, model_cls: type[Model], workload: Any, params: dict[str, Any], profile: str
) -> None:
    """Smoke times from the first round (pedantic's teardown catches it); quick's
    checked warmup round catches it before any timing."""
    from pytest_benchmark.plugin import pytest_benchmark_generate_json

    n_tasks = 5
    full = {**params, "n_tasks": n_tasks}
    model = model_cls()
    with pytest.raises(WrongAnswer):
        timed_and_checked(
            benchmark,
            lambda: model.run(partial(workload.blocking, params=full), n_tasks),
            lambda results: workload.check(results, n_tasks, full),
            PROFILES[profile],
        )
    if PROFILES[profile].warmup:
        assert benchmark.stats is None, "a wrong warmup answer must stop the case before timing"
        return
    assert benchmark.has_error
    output = pytest_benchmark_generate_json(
        config=None, benchmarks=[benchmark.stats], include_data=True, machine_info={}, commit_info={}
    )
    assert output["benchmarks"] == []


def test_a_correct_case_is_saved(benchmark: Any) -> None:
    from pytest_benchmark.plugin import pytest_benchmark_generate_json

    full = {"sleep_s": 0.001, "n_tasks": 3}
    model = load("threads")()
    timed_and_checked(
        benchmark,
        lambda: model.run(partial(sleep.sleep_blocking, params=full), 3),
        lambda results: sleep.check(results, 3, full),
        PROFILES["smoke"],
    )
    output = pytest_benchmark_generate_json(
        config=None, benchmarks=[benchmark.stats], include_data=True, machine_info={}, commit_info={}
    )
    assert len(output["benchmarks"]) == 1
    assert len(output["benchmarks"][0]["stats"]["data"]) == PROFILES["smoke"].min_rounds
