"""Workloads: WHAT a task does, one module each, behind one registry.

Adding a workload is one module plus one line in :data:`BUILT_IN`. The registry
imports a workload's module only when the workload is first asked for, so importing
this package (or :mod:`workloads.protocol`, which the models import) loads no
workload module and none of the libraries they use (aiohttp).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

from workloads.protocol import (
    Calibration,
    CalibrationFailed,
    Environment,
    Form,
    Meter,
    Params,
    RunContext,
    Workload,
    WrongAnswer,
)

#: The built-in workloads, in the order a run takes them: name -> ``module:attribute``.
BUILT_IN: dict[str, str] = {
    "cpu_spin": "workloads.cpu_spin:WORKLOAD",
    "sleep": "workloads.sleep:WORKLOAD",
    "http_fetch": "workloads.http_fetch:WORKLOAD",
    "cpu_release": "workloads.cpu_release:WORKLOAD",
    "file_io": "workloads.file_io:WORKLOAD",
    "fetch_parse": "workloads.fetch_parse:WORKLOAD",
}


class Registry(MutableMapping[str, Workload]):
    """Workloads by name, in registration order; a built-in one is imported on first use.

    Listing the names (``in``, iteration, ``len``) imports nothing; reading a
    workload imports its module once. A user's workload is put in by
    ``workloads.user_spec.register`` (``registry[name] = workload``) after the
    built-in ones.
    """

    def __init__(self, specs: dict[str, str]) -> None:
        # A value is the loaded workload, or the ``module:attribute`` it is still to be loaded from.
        self._entries: dict[str, Workload | str] = dict(specs)

    def __getitem__(self, name: str) -> Workload:
        entry = self._entries[name]
        if isinstance(entry, str):
            entry = _load(name, entry)
            self._entries[name] = entry
        return entry

    def __setitem__(self, name: str, workload: Workload) -> None:
        self._entries[name] = workload

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({list(self._entries)})"


def _load(name: str, spec: str) -> Workload:
    """Import the workload ``spec`` (``module:attribute``) names; check that it is ``name``."""
    module_name, _, attribute = spec.partition(":")
    workload = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(workload, Workload) or workload.name != name:
        raise TypeError(f"{spec} is not the Workload named {name!r}")
    return workload


#: Every workload of this process by name: the built-in ones, then any the user registered.
WORKLOADS = Registry(BUILT_IN)

__all__ = [
    "BUILT_IN",
    "WORKLOADS",
    "Calibration",
    "CalibrationFailed",
    "Environment",
    "Form",
    "Meter",
    "Params",
    "Registry",
    "RunContext",
    "Workload",
    "WrongAnswer",
]
