"""The session description: everything one model's session needs, in one JSON file.

The runner writes ``<run>/logs/<model>.<i>.session.json`` and starts
``python -m bench.session --session FILE``; the session (and its pytest plugin,
``bench.plugin``) reads every setting from it, so an option is declared once, on
the command line of ``python -m bench``, and never parsed again. A session can also
run alone, for tests: :func:`write_description` makes a file with defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.results_format import FORMAT_KEY, FORMAT_VERSION

#: The suffix of a session description beside the session's log.
SUFFIX = ".session.json"


@dataclass(frozen=True)
class SessionDescription:
    """One session: which model, profile and selection, and what the run learnt before it.

    ``selection`` holds built-in workload and micro-cost names and user workload
    specs (a file's absolute path, or ``module:attribute``). ``workload_options``
    and ``model_options`` are the values of the options the workloads and this
    model declare, by dest. ``environment`` maps an environment's key to the facts
    it yielded (a local server's base URL, pid, workers); a workload whose
    environment is missing there gets one started by the session itself.
    ``calibration`` is the run's calibration file (None: the session calibrates).
    ``outcomes`` is where each case's outcome is written as it is known.
    ``cases`` restricts the session to those case ids, in collection order (None:
    every case of the selection); the runner sets it when it restarts a session
    for the cases a dead or stopped one did not reach.
    """

    model: str
    profile: str
    selection: tuple[str, ...]
    workload_options: Mapping[str, Any] = field(default_factory=dict)
    model_options: Mapping[str, Any] = field(default_factory=dict)
    environment: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    calibration: str | None = None
    outcomes: str | None = None
    process_index: int = 0
    processes: int = 1
    case_timeout_s: float | None = None
    runner_pid: int | None = None
    #: The model's :attr:`~bench.models.Model.prelude`, run first by the session.
    prelude: str | None = None
    #: Run only these case ids (None: every case of the selection): a process added for
    #: noisy cases, or a fresh session for the cases a dead or stopped one did not reach.
    cases: tuple[str, ...] | None = None
    #: The interpreter the session runs under (None: the runner's own).
    python: str | None = None
    #: The task counts of every workload case, in place of the profile's (None: the profile's).
    n_tasks: tuple[int, ...] | None = None
    #: A climbing profile's memory cap in bytes (None: half the machine's memory).
    max_memory_bytes: int | None = None
    #: One side of an interleaved pair's lockstep (:mod:`bench.baton`): its ``directory``
    #: and ``role``; None: the session runs alone.
    baton: Mapping[str, str] | None = None


#: The file's names for the fields whose names it kept from format 1.0 (a model was a
#: "backend" there), so that every stored description still reads.
FILE_NAMES = {"model": "backend", "model_options": "backend_options"}


def save(description: SessionDescription, path: Path) -> None:
    """Write ``description`` to ``path`` as JSON, under the file's names."""
    fields = {FILE_NAMES.get(name, name): value for name, value in asdict(description).items()}
    data = {FORMAT_KEY: FORMAT_VERSION, **fields}
    path.write_text(json.dumps(data, indent=2))


def load(path: Path) -> SessionDescription:
    """Read a description written by :func:`save`; raise ValueError naming the file when it is not one."""
    try:
        stored = json.loads(path.read_text())
        stored.pop(FORMAT_KEY, None)
        field_of = {file_name: name for name, file_name in FILE_NAMES.items()}
        data = {field_of.get(key, key): value for key, value in stored.items()}
        data["selection"] = tuple(data["selection"])
        for key in ("cases", "n_tasks"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return SessionDescription(**data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a session description ({type(exc).__name__}: {exc})") from None


def write_description(path: Path, model: str, profile: str, selection: list[str] | str, **settings: Any) -> Path:
    """Write a description for a session run alone (tests): the rest defaults, so the session calibrates itself."""
    from bench.models import load

    names = selection.split(",") if isinstance(selection, str) else selection
    settings.setdefault("prelude", load(model).prelude)
    save(SessionDescription(model=model, profile=profile, selection=tuple(names), **settings), path)
    return path
