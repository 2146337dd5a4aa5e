"""What a run needs before anything is timed, made one way for the runner and for a session.

The runner (``python -m bench``) prepares a run once, in its own process: it loads the
user's workloads, starts every environment the workloads need (the local HTTP
server), and calibrates the ideals. A session (``python -m bench.session``, one fresh
interpreter per model) prepares the same plan from its description: it loads the same
workloads, starts only the environments the runner did not hand it (when it runs
alone), and reads the runner's calibration, or measures one when it has none.
Both call :func:`prepare_run`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workloads import WORKLOADS
from workloads.protocol import Calibration, RunContext


class UnknownSelection(ValueError):
    """A selection names neither a workload nor a micro-cost, or a user's workload does not load."""


#: The name each user's workload (a file or module:attribute) was registered under in this interpreter.
_LOADED: dict[str, str] = {}


def registered(selection: Iterable[str]) -> tuple[list[str], list[str]]:
    """The workloads and the micro-costs ``selection`` names, a user's workload file or module loaded first.

    A user's workload is loaded once per interpreter; naming it again gives the same name.

    Raises :class:`UnknownSelection` with the valid names for a name that is neither,
    or with the reason a user's workload could not be loaded.
    """
    from bench.micro import MICROS
    from workloads.user_spec import BadWorkloadSpec, is_spec, register

    names = []
    for item in selection:
        if not item:
            continue
        if not is_spec(item):
            names.append(item)
            continue
        if item not in _LOADED:
            try:
                _LOADED[item] = register(item, WORKLOADS, reserved=dict.fromkeys([*WORKLOADS, *MICROS]))
            except BadWorkloadSpec as exc:
                raise UnknownSelection(str(exc)) from None
        names.append(_LOADED[item])
    valid = [*WORKLOADS, *MICROS]
    unknown = sorted(set(names) - set(valid))
    if unknown:
        raise UnknownSelection(f"unknown workloads {unknown}; valid: {', '.join(valid)}")
    return [n for n in names if n in WORKLOADS], [n for n in names if n in MICROS]


@dataclass
class RunPlan:
    """A prepared run: its workloads and micro-costs, the running environments' facts, the ideals."""

    profile: str
    workloads: list[str]
    micros: list[str]
    context: RunContext
    _calibration: Calibration | None = None

    @property
    def facts(self) -> Mapping[str, Mapping[str, Any]]:
        """The environments' facts by key (the local server's URL, say)."""
        return self.context.facts

    def calibrate(self, python: str | None = None) -> Calibration:
        """Measure the ideals now (under ``python``, default this interpreter); raises ``CalibrationFailed``."""
        from bench import calibrate

        self._calibration = calibrate.calibrate(self.profile, self.workloads, self.context, python=python)
        return self._calibration

    def calibration(self, path: str | Path | None = None) -> Calibration:
        """The ideals: those saved at ``path`` (the runner's), else the ones measured here, once."""
        from bench import calibrate

        if path:
            return calibrate.load(Path(path))
        return self._calibration if self._calibration is not None else self.calibrate()


@contextmanager
def prepare_run(
    profile: str,
    selection: Iterable[str],
    workload_options: Mapping[str, Any],
    facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[RunPlan]:
    """Prepare a run of ``selection`` under ``profile``; the environments stop when the block ends.

    ``facts`` are environments already running (the runner's, handed to a session):
    an environment whose key is there is not started again. Two workloads naming the
    same environment share one.
    """
    workloads, micros = registered(selection)
    known: dict[str, Mapping[str, Any]] = dict(facts or {})
    with ExitStack() as stack:
        for name in workloads:
            environment = WORKLOADS[name].environment(workload_options)
            if environment is not None and environment.key not in known:
                known[environment.key] = dict(stack.enter_context(environment.start(workload_options)))
        yield RunPlan(profile, workloads, micros, RunContext(options=dict(workload_options), facts=known))
