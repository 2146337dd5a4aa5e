"""One session of one model and process index, restarted until every case has an outcome.

A user's task may kill its session (``os._exit``, a signal), hang it where no case
time-out can reach (a C call, a hub that swallows the alarm) or leave a thread that
cannot be stopped. None of that may cost a case that is not its own, so the runner
watches each session as pytest-xdist watches its workers:

- **A watchdog.** The session rewrites its outcomes file at every phase of every
  case (:class:`bench.outcomes.OutcomeRecorder`). When nothing has been written for
  the case time-out plus :func:`grace_s`, the case time-out did not fire, and the
  session's process group is stopped. The profile's session time-out still bounds
  each session as a whole.
- **Blame.** A case that was running when its session died or was stopped is failed
  with the reason (the exit code, the signal, the time-out); cases already over
  keep their outcomes, and their figures, written as each case ended
  (:mod:`bench.case_saving`), stay on disk.
- **Restart.** A fresh session then runs the cases left (the description's
  ``cases``), appending to the same log, outcomes and JSON files. A session that
  ends itself to be recycled (a thread it could not stop, exit code
  :data:`~bench.case_guard.RECYCLE_EXIT`) is restarted the same way. Every restart
  follows progress (a case ended or was blamed), so a session that cannot even
  start is not retried for ever, and :data:`MAX_RESTARTS` bounds the rest.
- **Nothing outlives it.** After each session its whole process group is killed:
  whatever a task started and left behind ends with the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.atomic import NotWritable, write_text_atomic
from bench.case_guard import RECYCLE_EXIT

#: pytest's exit codes that still mean "the session ran".
PYTEST_OK, PYTEST_TESTS_FAILED, PYTEST_NO_TESTS = 0, 1, 5
#: How long a session may take to reach its first case (start, imports, collection).
STARTUP_S = 120.0
#: The most fresh sessions one model and process index may get after its first.
MAX_RESTARTS = 25
#: Outcomes that mean a case is over, whatever its result.
FINISHED = frozenset({"passed", "failed", "error", "skipped"})
#: How often the runner looks at a session.
POLL_S = 0.1


def grace_s(case_timeout_s: float) -> float:
    """How long past the case time-out a silent session is given before it is stopped.

    Room for what follows a time-out that fired: the stacks pytest-timeout prints,
    a pool's workers ended, the case's leftovers looked for.
    """
    return max(10.0, min(30.0, 0.5 * case_timeout_s))


@dataclass
class Attempt:
    """One session process: how it ended, how long it took, and the case it was blamed on."""

    status: str
    returncode: int | None
    duration_s: float
    blamed: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The attempt as ``run.json``'s ``sessions[].attempts[]`` records it."""
        return {
            "status": self.status,
            "returncode": self.returncode,
            "duration_s": round(self.duration_s, 3),
            "blamed": self.blamed,
            "reason": self.reason,
        }


@dataclass
class SupervisedSession:
    """Every attempt of one session, and the status they add up to."""

    status: str
    returncode: int | None
    duration_s: float
    attempts: list[Attempt] = field(default_factory=list)


