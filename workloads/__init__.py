"""Workloads: WHAT a task does, one module each, behind one registry.

Adding a workload is one module plus one line in :data:`WORKLOADS`.
"""

from __future__ import annotations

from workloads import cpu_release, cpu_spin, fetch_parse, file_io, http_fetch, sleep
from workloads._base import (
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

WORKLOADS: dict[str, Workload] = {
    cpu_spin.WORKLOAD.name: cpu_spin.WORKLOAD,
    sleep.WORKLOAD.name: sleep.WORKLOAD,
    http_fetch.WORKLOAD.name: http_fetch.WORKLOAD,
    cpu_release.WORKLOAD.name: cpu_release.WORKLOAD,
    file_io.WORKLOAD.name: file_io.WORKLOAD,
    fetch_parse.WORKLOAD.name: fetch_parse.WORKLOAD,
}

__all__ = [
    "WORKLOADS",
    "Calibration",
    "CalibrationFailed",
    "Environment",
    "Form",
    "Meter",
    "Params",
    "RunContext",
    "Workload",
    "WrongAnswer",
]
