"""Workload files whose task is broken on purpose: it hangs, interrupts, exits or leaks.

:func:`write_broken` writes one into a directory, for a run's ``--workloads``. The
task's body runs in every form (blocking, and a coroutine that calls it), so every
model meets the same fault; a task that survives returns its index, which the
check requires.
"""

from __future__ import annotations

from pathlib import Path

#: Task bodies by workload name: each is the body of ``task(i, params)``.
BODIES = {
    "hang": "time.sleep(100000)",
    "kbint": "raise KeyboardInterrupt('from the task')",
    "sysexit": "sys.exit(7)",
    "osexit": "os._exit(3)",
    # Exits only under the interpreter of an interleaved pair's B side (the tests' wrapper sets it).
    "osexit_in_b": "if os.environ.get('CB_TEST_SIDE') == 'B':\n        os._exit(3)",
    "grandchild": "if os.fork() == 0:\n        time.sleep(300)\n        os._exit(0)",
    "thread_leak": "threading.Thread(target=time.sleep, args=(300,), daemon=False).start() if i == 0 else None",
    "nan_ideal": "pass",
    "pausing": "time.sleep(params['pause_s'])",
}
#: Parameters by workload name (a tuple is a grid axis: a case per value); ``{}`` otherwise.
PARAMS = {"pausing": "{'pause_s': (0.0, 60.0)}"}

TEMPLATE = '''"""A broken workload ({name}), written by the tests."""
import math
import os
import sys
import threading
import time

from workloads import Workload, WrongAnswer


def task(i, params):
    {body}
    return i


async def task_async(i, params):
    return task(i, params)


def check(results, n_tasks, params):
    if list(results) != list(range(n_tasks)):
        raise WrongAnswer(f"{name}: got {{results!r}}")


def ideal_s(n_tasks, params, calibration):
    return {ideal}


WORKLOAD = Workload(
    name="{name}",
    summary="a broken task: {name}",
    blocking=task,
    coroutine=task_async,
    check=check,
    ideal_s=ideal_s,
    params={{"smoke": {params}, "quick": {params}, "full": {params}}},
)
'''


def write_broken(directory: Path, name: str) -> Path:
    """Write the broken workload ``name`` (a key of :data:`BODIES`) as ``directory/NAME.py``; return its path."""
    path = directory / f"{name}.py"
    ideal = "math.nan" if name == "nan_ideal" else "None"
    params = PARAMS.get(name, "{}")
    path.write_text(TEMPLATE.format(name=name, body=BODIES[name], ideal=ideal, params=params))
    return path
