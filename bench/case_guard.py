"""Nothing a case starts outlives it, and a task's interrupt fails only its own case.

A user's task may be buggy in ways no model guards against. :class:`CaseGuard`,
a pytest plugin of every session, looks after each case's call:

- **Processes.** Before the call it notes the session's processes: its
  descendants and the members of the process group it leads (a grandchild whose
  parent has exited is re-parented away, but stays in the group). After the call,
  any process that was not there before and is still alive
  :data:`PROCESS_GRACE_S` later is ended (SIGKILL), recorded in the case's
  ``leaked`` list, and fails the case: rule 8, no child process outlives its case.
  multiprocessing's and loky's helper processes (resource trackers, the
  forkserver), which live as long as the interpreter by design, are not counted.
- **Threads.** A thread the call started that is still alive
  :data:`THREAD_GRACE_S` later cannot be stopped from outside: one that is not a
  daemon, or, after a case that failed (a time-out), any. It is recorded in
  ``leaked``, the case keeps its outcome, and the session ends itself after the
  case (exit code :data:`RECYCLE_EXIT`): the runner starts a fresh session for the
  remaining cases, so the thread can neither skew their figures nor hold the
  session open at exit.

A ``KeyboardInterrupt`` or ``SystemExit`` raised by a task (in any model: the main
thread, a thread, a pool worker, an event loop, or the model's teardown that runs
the task's siblings) becomes :class:`TaskInterrupted`, an ordinary failure of that
case (:func:`as_case_failure`), and the session is recycled after it: the model's
loop, hub or pool may be left broken. A real interrupt (a signal sent to the
session) is told apart by :func:`mark_real_interrupts`'s handler, and still stops
the session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

#: How long a process the case started may take to exit after the call, before it is ended.
PROCESS_GRACE_S = 0.5
#: How long a thread the case started may take to finish after the call.
THREAD_GRACE_S = 1.0
#: The exit code of a session that ended itself early so that the runner restarts it.
RECYCLE_EXIT = 75
#: Command-line fragments of helper processes that live as long as their interpreter by design.
HELPER_MARKERS = ("resource_tracker", "forkserver", "semaphore_tracker")

#: The real interrupts (signal numbers) this process has received, as its handler saw them.
_real_interrupts: list[int] = []
#: Whether :func:`mark_real_interrupts` installed its handler in this process.
_marking: list[bool] = []


class TaskInterrupted(RuntimeError):
    """A task raised ``KeyboardInterrupt`` or ``SystemExit``: its case fails, the session goes on."""


def mark_real_interrupts() -> None:
    """Install a SIGINT handler that notes a real interrupt, then raises ``KeyboardInterrupt`` as usual.

    Call it from the main thread. Without it, every ``KeyboardInterrupt`` counts as
    real and stops the session.
    """

    def interrupted(signum: int, frame: object) -> None:
        _real_interrupts.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    _marking.append(True)


def as_case_failure(exc: BaseException) -> BaseException:
    """What a ``KeyboardInterrupt`` or ``SystemExit`` out of a case's call becomes: :class:`TaskInterrupted`.

    A real interrupt (a signal this process received, seen by the handler of
    :func:`mark_real_interrupts`) is returned as it is, and stops the session.
    """
    if _real_interrupts or not _marking or not isinstance(exc, KeyboardInterrupt | SystemExit):
        return exc
    detail = f" ({exc})" if str(exc) else ""
    return TaskInterrupted(f"a task raised {type(exc).__name__}{detail}; only its case fails")


# -- processes ------------------------------------------------------------------------


def session_processes() -> dict[int, psutil.Process]:
    """This process's descendants and the other members of the process group it leads, by pid."""
    me = psutil.Process()
    found: dict[int, psutil.Process] = {}
    with contextlib.suppress(psutil.Error):
        found.update((child.pid, child) for child in me.children(recursive=True))
    group = os.getpgrp()
    if group == me.pid:
        for pid in psutil.pids():
            if pid == me.pid or pid in found:
                continue
            try:
                if os.getpgid(pid) == group:
                    found[pid] = psutil.Process(pid)
            except (OSError, psutil.Error):
                continue
    return found


