"""The run: one fresh interpreter per model, a manifest, then the report.

Before any session the runner asks every selected model's ``preflight`` (a fatal
error exits 2), starts the environments the selected workloads need (a local
server, once for the whole run) and calibrates. Each model's pytest session then
runs as ``python -m bench.session --session FILE`` in a new process group, bounded
by the profile's session timeout; FILE is its session description
(:mod:`bench.description`). A session that dies or hangs fails only the case it
was running, and a fresh one runs the rest (:mod:`bench.supervise`). Whatever
happens to one model (failed cases, a crash, a timeout) is written to
``run.json`` and the run goes on; the manifest is rewritten atomically after every
model, so an interrupted run still says what it measured.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from bench import baton, calibrate, description
from bench.atomic import NotWritable, write_text_atomic
from bench.layout import MANIFEST, RunLayout, mark_abandoned, new_run_dir
from bench.machine import cpu_count, interpreter_facts, machine_id
from bench.models import MODELS, load, unavailable
from bench.prepare import RunPlan, prepare_run
from bench.profiles import PROFILES, Profile, with_tasks
from bench.progress import follow
from bench.results_format import FORMAT_KEY, FORMAT_VERSION
from bench.supervise import SupervisedSession, stop_group, supervise
from workloads import WORKLOADS, CalibrationFailed

REPO = Path(__file__).resolve().parent.parent


@dataclass
class RunOptions:
    """What the user asked for, already validated."""

    profile: str
    models: list[str]
    workloads: list[str]
    results: Path
    #: The values of the options workloads declare, by dest (``http_url``).
    workload_options: dict[str, Any] = field(default_factory=dict)
    #: Each model's values of the options it declares, by dest.
    model_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    processes: int | None = None
    #: The change a comparison of two such runs should resolve (0.05: ±5%); None: the profile's.
    precision: float | None = None
    #: The task counts of every workload case, in place of the profile's (None: the profile's).
    tasks: tuple[int, ...] | None = None
    #: The largest task count any case runs (None: no cap but the profile's counts).
    max_tasks: int | None = None
    #: A climbing profile's memory cap in bytes (None: half the machine's memory).
    max_memory_bytes: int | None = None
    #: Two interpreters to measure side by side, process by process in alternation (empty: this one).
    pythons: list[str] = field(default_factory=list)
    report: bool = True
    extra_pytest_args: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Manifest:
    """``run.json``: the run's options and each model's status, kept on disk."""

    def __init__(self, run_dir: Path, options: RunOptions, interpreter: Mapping[str, Any] | None = None) -> None:
        self.path = run_dir / MANIFEST
        self.data: dict[str, Any] = {
            FORMAT_KEY: FORMAT_VERSION,
            "run_id": run_dir.name,
            "machine_id": run_dir.parent.name,
            "profile": options.profile,
            "options": {
                "backends": options.models,
                "workloads": options.workloads,
                **options.workload_options,
                "processes": options.processes,
                "tasks": list(options.tasks) if options.tasks else None,
                "max_tasks": options.max_tasks,
                "max_memory_bytes": options.max_memory_bytes,
                "results": str(options.results),
                "backend_options": {name: values for name, values in options.model_options.items() if values},
            },
            "interpreter": dict(interpreter) if interpreter is not None else interpreter_facts(),
            "models": models_section(options.models),
            "micro_costs": micro_costs_section(options.workloads),
            "started_at": _now(),
            "ended_at": None,
            # Who writes this file: a later run that finds it "running" and this
            # process gone marks the run aborted (see bench.layout.mark_abandoned).
            "runner": runner_identity(),
            "status": "running",
            "error": None,
            "backends": {},
        }
        self.write()

    def write(self) -> None:
        """Replace ``run.json`` atomically with the current state; :class:`NotWritable` if it cannot be.

        A failed write (a full disk) leaves the previous ``run.json`` whole and no
        temporary file.
        """
        try:
            write_text_atomic(self.path, json.dumps(self.data, indent=2))
        except OSError as exc:
            raise NotWritable(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def finish(self, status: str, error: str | None = None) -> None:
        """Record the run's final status."""
        self.data.update(status=status, error=error, ended_at=_now())
        self.write()


