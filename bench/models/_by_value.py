"""Send a task's code by value when a fresh interpreter could not import it (a user's workload file).

Models whose workers are fresh interpreters (a library's process pool, a cluster's
workers) pickle a task's function by reference: its module's name. A workload loaded
from a user's file lives under a name only this interpreter knows, so the worker
cannot unpickle it. :func:`send_by_value` registers such a module with cloudpickle,
which those libraries use, so its functions travel as code instead.
"""

from __future__ import annotations

import functools
import importlib.machinery
import sys
from typing import Any


@functools.cache
def _register(module_name: str) -> bool:
    if module_name not in sys.modules:
        return False
    if importlib.machinery.PathFinder.find_spec(module_name.partition(".")[0]) is not None:
        return False  # importable by name from sys.path: a worker imports it as well
    try:
        import cloudpickle
    except ImportError:
        return False
    cloudpickle.register_pickle_by_value(sys.modules[module_name])
    return True


def send_by_value(task: Any) -> bool:
    """Register ``task``'s module (a ``functools.partial``'s function's) to be pickled by value where needed.

    Returns whether it is sent by value. Checked once per module, so only the first
    round pays for the lookup.
    """
    function = getattr(task, "func", task)
    module_name = getattr(function, "__module__", None)
    return bool(module_name) and _register(str(module_name))


def packed(task: Any) -> bytes:
    """``task`` pickled with cloudpickle, its registered modules by value (see :func:`run_packed`)."""
    import cloudpickle

    return bytes(cloudpickle.dumps(task))


def run_packed(blob: bytes, i: int) -> Any:
    """Run task ``i`` of a task :func:`packed` in this process: for a library that pickles its own way."""
    import cloudpickle

    return cloudpickle.loads(blob)(i)
