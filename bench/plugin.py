"""The pytest plugin of a benchmark session: cases, fixtures and pytest-benchmark hooks.

Loaded by ``python -m bench.session`` with ``-p bench.plugin``. One pytest session
measures one model, in its own interpreter started by ``python -m bench``; every
setting comes from the session description (``--session FILE``, see
:mod:`bench.description`). The plugin prepares the run as the runner did
(:func:`bench.prepare.prepare_run`: the same workloads, the runner's environments and
calibration, or its own when a session runs alone), enters the model's ``session``
once before any case (a cluster, say), records the machine in
``machine_info`` (with what the model adds), the session's isolation facts in
the JSON, and every case's outcome (passed, skipped with its reason, failed) in an
outcomes file the runner folds into the run's manifest (:mod:`bench.outcomes`).
Each case is saved as it completes (:mod:`bench.case_saving`), what it leaves
running is ended (:mod:`bench.case_guard`), a session restarted for the cases a
dead one left runs only the description's ``cases``, and one side of an interleaved
pair runs each case only while it holds the pair's baton (:mod:`bench.baton`).
"""

from __future__ import annotations

import _thread
import json
import os
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench import description
from bench.baton import lockstep_plugin
from bench.case_guard import CaseGuard, mark_real_interrupts
from bench.case_saving import CaseSaver
from bench.climb import Climb, default_max_memory
from bench.description import SessionDescription
from bench.harness import workload_cases
from bench.micro import micro_cases
from bench.models import MODELS, load, unavailable
from bench.models._limits import limits_facts
from bench.outcomes import OutcomeRecorder
from bench.prepare import RunPlan, UnknownSelection, prepare_run, registered
from bench.profiles import PROFILES, Profile, with_tasks
from workloads import Calibration, RunContext


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("concurrency-bench")
    group.addoption("--session", default=None, help="the session description written by python -m bench")


#: What the plugin keeps on pytest's config, read once per session.
DESCRIPTION = pytest.StashKey[SessionDescription]()
SELECTION = pytest.StashKey[tuple[list[str], list[str]]]()
MODEL_MACHINE_INFO = pytest.StashKey[dict[str, Any]]()
MACHINE_INFO = pytest.StashKey[dict[str, Any]]()


def session_description(config: pytest.Config) -> SessionDescription:
    """The session's description, read once; a usage error without one."""
    if DESCRIPTION in config.stash:
        return config.stash[DESCRIPTION]
    path = config.getoption("--session", default=None)
    if path is None:
        raise pytest.UsageError("--session FILE is required (a session description written by python -m bench)")
    try:
        found = description.load(Path(path))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if found.model not in MODELS:
        raise pytest.UsageError(f"unknown model {found.model!r} in {path}; valid: {', '.join(MODELS)}")
    if found.profile not in PROFILES:
        raise pytest.UsageError(f"unknown profile {found.profile!r} in {path}; valid: {', '.join(PROFILES)}")
    config.stash[DESCRIPTION] = found
    return found


def _profile(config: pytest.Config) -> Profile:
    found = session_description(config)
    return with_tasks(PROFILES[found.profile], found.n_tasks)


def _selection(config: pytest.Config) -> tuple[list[str], list[str]]:
    """The session's workloads and micro-costs, a user's workload loaded first; a usage error for a bad name."""
    if SELECTION not in config.stash:
        try:
            config.stash[SELECTION] = registered(session_description(config).selection)
        except UnknownSelection as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[SELECTION]


def _workloads(config: pytest.Config) -> list[str]:
    return _selection(config)[0]


