"""Helpers the workload modules share: a calibration timed in a fresh interpreter, an index check.

The protocol itself (forms, wait requests, :class:`Workload`, the run context) is
:mod:`workloads.protocol`; its names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workloads.protocol import (
    Calibration,
    CalibrationFailed,
    Environment,
    Form,
    Meter,
    Params,
    Prepare,
    Readable,
    RunContext,
    Sleep,
    TaskGenerator,
    Wait,
    WaitFn,
    Workload,
    Writable,
    WrongAnswer,
    as_given,
    drive,
    no_environment,
    no_ideal,
    nothing_to_prepare,
    unknown_task_s,
)


def fresh_calibration(
    name: str, size: str, key: Callable[[Params], str]
) -> Callable[[Params, RunContext], Mapping[str, Any]]:
    """A ``calibrate`` that runs the workload's ``measure(params[size])`` in a fresh interpreter.

    The results come from fresh interpreters, one per model, so the ideal is timed in
    one too (by the run, through ``context.fresh_measure``); the seconds are stored
    under ``key(params)``.
    """

    def calibrate(params: Params, context: RunContext) -> Mapping[str, Any]:
        return {key(params): context.fresh_measure(name, int(params[size]))}

    return calibrate


def check_indices(results: list[Any], n_tasks: int, name: str) -> None:
    """Fail unless there is exactly one result per task, ``results[i] == i``."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"{name}: {len(results)} results for {n_tasks} tasks")
    wrong = [i for i, value in enumerate(results) if value != i]
    if wrong:
        raise WrongAnswer(f"{name}: tasks {wrong[:5]} returned the wrong index")


__all__ = [
    "Calibration",
    "CalibrationFailed",
    "Environment",
    "Form",
    "Meter",
    "Params",
    "Prepare",
    "Readable",
    "RunContext",
    "Sleep",
    "TaskGenerator",
    "Wait",
    "WaitFn",
    "Workload",
    "Writable",
    "WrongAnswer",
    "as_given",
    "check_indices",
    "drive",
    "fresh_calibration",
    "no_environment",
    "no_ideal",
    "nothing_to_prepare",
    "unknown_task_s",
]