def models_section(models: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``run.json``'s ``models``: what each model of the run declares, in registry order.

    Reports take the models' order, colours and baseline from here, never from a list
    of their own. ``order`` is the model's place in the registry, so runs of different
    subsets of models still agree on it.
    """
    chosen = set(models)
    section: dict[str, dict[str, Any]] = {}
    for order, name in enumerate(MODELS):
        if name in chosen:
            cls = load(name)
            section[name] = {
                "order": order,
                "colour": cls.colour,
                "summary": cls.summary,
                "baseline": cls.baseline,
                "requires": list(cls.requires),
                "traits": cls.traits.as_record() if cls.traits is not None else None,
            }
    return section


def micro_costs_section(selection: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``run.json``'s ``micro_costs``: what each micro-cost of the selection declares, in registry order.

    Reports take a micro-cost's operation and chart from here, never from a list of
    their own. ``order`` is its place in the registry (:mod:`bench.micro.costs`).
    """
    from bench.micro.costs import MICRO_COSTS

    chosen = set(selection)
    return {
        name: {"order": order, **cost.declared()}
        for order, (name, cost) in enumerate(MICRO_COSTS.items())
        if name in chosen
    }


def workloads_section(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``run.json``'s ``workloads``: what each workload of the run declares for its report, by name.

    The reports take a workload's claims, readings and tables from here
    (:mod:`workloads.report_spec`), never from a workload module of their own.
    """
    return {name: WORKLOADS[name].report.to_json() for name in names if name in WORKLOADS}


def runner_identity() -> dict[str, Any]:
    """This process as run.json records it: host, pid and the pid's start time."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "pid_started": psutil.Process().create_time()}


def session_command(session_file: Path, json_file: Path, options: RunOptions, python: str | None = None) -> list[str]:
    """The command line of one model's session under ``python`` (this one by default)."""
    return [
        python or sys.executable,
        "-m",
        "bench.session",
        "--session",
        str(session_file),
        "--benchmark-json",
        str(json_file),
        "-q",
        *options.extra_pytest_args,
    ]


def write_session(
    model: str,
    options: RunOptions,
    profile: Profile,
    run_dir: Path,
    facts: Mapping[str, Mapping[str, Any]],
    process: int = 0,
    processes: int = 1,
    cases: tuple[str, ...] | None = None,
    lockstep: Mapping[str, str] | None = None,
) -> Path:
    """Write the description of process ``process`` of ``processes`` of ``model``; return its path.

    ``cases``, when given, restricts the session to those case ids; ``lockstep`` (a
    baton of :func:`bench.baton.make`) makes it one side of a pair's lockstep.
    """
    stem = session_stem(model, process)
    layout = RunLayout(run_dir)
    path = layout.description(stem)
    session = description.SessionDescription(
        model=model,
        profile=options.profile,
        selection=tuple(options.workloads),
        workload_options=options.workload_options,
        model_options=options.model_options.get(model, {}),
        environment=facts,
        calibration=str(layout.calibration),
        outcomes=str(layout.outcomes(stem)),
        process_index=process,
        processes=processes,
        case_timeout_s=profile.case_timeout_s,
        runner_pid=os.getpid(),
        prelude=load(model).prelude,
        cases=cases,
        n_tasks=task_counts(options),
        max_memory_bytes=options.max_memory_bytes,
        baton=lockstep,
    )
    description.save(session, path)
    return path


def task_counts(options: RunOptions) -> tuple[int, ...] | None:
    """The task counts the sessions run in place of the profile's: ``--tasks``, less those over ``--max-tasks``."""
    if options.max_tasks is None:
        return options.tasks
    counts = tuple(n for n in options.tasks or PROFILES[options.profile].n_tasks if n <= options.max_tasks)
    return counts or (options.max_tasks,)


def session_stem(model: str, process: int) -> str:
    """The file stem of one session's outputs: ``threads.0`` for the first process of threads."""
    return f"{model}.{process}"


#: Stop a session's process group: SIGINT (pytest then saves), then SIGKILL if it lingers.
_stop_group = stop_group


def _read_outcomes(path: Path) -> list[dict[str, Any]]:
    try:
        cases: list[dict[str, Any]] = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return cases


def _summary(cases: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case["outcome"]] = counts.get(case["outcome"], 0) + 1
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no cases"


#: A model's status over its sessions is the most severe of theirs.
_STATUS_SEVERITY = ("ok", "failed", "timeout", "crashed", "interrupted")
#: A case's outcome over the processes: a failure anywhere fails it; one timed process makes it passed.
_OUTCOME_PRIORITY = ("failed", "error", "passed", "skipped", "not run")


def merge_sessions(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold one model's per-process session entries into its manifest entry."""
    status = max((s["status"] for s in sessions), key=_STATUS_SEVERITY.index)
    cases: dict[str, dict[str, Any]] = {}
    for session in sessions:
        for case in session["cases"]:
            known = cases.get(case["id"])
            if known is None or _OUTCOME_PRIORITY.index(case["outcome"]) < _OUTCOME_PRIORITY.index(known["outcome"]):
                cases[case["id"]] = case
    worst = next(s for s in sessions if s["status"] == status)
    return {
        "status": status,
        "returncode": worst["returncode"],
        "duration_s": round(sum(s["duration_s"] for s in sessions), 3),
        "json": [s["json"] for s in sessions if s["json"]],
        "error": next((s["error"] for s in sessions if s["error"]), None),
        "cases": list(cases.values()),
        "sessions": sessions,
    }


def preflight(options: RunOptions) -> str | None:
    """The first selected model's reason not to run with its options, as ``model: reason``; None if all can."""
    for model in options.models:
        if unavailable(model):
            continue
        reason = load(model).preflight(options.model_options.get(model, {}))
        if reason:
            return f"{model}: {reason}"
    return None


#: The signals that ended this run, as the handler saw them.
_received: list[int] = []


def _interrupt(signum: int, frame: object) -> None:
    _received.append(signum)
    raise KeyboardInterrupt(f"signal {signum}")


def _stopped_by() -> tuple[str, int]:
    """Why the run stopped early and its exit code: SIGTERM is 143, Ctrl-C is 130."""
    if signal.SIGTERM in _received:
        return "terminated by SIGTERM", 128 + signal.SIGTERM
    return "interrupted by the user (Ctrl-C)", 128 + signal.SIGINT


def load_1m() -> float | None:
    """The 1-minute load average, where the OS reports one."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


@dataclass(frozen=True)
class PairSide:
    """One side of a pair's lockstep, as the runner's thread for it sees it.

    ``lockstep`` is the side's baton (:func:`bench.baton.make`); ``mine`` is set once
    this side's sessions stop measuring (they ended, or the first died or was
    stopped), ``theirs`` once the other side's do.
    """

    lockstep: Mapping[str, str]
    mine: threading.Event
    theirs: threading.Event

    def stopped_measuring(self) -> None:
        """Say so: the other side goes on alone at once (:func:`bench.baton.release`)."""
        baton.release(self.lockstep)
        self.mine.set()

    def wait_for_the_other(self, stop: threading.Event | None) -> None:
        """Wait until the other side stops measuring (or ``stop``: then KeyboardInterrupt)."""
        while not self.theirs.wait(0.2):
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt


@dataclass
class Run:
    """What every session of one run shares: its options, profile, directory, manifest and environments."""

    options: RunOptions
    profile: Profile
    run_dir: Path
    manifest: Manifest
    facts: Mapping[str, Mapping[str, Any]]
    processes: int
    sessions: dict[str, list[dict[str, Any]]]
    #: The interpreter its sessions run under.
    python: str = sys.executable

    def session(
        self,
        model: str,
        process: int,
        cases: tuple[str, ...] | None = None,
        pair: PairSide | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Run process ``process`` of ``model`` (only ``cases``, if given) and record it in the manifest.

        ``pair`` makes the session one side of a pair's lockstep (:mod:`bench.baton`),
        with its progress shown by the other side's (the first) only; ``stop`` stops
        it from another thread. Raises KeyboardInterrupt when the session was interrupted.
        """
        stem = session_stem(model, process)
        load, started = load_1m(), _now()
        layout = RunLayout(self.run_dir)
        log_path = layout.log(stem)
        side = self.manifest.data.get("pair", {}).get("role")
        name = f"{model} ({side})" if side else model
        label = f"{name} {process + 1}/{self.processes}" + (f" ({len(cases)} noisy cases)" if cases else "")
        # A pair's two sessions run at once: the first side's progress stands for both.
        alone_or_first = pair is None or pair.lockstep["role"] == baton.FIRST
        with follow(label, layout.outcomes(stem)) if alone_or_first else nullcontext():
            supervised = self.supervised(model, process, cases, pair, stop)
        status, returncode, elapsed = supervised.status, supervised.returncode, supervised.duration_s
        outcomes = _read_outcomes(layout.outcomes(stem))
        json_file = layout.benchmark(stem)
        error = None
        if status != "ok":
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            error = f"{status} (exit {returncode}) after {elapsed:.1f} s: " + " | ".join(tail)
        self.sessions[model].append(
            {
                "process": process,
                "started_at": started,
                "status": status,
                "returncode": returncode,
                "duration_s": round(elapsed, 3),
                "load_avg_1m_before": load,
                "load_avg_1m_after": load_1m(),
                "json": json_file.name if json_file.exists() else None,
                "log": str(log_path.relative_to(self.run_dir)),
                "error": error,
                "cases": outcomes,
                "only_cases": list(cases) if cases is not None else None,
                "lockstep": pair.lockstep["role"] if pair else None,
                "attempts": [attempt.as_dict() for attempt in supervised.attempts],
            }
        )
        self.manifest.data["backends"][model] = merge_sessions(self.sessions[model])
        self.manifest.write()
        print(
            f"  {name:<13} {process + 1}/{self.processes} {status:<8} {_summary(outcomes)} ({elapsed:.1f} s)",
            flush=True,
        )
        if status == "interrupted":
            raise KeyboardInterrupt

    def supervised(
        self,
        model: str,
        process: int,
        cases: tuple[str, ...] | None,
        pair: PairSide | None = None,
        stop: threading.Event | None = None,
    ) -> SupervisedSession:
        """Run the session, and fresh ones for the cases a dead, hung or recycled one left (:mod:`bench.supervise`).

        In a pair, a fresh session runs alone, once the other side (told to go on
        alone) has finished: the two never time cases at once.
        """
        stem = session_stem(model, process)
        layout = RunLayout(self.run_dir)

        def command_for(restart: tuple[str, ...] | None) -> list[str]:
            only = cases if restart is None else restart
            if restart is not None and pair is not None:
                pair.stopped_measuring()
                pair.wait_for_the_other(stop)
            try:
                session_file = write_session(
                    model, self.options, self.profile, self.run_dir, self.facts, process, self.processes, only,
                    pair.lockstep if restart is None and pair is not None else None,
                )  # fmt: skip
            except OSError as exc:
                raise NotWritable(f"cannot write the description of session {stem}: {exc.strerror or exc}") from None
            return session_command(session_file, layout.benchmark(stem), self.options, self.python)

        try:
            return supervise(
                command_for,
                REPO,
                layout.log(stem),
                layout.outcomes(stem),
                self.profile.case_timeout_s,
                self.profile.session_timeout_s,
                stop=stop,
            )
        finally:
            if pair is not None:
                pair.stopped_measuring()


def execute(options: RunOptions) -> int:
    """Run every selected model; return the process exit code (0, 1, 2, 130 or 143).

    1 means a model did not finish cleanly or the report could not be built. With
    two interpreters in ``options.pythons`` the run is a pair: one run directory per
    interpreter, their two sessions of each model and process in lockstep, case by
    case (:func:`run_sessions`), so a drift of the machine lands on both sides,
    then a comparison of the two as pairs.
    """
    profile = with_tasks(PROFILES[options.profile], task_counts(options))
    refused = preflight(options)
    if refused:
        print(f"error: {refused}; nothing was run", file=sys.stderr)
        return 2
    for stale in mark_abandoned(options.results):
        print(f"note: {stale} was left running by a runner that is gone; marked aborted", flush=True)
    started = time.monotonic()
    runs = _new_runs(options, profile)
    # SIGTERM ends a run like Ctrl-C: sessions stopped, manifest finished, server gone.
    signal.signal(signal.SIGTERM, _interrupt)
    load = load_1m()
    if load is not None and load > 0.5 * cpu_count():
        print(f"  note: the machine is busy (load {load} on {cpu_count()} cores): expect noisy figures", flush=True)
    try:
        with prepare_run(options.profile, options.workloads, options.workload_options) as plan:
            if not _calibrated(runs, plan, load):
                return 2
            _measure(runs, options, started)
    except KeyboardInterrupt:
        why, code = _stopped_by()
        for run in runs:
            run.manifest.finish("aborted", why)
            print(f"\n{why}; what was measured is kept in {run.run_dir}", file=sys.stderr)
        return code
    except NotWritable as exc:
        kept = ", ".join(str(run.run_dir) for run in runs)
        print(f"error: {exc}; what was written is kept in {kept}", file=sys.stderr)
        return 1
    return _finish(runs, options)


def _new_runs(options: RunOptions, profile: Profile) -> list[Run]:
    """One run (directory and manifest) per interpreter; a pair's manifests name each other."""
    processes = options.processes or profile.processes
    runs = [
        _new_run(options, profile, python, processes, paired=len(options.pythons) > 1)
        for python in (options.pythons or [sys.executable])
    ]
    if len(runs) > 1:
        for run, other in ((runs[0], runs[1]), (runs[1], runs[0])):
            run.manifest.data["pair"] = {"with": other.run_dir.name, "role": "A" if run is runs[0] else "B"}
            run.manifest.write()
    for run in runs:
        print(f"run {run.run_dir} (profile {profile.name}, {len(options.models)} models, {run.python})", flush=True)
    return runs


def _calibrated(runs: list[Run], plan: RunPlan, load: float | None) -> bool:
    """Record the prepared run in each manifest and calibrate each run's ideals; False (said why) if one failed."""
    for run in runs:
        run.facts = dict(plan.facts)
        run.manifest.data.update(
            load_avg_1m_at_start=load, environment=run.facts, workloads=workloads_section(plan.workloads)
        )
        try:
            calibration = plan.calibrate(python=run.python)
        except CalibrationFailed as exc:
            for each in runs:
                each.manifest.finish("error", str(exc))
            print(f"error: {exc}; nothing was timed (see {run.manifest.path})", file=sys.stderr)
            return False
        calibrate.save(calibration, RunLayout(run.run_dir).calibration)
    return True


def run_sessions(runs: list[Run], model: str, process: int, cases: tuple[str, ...] | None = None) -> None:
    """Run process ``process`` of ``model`` for every run: one session, or a pair's two in lockstep.

    A pair's two sessions start together and take turns case by case
    (:mod:`bench.baton`), the side that goes first alternating with the process
    (:func:`pair_order`): case k under B runs a second or so from case k under A,
    so the machine's drift, which switches speed every 10-60 s here, lands on both.
    Ctrl-C (or SIGTERM) stops both. Raises KeyboardInterrupt when a session was
    interrupted.
    """
    if len(runs) == 1:
        runs[0].session(model, process, cases)
        return
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="cb-baton-") as directory:
        batons = baton.make(Path(directory))
        first, second = threading.Event(), threading.Event()
        sides = (
            PairSide(batons[baton.FIRST], mine=first, theirs=second),
            PairSide(batons[baton.SECOND], mine=second, theirs=first),
        )
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"pair {model}") as pool:
            futures = [
                pool.submit(run.session, model, process, cases, side, stop)
                for run, side in zip(pair_order(runs, process), sides, strict=True)
            ]
            try:
                while not all(f.done() for f in futures):
                    wait(futures, timeout=0.2)
            except KeyboardInterrupt:
                stop.set()
                wait(futures)
                raise
            for future in futures:
                future.result()


