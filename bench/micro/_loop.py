"""The shape of a micro-cost loop, its bounds, and the guard that nothing outlives it.

A loop factory sets a case up (pools, loops, partner tasks and child processes, all
outside the timed region), yields a :class:`Loop`, and tears everything down when
the ``with`` block ends, also after an error. Whoever times the loop (pytest through
:mod:`bench.micro.measure`, or ``python -m bench.bare_loops``) times only
``loop.round()`` and calls ``loop.check(answer)`` after it, untimed.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

import psutil

from workloads._base import WrongAnswer

if TYPE_CHECKING:
    from bench.micro import MicroCase

#: Longest wait for one thread or process to finish (a join) before the case fails.
JOIN_TIMEOUT_S = 30.0
#: Longest a whole round may take before the case fails (event loops, hubs).
ROUND_TIMEOUT_S = 120.0
#: How long a held task waits to be released before giving up by itself, so that
#: nothing it holds can outlive a parent that died without releasing it.
HOLD_TIMEOUT_S = 120.0


@dataclass
class Loop:
    """One micro-cost case, set up and ready to be timed.

    ``round()`` performs ``ops_per_round`` operations and returns the answer (a
    count, a checksum, or the held tasks for memory); it is the only thing timed.
    ``check(answer)`` runs after every round, untimed: it raises
    :class:`WrongAnswer` unless every operation happened and came out right, and
    for memory it also releases the held tasks. ``recorded`` holds figures the case
    measured besides time (``bytes_per_task``) and parameters of the model
    (``start_method``, ``pool_size``) for ``extra_info``.
    """

    round: Callable[[], Any]
    check: Callable[[Any], None]
    ops_per_round: int
    recorded: dict[str, Any] = field(default_factory=dict)


#: Sets up one case with ``ops`` operations per round; the context manager tears it down.
LoopFactory = Callable[["MicroCase", int], AbstractContextManager[Loop]]


def await_ready(ready: Any, n: int, what: str) -> None:
    """Wait until ``n`` held tasks have each released the semaphore ``ready`` once (each is up and about to wait).

    A TimeoutError names ``what`` (a thread, a child) when one is not up within
    :data:`JOIN_TIMEOUT_S`.
    """
    for _ in range(n):
        if not ready.acquire(timeout=JOIN_TIMEOUT_S):
            raise TimeoutError(f"memory: a {what} was not up within {JOIN_TIMEOUT_S:.0f} s")


def expect(got: Any, want: Any, what: str) -> None:
    """Raise :class:`WrongAnswer` unless ``got == want``; ``what`` says what was counted."""
    if got != want:
        raise WrongAnswer(f"{what}: got {got!r}, expected {want!r}")


def counted(want: int, what: str) -> Callable[[Any], None]:
    """A check that the round's answer is exactly ``want``."""

    def check(answer: Any) -> None:
        expect(answer, want, what)

    return check


def new_process(
    context: BaseContext, target: Callable[..., object], *args: Any, name: str | None = None, daemon: bool = True
) -> BaseProcess:
    """A child process of ``context``'s start method, not started yet.

    Daemon unless told otherwise, so that multiprocessing kills it at exit should
    every other cleanup fail (a daemon may not start children of its own).
    """
    # Typeshed's BaseContext lacks ``Process``, which every concrete context has.
    process: BaseProcess = context.Process(target=target, args=args, name=name, daemon=daemon)  # type: ignore[attr-defined]
    return process


def finish_process(proc: BaseProcess, timeout: float = JOIN_TIMEOUT_S) -> int:
    """Join ``proc`` within ``timeout`` (killing it if it overstays), release it, return its exit code.

    Raises ``TimeoutError`` when the process had to be killed.
    """
    proc.join(timeout)
    overstayed = proc.exitcode is None
    if overstayed:
        proc.kill()
        proc.join()
    code = proc.exitcode
    proc.close()
    if overstayed:
        raise TimeoutError(f"a child process did not finish within {timeout:.0f} s and was killed")
    assert code is not None
    return code


def kill_all(procs: list[BaseProcess]) -> None:
    """Kill and reap every process in ``procs`` that is still there (cleanup after an error)."""
    for proc in procs:
        try:
            if proc.is_alive():
                proc.kill()
            proc.join(JOIN_TIMEOUT_S)
            proc.close()
        except ValueError:
            pass  # already closed


_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _children() -> dict[int, psutil.Process]:
    """Live child processes of this one, except multiprocessing's own helper servers."""
    found: dict[int, psutil.Process] = {}
    for child in psutil.Process().children():
        try:
            command = " ".join(child.cmdline())
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.Error:
            continue
        if not any(helper in command for helper in _HELPERS):
            found[child.pid] = child
    return found


@contextmanager
def nothing_left_behind(what: str) -> Iterator[None]:
    """Fail the block if it leaves a thread or child process of its own running.

    Children it left are killed before the error is raised; threads cannot be, so
    they are only named. Checked only when the block itself succeeded, so a real
    error is never masked by this one.
    """
    threads_before = {thread.ident for thread in threading.enumerate()}
    children_before = set(_children())
    yield
    multiprocessing.active_children()  # reaps children that have exited
    threads = [t for t in threading.enumerate() if t.ident not in threads_before and t.is_alive()]
    children = [child for pid, child in _children().items() if pid not in children_before]
    for child in children:
        child.kill()
    if threads or children:
        raise RuntimeError(
            f"{what} left {len(threads)} thread(s) {[t.name for t in threads]} and "
            f"{len(children)} child process(es) {[c.pid for c in children]} behind; "
            "its loop must join every thread and process it starts"
        )
