"""Another Python interpreter, asked what it is and whether it can run this checkout.

``python -m bench --python PATH`` runs a whole run (calibration, every session, the
report) under PATH, from this checkout: the interpreter is an axis of the results.
PATH must be a Python 3.10+ that has the project's dependencies (a venv made with
it); :func:`probe` asks it, in a subprocess, before anything is created.

Standard library only: ``python -m bench.python_matrix`` imports this module with whatever
``python3`` is on the machine, before any venv exists.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The oldest Python the project supports (``requires-python`` in pyproject.toml).
MINIMUM = (3, 10)
PROJECT = "concurrency-bench"

#: Printed by the probed interpreter as one JSON object: what it is, which of the
#: distributions named in argv it lacks.
_PROBE = """
import json, platform, sys, sysconfig
from importlib import metadata
missing = []
for name in sys.argv[1:]:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        missing.append(name)
print(json.dumps({
    "implementation": platform.python_implementation(),
    "version": platform.python_version(),
    "version_info": list(sys.version_info[:2]),
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "executable": sys.executable,
    "missing": missing,
}))
"""


@dataclass(frozen=True)
class Interpreter:
    """What a probed interpreter said about itself."""

    path: str
    implementation: str
    version: str
    version_info: tuple[int, int]
    free_threaded: bool
    missing: list[str] = field(default_factory=list)

    @property
    def tag(self) -> str:
        """Its minor version as venvs are named: ``3.12``, ``3.13t`` for a free-threaded build."""
        return f"{self.version_info[0]}.{self.version_info[1]}" + ("t" if self.free_threaded else "")

    @property
    def name(self) -> str:
        """As labels show it: ``CPython 3.13.0 free-threaded``."""
        return f"{self.implementation} {self.version}" + (" free-threaded" if self.free_threaded else "")


class InterpreterError(Exception):
    """The interpreter given cannot run this checkout; the message names why and the fix."""


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0]


def required_distributions() -> list[str]:
    """The distributions the project needs at run time (platform-conditional ones left out).

    Read from the installed project's metadata, else from pyproject.toml.
    """
    try:
        requirements = metadata.requires(PROJECT) or []
    except metadata.PackageNotFoundError:
        text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
        block = re.search(r"^dependencies\s*=\s*\[(.*?)^\]", text, re.S | re.M)
        requirements = re.findall(r'"([^"]+)"', block.group(1)) if block else []
    # A marker (extras, platforms) makes a requirement optional here: uvloop is skipped where it is missing.
    return [_requirement_name(r) for r in requirements if ";" not in r]


def probe(path: str, distributions: list[str] | None = None, timeout_s: float = 60.0) -> Interpreter:
    """Run ``path`` once and return what it is and which of ``distributions`` it lacks.

    Raises :class:`InterpreterError` when ``path`` is not an executable Python.
    """
    if not os.access(path, os.X_OK) or os.path.isdir(path):
        raise InterpreterError(f"{path} is not an executable file; give a python's path, e.g. .venv-3.12/bin/python")
    try:
        done = subprocess.run(
            [path, "-c", _PROBE, *(distributions or [])],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        data = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InterpreterError(f"{path} did not answer as a Python 3 interpreter ({type(exc).__name__})") from exc
    return Interpreter(
        path=path,
        implementation=str(data["implementation"]),
        version=str(data["version"]),
        version_info=(int(data["version_info"][0]), int(data["version_info"][1])),
        free_threaded=bool(data["free_threaded"]),
        missing=[str(m) for m in data["missing"]],
    )


def check_runnable(path: str) -> Interpreter:
    """Probe ``path`` and raise :class:`InterpreterError` unless it can run a benchmark run."""
    found = probe(path, required_distributions())
    if found.version_info < MINIMUM:
        raise InterpreterError(f"{path} is {found.name}; the project needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer")
    if found.missing:
        venv = f".venv-{found.tag}"
        raise InterpreterError(
            f"{path} ({found.name}) lacks {', '.join(found.missing)}; make a venv with it: "
            f"make venv PYTHON={path} (creates {venv}), then --python {venv}/bin/python"
        )
    return found


def same_interpreter(path: str) -> bool:
    """Whether ``path`` is the interpreter running now (venvs are not resolved to their base)."""
    return os.path.abspath(path) == os.path.abspath(sys.executable)