def pair_order(runs: list[Run], process: int) -> list[Run]:
    """The order a pair's two sessions of one process run in: A B for even processes, B A for odd.

    Counterbalanced (ABBA), as a crossover trial is: whatever favours the session
    that runs first or second (a cache the first one warms, a drift within the
    pair's seconds) lands on each side in turn and cancels over the pairs, instead
    of biasing every pair one way. One run is its own order.
    """
    return list(reversed(runs)) if process % 2 else list(runs)


def _measure(runs: list[Run], options: RunOptions, started: float) -> None:
    """Every model's sessions, round-robin; then more processes for the noisy cases (unless fixed)."""
    # Round-robin (A B C ... A B C ...): a drift of the machine spreads over every model.
    for process in range(runs[0].processes):
        for model in options.models:
            run_sessions(runs, model, process)
    if options.processes is None:
        from bench.adaptive import add_processes

        add_processes(runs, started)


def _finish(runs: list[Run], options: RunOptions) -> int:
    """Finish each manifest by its models' statuses, build the reports (and a pair's comparison)."""
    all_ok = True
    for run in runs:
        statuses = [b["status"] for b in run.manifest.data["backends"].values()]
        ok = all(s == "ok" for s in statuses)
        all_ok = all_ok and ok
        run.manifest.finish("complete" if ok else ("failed" if not any(s == "ok" for s in statuses) else "partial"))
    report_ok = all([build_report(run.run_dir) for run in runs]) if options.report else True
    if len(runs) > 1 and options.report:
        report_ok = compare_pair(runs[0].run_dir, runs[1].run_dir) and report_ok
    return 0 if all_ok and report_ok else 1