def _alive_and_ours(proc: psutil.Process) -> bool:
    try:
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        command = " ".join(proc.cmdline())
    except psutil.Error:
        return False
    return not any(marker in command for marker in HELPER_MARKERS)


def _describe(proc: psutil.Process) -> str:
    try:
        command = " ".join(proc.cmdline())[:60] or proc.name()
    except psutil.Error:
        command = "?"
    return f"process {proc.pid} ({command})"


def end_new_processes(before: set[int], grace_s: float = PROCESS_GRACE_S) -> list[str]:
    """End the session's processes not in ``before`` that outlive ``grace_s``; describe each one ended."""
    deadline = time.monotonic() + grace_s
    while True:
        new = [p for pid, p in session_processes().items() if pid not in before and _alive_and_ours(p)]
        if not new or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    ended = []
    for proc in new:
        ended.append(_describe(proc) + " was still running after its case; ended")
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(new, timeout=2.0)
    return ended


# -- threads --------------------------------------------------------------------------


def _os_threads() -> set[int]:
    """The native ids of this process's threads, as the OS sees them."""
    try:
        return {t.id for t in psutil.Process().threads()}
    except psutil.Error:
        return set()


def _running(thread: threading.Thread) -> bool:
    # A join interrupted by an exception (a time-out) can leave a thread that still
    # runs marked as stopped (bpo-45274's fix): the OS has the last word.
    return thread.is_alive() or (thread.native_id is not None and thread.native_id in _os_threads())


def new_threads(before: set[int], grace_s: float = THREAD_GRACE_S, *, daemons: bool = True) -> list[threading.Thread]:
    """Threads not in ``before`` (by ident) still running after waiting up to ``grace_s`` for them.

    With ``daemons`` false, daemon threads are neither waited for nor returned: a
    library's idle pool thread would otherwise cost every case the whole grace.
    """
    deadline = time.monotonic() + grace_s
    while True:
        left = [t for t in threading.enumerate() if t.ident not in before and (daemons or not t.daemon) and _running(t)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


class CaseGuard:
    """A pytest plugin: after each case's call, end what it left running, and recycle the session for a thread."""

    def __init__(self) -> None:
        #: Why the session ends itself after the current case (None: it goes on).
        self.recycle: str | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        processes = set(session_processes())
        threads = {t.ident for t in threading.enumerate() if t.ident is not None}
        try:
            result = yield
        except BaseException as exc:
            failure = as_case_failure(exc)
            if failure is not exc:
                # The model's loop, hub or pool may be left broken: a fresh session for the rest.
                self._recycle(item, f"a task of {item.name} raised {type(exc).__name__}")
            self._after(item, processes, threads, failed=True)
            if failure is exc:
                raise
            raise failure from exc
        ended = self._after(item, processes, threads, failed=False)
        if ended:
            raise RuntimeError("the case left processes running: " + "; ".join(ended))
        return result

    def _after(self, item: pytest.Item, processes: set[int], threads: set[int], failed: bool) -> list[str]:
        ended = end_new_processes(processes)
        # After a case that passed, only a thread that is not a daemon counts: libraries
        # keep idle daemon threads in pools of their own (an offload thread), and
        # only a thread that is not a daemon holds the interpreter's exit. After a
        # failure (a time-out), any thread left may be a task still running.
        alive = new_threads(threads, daemons=failed)
        leaked = list(ended)
        if alive:
            names = ", ".join(f"{t.name!r}{'' if t.daemon else ' (not a daemon)'}" for t in alive)
            leaked.append(f"left {len(alive)} thread(s) running after its case: {names}")
            self._recycle(item, f"a thread of {item.name} cannot be stopped")
        if leaked:
            item.user_properties.append(("leaked", leaked))
        return ended

    def _recycle(self, item: pytest.Item, why: str) -> None:
        self.recycle = f"{why}; a fresh session runs the remaining cases"
        item.session.shouldstop = self.recycle

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.recycle is not None:
            session.exitstatus = RECYCLE_EXIT
