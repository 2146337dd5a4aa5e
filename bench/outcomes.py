"""Every case's outcome, on disk as soon as it is known: passed, skipped with its reason, failed.

:class:`OutcomeRecorder` (registered by :mod:`bench.plugin` in every session with an
outcomes file) writes the file the runner folds into ``run.json``, and which
:mod:`bench.progress` and the runner's watchdog (:mod:`bench.supervise`) read while
the session runs.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.atomic import write_text_atomic


def failure_reason(report: pytest.TestReport) -> str:
    """The failure's own message (``WrongAnswer: task 0 got HTTP 301``), not its location."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return str(message).strip()
    lines = str(report.longrepr).strip().splitlines() if report.longrepr else []
    return lines[-1] if lines else "failed"


def case_of(item: pytest.Item) -> Any:
    """The workload or micro-cost case an item measures (None for any other test)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    return callspec.params.get("workload_case") or callspec.params.get("micro_case")


def case_id(item: pytest.Item) -> str:
    """An item's case id (``threads-sleep-n10``): what outcomes and ``cases`` name it by."""
    return str(getattr(case_of(item), "id", item.name))


#: The outcome of a case whose run has begun and not yet reported; a session that
#: dies leaves it so, and the runner then fails that case with the reason.
RUNNING = "running"


class OutcomeRecorder:
    """Writes each case's outcome to a JSON file as soon as it is known.

    Written after every phase of every case (atomically), so a session that dies
    later still leaves what it measured and skipped on record for the manifest; a
    case whose run has begun reads :data:`RUNNING` until it reports. A session
    restarted for some cases (``keep_earlier``) keeps the outcomes of the others.
    A case's ``leaked`` lists what it left running (ended processes, threads).
    """

    def __init__(self, path: Path, keep_earlier: bool = False) -> None:
        self.path = path
        self.cases: dict[str, dict[str, Any]] = {}
        self._ids: dict[str, str] = {}
        if keep_earlier:
            try:
                earlier = json.loads(path.read_text())
            except (OSError, ValueError):
                earlier = []
            for entry in earlier if isinstance(earlier, list) else []:
                if isinstance(entry, dict) and "id" in entry:
                    self.cases[str(entry["id"])] = entry

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            case = case_of(item)
            self._ids[item.nodeid] = case_id(item)
            self.cases[case_id(item)] = {
                "id": case_id(item),
                "workload": getattr(case, "workload", None),
                "micro": getattr(case, "micro", None),
                "n_tasks": getattr(case, "n_tasks", None),
                "outcome": "not run",
                "reason": None,
                "duration_s": 0.0,
            }
        self.write()

    def _entry(self, nodeid: str) -> dict[str, Any]:
        key = self._ids.get(nodeid, nodeid)
        return self.cases.setdefault(key, {"id": key, "outcome": "not run", "reason": None})

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        entry = self._entry(nodeid)
        if entry["outcome"] == "not run":
            entry["outcome"] = RUNNING
            self.write()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self._entry(report.nodeid)
        entry["duration_s"] = round(float(entry.get("duration_s") or 0.0) + float(report.duration or 0.0), 4)
        for name, value in report.user_properties:
            if name == "leaked":
                entry["leaked"] = value
        if entry["outcome"] in ("skipped", "failed", "error"):
            self.write()
            return
        if report.skipped:
            longrepr = report.longrepr
            reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
            entry.update(outcome="skipped", reason=reason.removeprefix("Skipped: "))
        elif report.failed:
            entry.update(outcome="failed" if report.when == "call" else "error", reason=failure_reason(report)[:500])
        elif report.when == "call":
            entry.update(outcome="passed")
        self.write()

    def write(self) -> None:
        """Replace the outcomes file with the current state; a failed write keeps the last one."""
        try:
            write_text_atomic(self.path, json.dumps(list(self.cases.values()), indent=1))
        except OSError as exc:
            with contextlib.suppress(OSError):  # the log may be on the same full disk
                print(f"concurrency-bench: could not write {self.path}: {exc}", file=sys.stderr)
