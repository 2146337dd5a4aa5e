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
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from workloads._base import Workload

#: The profiles a user workload gives parameters for.
PROFILE_NAMES = ("smoke", "quick", "full")
_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
    missing = [p for p in PROFILE_NAMES if not isinstance((found.params or {}).get(p), Mapping)]
    if missing:
        raise BadWorkloadSpec(
            f"{where}: params has no parameters for profile {', '.join(missing)}; "
            f"give a dict per profile: {', '.join(PROFILE_NAMES)}"
        )
    return found


def register(spec: str, registry: dict[str, Workload], reserved: Mapping[str, object] | None = None) -> str:
    """Load ``spec`` into ``registry`` under its workload's name; return the name."""
    workload = load_spec(spec, reserved)
    registry[workload.name] = workload
    return workload.name