def stop_group(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """Interrupt a session's process group (pytest then saves), kill it if it lingers."""
    for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def kill_group(pgid: int) -> None:
    """Kill whatever is left of the process group ``pgid`` (a session's, once it has ended)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def read_outcomes(path: Path) -> list[dict[str, Any]]:
    """The cases of an outcomes file; empty while there is none."""
    try:
        cases = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return cases if isinstance(cases, list) else []


def _death(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"its session was killed by {name} during this case"
    return f"its session exited with code {returncode} during this case (did the task call os._exit or sys.exit?)"


def _run_once(
    command: list[str],
    cwd: Path,
    log: IO[bytes],
    outcomes: Path,
    case_timeout_s: float,
    session_timeout_s: float,
    stop: threading.Event | None = None,
) -> tuple[Attempt, str | None]:
    """Run one session process under the watchdog; return its attempt and, when it was stopped, why.

    ``stop``, set by another thread (the runner's, on Ctrl-C, while this one watches a
    session of a pair), stops the session as Ctrl-C would.
    """
    start = time.monotonic()
    started_wall = time.time()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    stopped: str | None = None
    status = ""
    try:
        while True:
            try:
                proc.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            now = time.monotonic()
            try:
                written = outcomes.stat().st_mtime
            except OSError:
                written = 0.0
            if written >= started_wall:
                silent_s, allowed_s = time.time() - written, case_timeout_s + grace_s(case_timeout_s)
            else:
                silent_s, allowed_s = now - start, STARTUP_S + case_timeout_s
            if now - start > session_timeout_s:
                stopped = f"timed out: its session ran past its time-out of {session_timeout_s:.0f} s"
            elif case_timeout_s and silent_s > allowed_s:
                stopped = (
                    f"timed out: no progress for {silent_s:.0f} s, past its time-out of {case_timeout_s:g} s "
                    "(which did not fire); its session was stopped"
                )
            if stopped:
                status = "timeout"
                stop_group(proc, grace_s=2.0)
                break
    except KeyboardInterrupt:
        stop_group(proc, grace_s=5.0)
        status = "interrupted"
    finally:
        kill_group(proc.pid)
        proc.wait()
    returncode = proc.returncode
    if not status:
        if returncode in (PYTEST_OK, PYTEST_NO_TESTS):
            status = "ok"
        elif returncode == PYTEST_TESTS_FAILED:
            status = "failed"
        elif returncode == RECYCLE_EXIT:
            status = "recycled"
        else:
            status = "crashed"
    return Attempt(status, returncode, time.monotonic() - start), stopped


def _settle(cases: list[dict[str, Any]], attempt: Attempt, stopped: str | None) -> None:
    """Fail the case that was running when the session ended (or, interrupted, leave it not run)."""
    for case in cases:
        if case.get("outcome") != "running":
            continue
        if attempt.status == "interrupted":
            case.update(outcome="not run", reason=None)
            continue
        reason = stopped or _death(attempt.returncode)
        case.update(outcome="failed", reason=reason)
        attempt.blamed, attempt.reason = str(case.get("id")), reason


def supervise(
    command_for: Callable[[tuple[str, ...] | None], list[str]],
    cwd: Path,
    log_path: Path,
    outcomes: Path,
    case_timeout_s: float,
    session_timeout_s: float,
    max_restarts: int = MAX_RESTARTS,
    stop: threading.Event | None = None,
) -> SupervisedSession:
    """Run a session (``command_for(None)``), then fresh ones for its remaining cases, until none is left.

    ``command_for(cases)`` writes the session's description restricted to ``cases``
    and returns its command line. On Ctrl-C (KeyboardInterrupt), or when ``stop``
    is set, the session is stopped and the status is ``interrupted``, with no restart.
    """
    attempts: list[Attempt] = []
    cases: list[dict[str, Any]] = []
    restrict: tuple[str, ...] | None = None
    try:
        log = log_path.open("wb")
    except OSError as exc:
        raise NotWritable(f"cannot write {log_path}: {exc.strerror or exc}") from None
    with log:
        while True:
            finished_before = sum(1 for c in cases if c.get("outcome") in FINISHED)
            attempt, stopped = _run_once(
                command_for(restrict), cwd, log, outcomes, case_timeout_s, session_timeout_s, stop
            )
            attempts.append(attempt)
            cases = read_outcomes(outcomes)
            _settle(cases, attempt, stopped)
            if cases:
                try:
                    write_text_atomic(outcomes, json.dumps(cases, indent=1))
                except OSError as exc:
                    raise NotWritable(f"cannot write {outcomes}: {exc.strerror or exc}") from None
            if attempt.status == "interrupted":
                break
            remaining = tuple(str(c["id"]) for c in cases if c.get("outcome") == "not run")
            progressed = sum(1 for c in cases if c.get("outcome") in FINISHED) > finished_before
            if not remaining or not progressed or len(attempts) > max_restarts:
                break
            why = attempt.reason or stopped or f"it ended with status {attempt.status}"
            with contextlib.suppress(OSError):  # a full disk: the restart still runs, its outcomes tell
                log.write(f"\n=== a fresh session for the {len(remaining)} remaining cases ({why}) ===\n\n".encode())
                log.flush()
            restrict = remaining
    elapsed = sum(a.duration_s for a in attempts)
    return SupervisedSession(_status(attempts, cases), attempts[-1].returncode, elapsed, attempts)


def _status(attempts: list[Attempt], cases: list[dict[str, Any]]) -> str:
    """What the session's attempts add up to.

    Interrupted wins. Cases left not run keep the status of the attempt that left
    them (a crash, a time-out). Otherwise every case has its outcome: ``failed``
    when one failed, ``ok`` when none did, unless the last attempt crashed in a way
    no case was blamed for.
    """
    last = attempts[-1]
    if last.status == "interrupted":
        return "interrupted"
    if any(c.get("outcome") == "not run" for c in cases):
        return "failed" if last.status in ("ok", "recycled") else last.status
    if any(c.get("outcome") in ("failed", "error") for c in cases):
        return "failed"
    if last.status in ("crashed", "timeout") and last.blamed is None:
        return last.status
    return "ok"
