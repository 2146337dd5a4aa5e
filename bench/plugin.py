"""The pytest plugin of a benchmark session: cases, fixtures and pytest-benchmark hooks.

Loaded by ``python -m bench.session`` with ``-p bench.plugin``. One pytest session
measures one backend, in its own interpreter started by ``python -m bench``; every
setting comes from the session description (``--session FILE``, see
:mod:`bench.description`). The plugin enters the backend's ``session`` once before
any case (a cluster, say), the run's environments the description lacks (the
local server, when a session runs alone), records the machine in
``machine_info`` (with what the backend adds), the session's isolation facts in
the JSON, and every case's outcome (passed, skipped with its reason, failed) in an
outcomes file the runner folds into the run's manifest (:mod:`bench.outcomes`).
Each case is saved as it completes (:mod:`bench.case_saving`), what it leaves
running is ended (:mod:`bench.case_guard`), and a session restarted for the cases a
dead one left runs only the description's ``cases``.
"""

from __future__ import annotations

import _thread
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench import description
from bench.backends import BACKENDS, load, unavailable
from bench.backends._limits import limits_facts
from bench.case_guard import CaseGuard, mark_real_interrupts
from bench.case_saving import CaseSaver
from bench.description import SessionDescription
from bench.harness import workload_cases
from bench.micro import MICROS, micro_cases
from bench.outcomes import OutcomeRecorder
from bench.profiles import PROFILES, Profile, with_tasks
from workloads import WORKLOADS, Calibration, RunContext


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("concurrency-bench")
    group.addoption("--session", default=None, help="the session description written by python -m bench")


def session_description(config: pytest.Config) -> SessionDescription:
    """The session's description, read once; a usage error without one."""
    cached: SessionDescription | None = getattr(config, "_bench_description", None)
    if cached is not None:
        return cached
    path = config.getoption("--session", default=None)
    if path is None:
        raise pytest.UsageError("--session FILE is required (a session description written by python -m bench)")
    try:
        found = description.load(Path(path))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if found.backend not in BACKENDS:
        raise pytest.UsageError(f"unknown backend {found.backend!r} in {path}; valid: {', '.join(BACKENDS)}")
    if found.profile not in PROFILES:
        raise pytest.UsageError(f"unknown profile {found.profile!r} in {path}; valid: {', '.join(PROFILES)}")
    config._bench_description = found  # type: ignore[attr-defined]
    return found


def _profile(config: pytest.Config) -> Profile:
    found = session_description(config)
    return with_tasks(PROFILES[found.profile], found.n_tasks)


def _selection(config: pytest.Config) -> list[str]:
    cached: list[str] | None = getattr(config, "_bench_selection", None)
    if cached is not None:
        return cached
    names = [_register(w) for w in session_description(config).selection if w]
    valid = [*WORKLOADS, *MICROS]
    unknown = sorted(set(names) - set(valid))
    if unknown:
        raise pytest.UsageError(f"unknown workloads {unknown}; valid: {', '.join(valid)}")
    config._bench_selection = names  # type: ignore[attr-defined]
    return names


def _register(item: str) -> str:
    """A built-in name as it is; a user's workload file or module:attribute loaded into WORKLOADS."""
    from workloads.user_spec import BadWorkloadSpec, is_spec, register

    if not is_spec(item):
        return item
    try:
        return register(item, WORKLOADS, reserved=dict.fromkeys([*WORKLOADS, *MICROS]))
    except BadWorkloadSpec as exc:
        raise pytest.UsageError(str(exc)) from None


def _workloads(config: pytest.Config) -> list[str]:
    return [name for name in _selection(config) if name in WORKLOADS]


def _micros(config: pytest.Config) -> list[str]:
    return [name for name in _selection(config) if name in MICROS]


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
    backend = session_description(config).backend
    if "workload_case" in metafunc.fixturenames:
        cases = workload_cases(_profile(config), backend, _workloads(config))
        metafunc.parametrize("workload_case", cases, ids=[c.id for c in cases])
    if "micro_case" in metafunc.fixturenames:
        micro = micro_cases(_profile(config), backend, _micros(config))
        metafunc.parametrize("micro_case", micro, ids=[c.id for c in micro])


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The profile this session runs."""
    return _profile(pytestconfig)


@pytest.fixture(scope="session")
def run_context(pytestconfig: pytest.Config) -> Iterator[RunContext]:
    """The workloads' options and environment facts; starts an environment the runner did not (a session alone)."""
    session = session_description(pytestconfig)
    facts = dict(session.environment)
    with ExitStack() as stack:
        for name in _workloads(pytestconfig):
            environment = WORKLOADS[name].environment(session.workload_options)
            if environment is not None and environment.key not in facts:
                facts[environment.key] = dict(stack.enter_context(environment.start(session.workload_options)))
        yield RunContext(options=dict(session.workload_options), facts=facts)


@pytest.fixture(scope="session")
def calibration(pytestconfig: pytest.Config, profile: Profile, run_context: RunContext) -> Calibration:
    """The run's calibration, or one measured now when the session runs alone."""
    from bench import calibrate

    path = session_description(pytestconfig).calibration
    if path:
        return calibrate.load(Path(path))
    return calibrate.calibrate(profile.name, _workloads(pytestconfig), run_context)


@dataclass(frozen=True)
class BackendSession:
    """What the backend's ``session`` yielded, and the cores it says its model can use (None: the machine's)."""

    state: Any
    cores: int | None


@pytest.fixture(scope="session", autouse=True)
def backend_session(pytestconfig: pytest.Config) -> Iterator[BackendSession]:
    """Enter the backend's ``session(options)`` once, before any case; record its machine info."""
    session = session_description(pytestconfig)
    if unavailable(session.backend):
        yield BackendSession(None, None)
        return
    backend_cls = load(session.backend)
    with backend_cls.session(session.backend_options) as state:
        pytestconfig._bench_backend_machine_info = dict(backend_cls.machine_info(state))  # type: ignore[attr-defined]
        yield BackendSession(state, backend_cls.cores(state))


# -- pytest-benchmark hooks --------------------------------------------------------


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    from bench.machine import machine_facts

    machine_info.update(machine_facts())
    machine_info.update(getattr(config, "_bench_backend_machine_info", {}))


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
    """What this interpreter's socket and threading modules are: patched or not."""
    return {
        "pid": os.getpid(),
        "socket.socket": f"{socket.socket.__module__}.{socket.socket.__qualname__}",
        "threading.Thread.start": threading.Thread.start.__module__,
        "threading.thread_starter": thread_starter_module(),
        "_thread.start_new_thread": _thread.start_new_thread.__module__,
        "gevent_imported": "gevent" in sys.modules,
        "gevent_patched": "gevent.monkey" in sys.modules
        and bool(sys.modules["gevent.monkey"].is_module_patched("socket")),
    }


def _cached_machine_info(config: pytest.Config) -> dict[str, Any]:
    cached: dict[str, Any] | None = getattr(config, "_bench_machine_info", None)
    if cached is None:
        from pytest_benchmark.plugin import pytest_benchmark_generate_machine_info as generate

        cached = dict(generate())
        config._bench_machine_info = cached  # type: ignore[attr-defined]
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
        "backend": session.backend,
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
