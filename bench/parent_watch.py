"""A watchdog for child processes that must not outlive the process that started them.

The check is the same everywhere, and lives with the workloads (their local HTTP
server needs it too, :mod:`workloads._process`): poll ``os.getppid()`` every
:data:`POLL_S` seconds; once it differs from the parent's pid, the parent is gone
(its children are re-parented). The local HTTP server polls from its event loop; a
benchmark session polls from a real OS thread (:func:`watch_in_thread`), which keeps running
while the main thread is busy in a case, also under gevent's monkey-patching.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from workloads._process import POLL_S, parent_gone

__all__ = ["POLL_S", "parent_gone", "real_sleep", "watch_in_thread"]


def _real_thread_and_sleep() -> tuple[Callable[..., Any], Callable[[float], None]]:
    # Under gevent, threading and time.sleep are patched into greenlets, which run
    # only when the main thread yields; the watchdog needs the originals.
    if "gevent.monkey" in sys.modules:
        from gevent import monkey

        return monkey.get_original("_thread", "start_new_thread"), monkey.get_original("time", "sleep")
    import _thread

    return _thread.start_new_thread, time.sleep


def real_sleep(seconds: float) -> None:
    """Sleep this OS thread (``time.sleep`` as it was before any gevent patching)."""
    _real_thread_and_sleep()[1](seconds)


def watch_in_thread(parent: int, on_gone: Callable[[], None], poll_s: float = POLL_S) -> None:
    """Call ``on_gone()`` once, from a real OS thread, when ``parent`` has ended.

    Returns at once; the thread ends with the process or after ``on_gone`` returns.
    """
    start_thread, sleep = _real_thread_and_sleep()

    def loop() -> None:
        while not parent_gone(parent):
            sleep(poll_s)
        on_gone()

    start_thread(loop, ())
