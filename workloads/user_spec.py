"""The user's own workload: loaded from a file (``my_workload.py``) or ``module:attribute``.

A workload file defines ``WORKLOAD``, a :class:`workloads.Workload` with at least a
blocking form, a check and ``params`` for each profile; an async form, a generator
form, an ideal and a ``prepare`` step are optional. ``module:attribute`` names the
object instead. Every session is a fresh interpreter, so the runner hands each one
the spec (the file's absolute path, or the ``module:attribute`` text) and the
session loads it again: :func:`register` puts it into :data:`workloads.WORKLOADS`.

Whatever goes wrong while loading (the file is missing, fails to import, or lacks
the protocol) raises :class:`BadWorkloadSpec`, one line naming the file and what is
missing; the command line turns it into exit code 2 before anything is timed.

The command line first loads the spec in a fresh interpreter (:func:`check_in_child`,
which runs ``python -m workloads.user_spec SPEC``) under a time-out: a file that calls
``sys.exit`` or ``os._exit``, raises ``KeyboardInterrupt`` or blocks while it is
imported is refused the same way, and costs the command line nothing. Loading also
checks how the forms can be called: a task is called ``task(i, params=...)``, so its
second parameter must be named ``params``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from workloads.protocol import Workload

#: The profiles a user workload gives parameters for.
PROFILE_NAMES = ("smoke", "quick", "full")
_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: How long a workload may take to import in :func:`check_in_child` (a file importing a
#: large library takes seconds; one that waits for input or a lock never ends).
IMPORT_TIMEOUT_S = 30.0
#: The line by which the checking interpreter reports, after anything the file printed.
_VERDICT = "workload-check: "
_ROOT = Path(__file__).resolve().parent.parent


class BadWorkloadSpec(ValueError):
    """A workload file or ``module:attribute`` that cannot be used; the message names it."""


def is_spec(text: str) -> bool:
    """Whether ``text`` names a user workload (a ``.py`` path or ``module:attribute``), not a built-in name."""
    return text.endswith(".py") or ":" in text or "/" in text


def absolute(spec: str) -> str:
    """The spec as a session in another directory can load it: a file's absolute path."""
    return str(Path(spec).expanduser().resolve()) if not _is_module_spec(spec) else spec


def _is_module_spec(spec: str) -> bool:
    return ":" in spec and not spec.endswith(".py")


def _module_name(path: Path) -> str:
    # A stable name in sys.modules, so a forked process pool can unpickle its functions.
    return "user_workload_" + re.sub(r"\W", "_", path.stem)