def _micros(config: pytest.Config) -> list[str]:
    return _selection(config)[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the cases the description names, when it names some (a process added for noisy cases)."""
    if config.getoption("--session", default=None) is None:
        return
    wanted = session_description(config).cases
    if wanted is None:
        return
    chosen = set(wanted)
    kept = [item for item in items if _case_id(item) in chosen]
    dropped = [item for item in items if _case_id(item) not in chosen]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _case_id(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    case = callspec.params.get("workload_case") or callspec.params.get("micro_case")
    return getattr(case, "id", None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    model = session_description(config).model
    if "workload_case" in metafunc.fixturenames:
        cases = workload_cases(_profile(config), model, _workloads(config))
        metafunc.parametrize("workload_case", cases, ids=[c.id for c in cases])
    if "micro_case" in metafunc.fixturenames:
        micro = micro_cases(_profile(config), model, _micros(config))
        metafunc.parametrize("micro_case", micro, ids=[c.id for c in micro])


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The profile this session runs."""
    return _profile(pytestconfig)


@pytest.fixture(scope="session")
def run_plan(pytestconfig: pytest.Config) -> Iterator[RunPlan]:
    """The run as the runner prepared it; starts an environment the runner did not hand over (a session alone)."""
    session = session_description(pytestconfig)
    with prepare_run(session.profile, session.selection, session.workload_options, session.environment) as plan:
        yield plan


@pytest.fixture(scope="session")
def run_context(run_plan: RunPlan) -> RunContext:
    """The workloads' options and the environments' facts."""
    return run_plan.context


@pytest.fixture(scope="session")
def calibration(pytestconfig: pytest.Config, run_plan: RunPlan) -> Calibration:
    """The run's calibration, or one measured now when the session runs alone."""
    return run_plan.calibration(session_description(pytestconfig).calibration)


@pytest.fixture(scope="session")
def climb(pytestconfig: pytest.Config) -> Climb | None:
    """A climbing profile's climbs for this session (None: the profile does not climb).

    A session restarted for the cases a recycled one did not reach takes the stops
    that one recorded, so a climb stays stopped.
    """
    profile = _profile(pytestconfig)
    if not profile.climb:
        return None
    session = session_description(pytestconfig)
    found = Climb(profile.max_round_s, session.max_memory_bytes or default_max_memory())
    if session.outcomes:
        try:
            earlier = json.loads(Path(session.outcomes).read_text())
        except (OSError, ValueError):
            earlier = []
        found.resume(entry for entry in earlier if isinstance(entry, dict))
    return found


@dataclass(frozen=True)
class SessionState:
    """What the model's ``session`` context yielded, and the cores it says the model can use (None: the machine's)."""

    state: Any
    cores: int | None


@pytest.fixture(scope="session", autouse=True)
def model_session(pytestconfig: pytest.Config) -> Iterator[SessionState]:
    """Enter the model's ``session(options)`` once, before any case; record its machine info."""
    session = session_description(pytestconfig)
    if unavailable(session.model):
        yield SessionState(None, None)
        return
    model_cls = load(session.model)
    with model_cls.session(session.model_options) as state:
        pytestconfig.stash[MODEL_MACHINE_INFO] = dict(model_cls.machine_info(state))
        yield SessionState(state, model_cls.cores(state))


# -- pytest-benchmark hooks --------------------------------------------------------


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    from bench.machine import machine_facts

    machine_info.update(machine_facts())
    extra: dict[str, Any] = config.stash.get(MODEL_MACHINE_INFO, {})
    machine_info.update(extra)


#: The function ``threading.Thread.start`` hands a new OS thread to, by Python version:
#: ``_start_joinable_thread`` from 3.13, ``_start_new_thread`` before.
THREAD_STARTERS = ("_start_joinable_thread", "_start_new_thread")


def thread_starter_module() -> str | None:
    """The module of the function threading starts OS threads with (gevent's once patched).

    None when this Python's threading has none of the known names: the isolation test
    then fails loudly instead of passing on a fact it could not read.
    """
    for name in THREAD_STARTERS:
        starter = getattr(threading, name, None)
        if starter is not None:
            return str(starter.__module__)
    return None


def isolation_facts() -> dict[str, Any]:
    """What this interpreter's socket and threading modules are (patched or not), and every model's own facts.

    A model that patches the standard library declares what shows its patching
    (:meth:`~bench.models.Model.isolation_facts`); every registered model's
    declaration is merged here, in the registry's order, so that each session records
    whether any model's patching reached it.
    """
    facts: dict[str, Any] = {
        "pid": os.getpid(),
        "socket.socket": f"{socket.socket.__module__}.{socket.socket.__qualname__}",
        "threading.Thread.start": threading.Thread.start.__module__,
        "threading.thread_starter": thread_starter_module(),
        "_thread.start_new_thread": _thread.start_new_thread.__module__,
    }
    for key in MODELS:
        facts.update(load(key).isolation_facts())
    return facts


def _cached_machine_info(config: pytest.Config) -> dict[str, Any]:
    if MACHINE_INFO not in config.stash:
        from pytest_benchmark.plugin import pytest_benchmark_generate_machine_info as generate

        config.stash[MACHINE_INFO] = dict(generate())
    cached: dict[str, Any] = config.stash[MACHINE_INFO]
    return dict(cached)


def pytest_sessionstart(session: pytest.Session) -> None:
    # pytest-benchmark learns the CPU from a subprocess (py-cpuinfo) while it saves;
    # learnt here instead, an interrupt at the end cannot land in it and lose the file.
    if session.config.getoption("--session", default=None):
        _cached_machine_info(session.config)


@pytest.hookimpl(tryfirst=True)
def pytest_benchmark_generate_machine_info(config: pytest.Config) -> dict[str, Any]:
    # First, so that pytest-benchmark's own (py-cpuinfo in a subprocess, ~0.1 s) never
    # runs again: the case saver asks for the machine after every case.
    return _cached_machine_info(config)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Iterator[None]:
    """Save every case that has samples, whatever interrupted the session.

    A case interrupted (Ctrl-C, SIGTERM, a session timeout) before its first timed
    round has no samples, and pytest-benchmark fails while saving one (``min()`` of
    an empty sequence), losing every case of the session: such cases are dropped
    first. The save itself is shielded from a second interrupt.
    """
    bench_session = getattr(session.config, "_benchmarksession", None)
    if bench_session is not None:
        bench_session.benchmarks[:] = [b for b in bench_session.benchmarks if _has_samples(b)]
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _has_samples(metadata: Any) -> bool:
    # pytest-benchmark's session holds one Metadata per case; its Stats keep the samples.
    return bool(getattr(getattr(metadata, "stats", None), "data", None))


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: dict[str, Any]) -> None:
    from bench.results_format import FORMAT_KEY, FORMAT_VERSION

    session = session_description(config)
    output_json[FORMAT_KEY] = FORMAT_VERSION
    output_json["session"] = {
        "backend": session.model,
        "profile": session.profile,
        "process": session.process_index,
        "processes": session.processes,
        "isolation": isolation_facts(),
        "limits": limits_facts(),
    }


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--session", default=None) is None:
        return
    session = session_description(config)
    if session.outcomes:
        recorder = OutcomeRecorder(Path(session.outcomes), keep_earlier=session.cases is not None)
        config.pluginmanager.register(recorder, "concurrency-bench-outcomes")
    config.pluginmanager.register(CaseGuard(), "concurrency-bench-case-guard")
    if threading.current_thread() is threading.main_thread():
        mark_real_interrupts()
    config.pluginmanager.register(CaseSaver(config, keep_earlier=session.cases is not None), "concurrency-bench-saver")
    lockstep = lockstep_plugin(session.baton, session.case_timeout_s)
    if lockstep is not None:
        config.pluginmanager.register(lockstep, "concurrency-bench-lockstep")
