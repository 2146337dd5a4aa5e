"""Send a task to another interpreter by importable reference: its module and function name.

A subinterpreter shares no objects with the one that made it: a task reaches it
pickled, and pickle sends a function as its module and qualified name, which the
subinterpreter imports. When that import fails inside ``InterpreterPoolExecutor``'s
own unpickling, the executor never hears of it: its worker waits for a result that
will not come, at full CPU, for ever (seen with a function defined in ``__main__``).

So nothing the executor unpickles can fail. :func:`reference` checks in this
interpreter that a task can be named (not ``__main__``, not a local function or a
lambda) and packs its module, name, source file and arguments into bytes;
:func:`call_by_reference`, which is what the executor is given, imports the task's
module inside the subinterpreter, calls it and returns the result pickled. Every
error there, an import that fails included, is raised from inside the call, where the
executor catches it and fails the task with it.

Standard library only: this module is imported into every subinterpreter, where an
extension module without support for several interpreters (psutil) cannot load.
"""

from __future__ import annotations

import importlib
import importlib.util
import pickle
import sys
from typing import Any


class NotImportable(ValueError):
    """A task that a subinterpreter could not import; the message names why."""


def reference(task: Any) -> bytes:
    """``task`` (a function, or a ``functools.partial`` of one) as bytes :func:`call_by_reference` runs.

    Raises :class:`NotImportable`, naming the cause, for a function another
    interpreter cannot import by name: one defined in ``__main__``, inside another
    function, or a lambda.
    """
    function = getattr(task, "func", task)
    args = tuple(getattr(task, "args", ()))
    kwargs = dict(getattr(task, "keywords", None) or {})
    module_name = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    what = f"{module_name}.{qualname}"
    if not module_name or not qualname:
        raise NotImportable(f"task {task!r} has no module and name to be imported by in a subinterpreter")
    if module_name == "__main__":
        raise NotImportable(
            f"task {what} is defined in __main__, which a subinterpreter does not share; define it in a module"
        )
    if "<" in qualname:
        raise NotImportable(
            f"task {what} is a local function or a lambda, which a subinterpreter cannot import by name; "
            "define it at the top level of a module"
        )
    module = sys.modules.get(module_name)
    source = getattr(module, "__file__", None)
    try:
        arguments = pickle.dumps((args, kwargs))
    except Exception as exc:  # any object pickle refuses
        raise NotImportable(f"task {what}: its arguments cannot be pickled: {type(exc).__name__}: {exc}") from None
    return pickle.dumps((module_name, qualname, source, arguments))


def one(i: int) -> int:
    """A task that does nothing; its 1 says that task ``i`` ran (a pool's warm-up, the spawn micro-cost)."""
    return 1


def _import(module_name: str, source: str | None) -> Any:
    """The task's module in this interpreter: imported by name, else loaded from its file (a user's workload)."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name or not source:
            raise
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {module_name!r} and {source} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def call_by_reference(packed: bytes, i: int) -> bytes:
    """Run task ``i`` of a task :func:`reference` packed; return its result pickled.

    Runs inside the subinterpreter. An import that fails raises ``ImportError``
    naming the task and the cause; an exception of the task that cannot be pickled
    back is raised as a ``RuntimeError`` with its type and message.
    """
    module_name, qualname, source, arguments = pickle.loads(packed)
    try:
        found = _import(module_name, source)
        for part in qualname.split("."):
            found = getattr(found, part)
        args, kwargs = pickle.loads(arguments)
    except Exception as exc:  # any failure to import the task is the case's reason
        raise ImportError(
            f"task {module_name}.{qualname} cannot be imported in a subinterpreter: {type(exc).__name__}: {exc}"
        ) from None
    try:
        return pickle.dumps(found(*args, i, **kwargs))
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise RuntimeError(f"task {module_name}.{qualname} raised {type(exc).__name__}: {exc}") from None
        raise