def _import_file(path: Path) -> object:
    if not path.is_file():
        raise BadWorkloadSpec(f"workload file {path}: no such file")
    name = _module_name(path)
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise BadWorkloadSpec(f"workload file {path}: not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # any error in the user's file is reported, not raised
        del sys.modules[name]
        raise BadWorkloadSpec(f"workload file {path} failed to import: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, "WORKLOAD"):
        raise BadWorkloadSpec(f"workload file {path} defines no WORKLOAD (a workloads.Workload)")
    return module.WORKLOAD


def _import_attribute(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any error in the user's module is reported, not raised
        raise BadWorkloadSpec(
            f"workload {spec}: module {module_name} failed to import: {type(exc).__name__}: {exc}"
        ) from None
    if not hasattr(module, attribute):
        raise BadWorkloadSpec(f"workload {spec}: module {module_name} has no attribute {attribute!r}")
    return getattr(module, attribute)


def load_spec(spec: str, reserved: Mapping[str, object] | None = None) -> Workload:
    """Load and validate the workload ``spec`` names; raise :class:`BadWorkloadSpec` naming what is wrong.

    ``reserved`` holds the names already taken (the built-in workloads and micro-costs).
    """
    where = f"workload {spec}" if _is_module_spec(spec) else f"workload file {spec}"
    found = _import_attribute(spec) if _is_module_spec(spec) else _import_file(Path(spec).expanduser().resolve())
    if not isinstance(found, Workload):
        raise BadWorkloadSpec(f"{where}: WORKLOAD is a {type(found).__name__}, not a workloads.Workload")
    if not _VALID_NAME.match(found.name):
        raise BadWorkloadSpec(f"{where}: name {found.name!r} is not an identifier (letters, digits, _)")
    if reserved is not None and found.name in reserved:
        raise BadWorkloadSpec(
            f"{where}: name {found.name!r} is taken (by a built-in workload or micro-cost, or another file given); "
            "valid: any other identifier"
        )
    if not callable(found.blocking) or not callable(found.check):
        raise BadWorkloadSpec(f"{where}: needs a callable blocking form and a callable check")
    for form in ("blocking", "coroutine", "generator"):
        problem = _call_problem(getattr(found, form), (0,), {"params": {}})
        if problem:
            raise BadWorkloadSpec(
                f"{where}: its {form} form {problem}, but tasks are called task(i, params=...): "
                "its second parameter must be named params (def task(i, params))"
            )
    problem = _call_problem(found.check, ([], 0, {}), {})
    if problem:
        raise BadWorkloadSpec(f"{where}: its check {problem}, but it is called check(results, n_tasks, params)")
    missing = [p for p in PROFILE_NAMES if not isinstance((found.params or {}).get(p), Mapping)]
    if missing:
        raise BadWorkloadSpec(
            f"{where}: params has no parameters for profile {', '.join(missing)}; "
            f"give a dict per profile: {', '.join(PROFILE_NAMES)}"
        )
    return found


def register(spec: str, registry: MutableMapping[str, Workload], reserved: Mapping[str, object] | None = None) -> str:
    """Load ``spec`` into ``registry`` under its workload's name; return the name."""
    workload = load_spec(spec, reserved)
    registry[workload.name] = workload
    return workload.name


def _call_problem(function: Callable[..., Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """How ``function`` cannot be called with ``args`` and ``kwargs``, as ``name(signature)``; None if it can.

    A callable whose signature cannot be read (some built-ins) is taken as callable.
    """
    if function is None:
        return None
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return f"{getattr(function, '__name__', 'it')}{signature} cannot be called so"
    return None


def _where(spec: str) -> str:
    return f"workload {spec}" if _is_module_spec(spec) else f"workload file {Path(spec).expanduser().resolve()}"


def check_in_child(spec: str, timeout_s: float = IMPORT_TIMEOUT_S) -> None:
    """Load ``spec`` in a fresh interpreter first; raise :class:`BadWorkloadSpec` if that does not end well.

    The interpreter runs where this process stands (a ``module:attribute`` resolves
    the same), in a session of its own, killed with whatever it started once
    ``timeout_s`` passes. Its end is the verdict: a refusal names what is wrong, an
    exit before the verdict (``os._exit``) or a time-out is named as such. Ctrl-C
    here ends the check and is raised again.
    """
    paths = [str(_ROOT), os.getcwd(), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workloads.user_spec", spec],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise BadWorkloadSpec(
            f"{_where(spec)}: still loading after {timeout_s:g} s (does it wait for input, a lock or the network "
            "when imported?); a workload file must only define its workload when imported"
        ) from None
    verdicts = [line[len(_VERDICT) :] for line in out.splitlines() if line.startswith(_VERDICT)]
    if verdicts and verdicts[-1] == "ok" and proc.returncode == 0:
        return
    if verdicts and verdicts[-1] != "ok":
        raise BadWorkloadSpec(verdicts[-1])
    raise BadWorkloadSpec(
        f"{_where(spec)}: ended its interpreter with exit status {proc.returncode} while loading (os._exit, or "
        "a signal); a workload file must only define its workload when imported"
    )


def main(argv: list[str]) -> int:
    """``python -m workloads.user_spec SPEC``: load SPEC and print the verdict line (see :func:`check_in_child`)."""
    (spec,) = argv
    sys.path.insert(0, os.getcwd())
    try:
        load_spec(spec)
    except BadWorkloadSpec as exc:
        verdict = str(exc)
    except SystemExit as exc:
        verdict = f"{_where(spec)} called sys.exit({exc.code!r}) while loading; a workload file must not exit"
    except KeyboardInterrupt:
        verdict = f"{_where(spec)} raised KeyboardInterrupt while loading; a workload file must not raise it"
    else:
        verdict = "ok"
    print(f"{_VERDICT}{' '.join(verdict.split())}", flush=True)
    return 0 if verdict == "ok" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