def _new_run(options: RunOptions, profile: Profile, python: str, processes: int, *, paired: bool) -> Run:
    """Make one run directory and its manifest for ``python``; a pair's directories name their interpreter."""
    interpreter = interpreter_facts() if python == sys.executable else interpreter_facts_of(python)
    tag = ".".join(str(interpreter.get("python_version", "")).split(".")[:2]) + (
        "t" if interpreter.get("free_threaded") else ""
    )
    run_dir = new_run_dir(options.results, machine_id(), f"{options.profile}-{tag}" if paired else options.profile)
    RunLayout(run_dir).logs.mkdir()
    manifest = Manifest(run_dir, options, interpreter)
    return Run(options, profile, run_dir, manifest, {}, processes, {b: [] for b in options.models}, python)


def interpreter_facts_of(python: str) -> dict[str, Any]:
    """``bench.machine.interpreter_facts()`` as ``python`` gives them (this checkout on its path)."""
    code = "import json; from bench.machine import interpreter_facts; print(json.dumps(interpreter_facts()))"
    done = subprocess.run([python, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    try:
        facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"python_executable": python}
    return facts


def compare_pair(first: Path, second: Path) -> bool:
    """Compare a pair's two runs, the first as baseline; say whether the comparison was written."""
    command = [sys.executable, "-m", "reports", "compare", str(first), str(second), "--baseline", str(first)]
    returncode = run_reports(command, "while the pair was compared; both runs are kept")
    if returncode != 0:
        print(f"the pair could not be compared (exit {returncode}); both runs are kept", file=sys.stderr)
    return returncode == 0


class ReportStopped(KeyboardInterrupt):
    """The report phase was stopped by a signal; the report's own process cleaned up, and it was said."""


def run_reports(command: list[str], stopped_note: str) -> int:
    """Run a ``python -m reports`` command; return its exit status, its errors passed on.

    A signal that stops this process meanwhile is passed on to the command's (which
    removes its half-built directory and ends); then one line, ending with
    ``stopped_note``, is printed and :class:`ReportStopped` raised, for the caller to
    exit 130 or 143. The command's own line about the signal is not repeated.
    """
    proc = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        _, err = proc.communicate()
    except KeyboardInterrupt:
        # From here the run only ends: a second signal must not cut the command's cleanup short.
        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_IGN)
        proc.send_signal(signal.SIGTERM if signal.SIGTERM in _received else signal.SIGINT)
        try:
            proc.communicate(timeout=REPORT_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print(f"{_stopped_by()[0]} {stopped_note}", file=sys.stderr)
        raise ReportStopped from None
    sys.stderr.write(err)
    return proc.returncode


def build_report(run_dir: Path) -> bool:
    """Build the run's report in a separate process; say whether it was built (a failure keeps the run).

    A signal meanwhile ends the run as :func:`run_reports` says.
    """
    command = [sys.executable, "-m", "reports", "build", str(run_dir)]
    returncode = run_reports(command, f"while the report was built; the run is kept in {run_dir}")
    if returncode == 0:
        print(f"charts: {run_dir / 'report'}/*.png")
        return True
    print(f"the report could not be built (exit {returncode}); the run is kept in {run_dir}", file=sys.stderr)
    return False


#: How long the report's process may take to clean up once told to stop.
REPORT_STOP_S = 30.0


def stopped(exc: KeyboardInterrupt) -> int:
    """The exit code of a run stopped by ``exc`` outside its sessions, saying why unless already said."""
    why, code = _stopped_by()
    if not isinstance(exc, ReportStopped):
        print(f"{why}; the run stopped", file=sys.stderr)
    return code
