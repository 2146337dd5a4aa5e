"""Where runs live: ``<results>/<machine-id>/<run-id>/``, run ids sorting by time.

The one place the layout is coded. The runner writes through it and the reports
and compare read through it: :class:`RunLayout` names the files of one run directory,
:class:`ResultsTree` finds run directories under a results root, a machine directory
or a run directory given on a command line.

``python -m bench.layout newest [RESULTS]`` prints the newest usable run directory
(one with at least one measured case; used by ``make report``); exit 2 with a
message when there is none. A run left "running" by a runner that is gone is marked
aborted first.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

MANIFEST = "run.json"
CALIBRATION = "calibration.json"
#: Files in a run directory that are not a model's pytest-benchmark JSON.
NOT_BENCHMARKS = {MANIFEST, CALIBRATION}
#: The directory under a results root that holds comparisons, not a machine's runs.
COMPARE_DIR = "compare"


@dataclass(frozen=True)
class RunLayout:
    """The files of one run directory.

    ``run.json`` (the manifest), ``calibration.json``, one ``<model>.<i>.json`` per
    session process (pytest-benchmark's JSON, the measurements), and under ``logs/``
    each session's description, log and case outcomes.
    """

    path: Path

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST

    @property
    def calibration(self) -> Path:
        return self.path / CALIBRATION

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def report(self) -> Path:
        """Where the run's report (``index.md``, charts, ``summary.csv``) is written."""
        return self.path / "report"

    def benchmark(self, stem: str) -> Path:
        """The measurements of session ``stem`` (``<model>.<i>``)."""
        return self.path / f"{stem}.json"

    def description(self, stem: str) -> Path:
        """What session ``stem`` is to run (``bench.description``)."""
        return self.logs / f"{stem}.session.json"

    def log(self, stem: str) -> Path:
        return self.logs / f"{stem}.log"

    def outcomes(self, stem: str) -> Path:
        """Each case's outcome in session ``stem``, rewritten as the cases end."""
        return self.logs / f"{stem}.outcomes.json"

    def benchmark_files(self) -> list[Path]:
        """The run's benchmark JSON files (every ``*.json`` but the manifest and calibration), sorted."""
        return sorted(p for p in self.path.glob("*.json") if p.name not in NOT_BENCHMARKS and p.is_file())

    def has_results(self) -> bool:
        """Whether this is a directory with benchmark JSON in it."""
        return self.path.is_dir() and bool(self.benchmark_files())

    def is_run(self) -> bool:
        """Whether this is a run directory: benchmark JSON or a manifest in it."""
        return self.has_results() or self.manifest.exists()


def subdirs(path: Path) -> list[Path]:
    """The visible subdirectories of ``path``, sorted by name, without the comparisons' directory."""
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != COMPARE_DIR)


@dataclass(frozen=True)
class ResultsTree:
    """The run directories a path given by a user holds.

    A run directory is taken as is. A machine directory (``results/<machine-id>``)
    gives its runs with results, a results root (``results/``) each machine's. Run ids
    sort by time, so the newest is the last by name.
    """

    path: Path

    def is_run(self) -> bool:
        return RunLayout(self.path).is_run()

    def runs_here(self) -> list[Path]:
        """The run directories with results directly under ``path`` (a machine directory's), oldest first."""
        return [c for c in subdirs(self.path) if RunLayout(c).has_results()]

    def runs_per_machine(self) -> list[list[Path]]:
        """For each machine directory under ``path`` (a results root) that has any, its runs with results."""
        return [runs for machine in subdirs(self.path) if (runs := ResultsTree(machine).runs_here())]


def new_run_dir(results: Path, machine_id: str, profile: str) -> Path:
    """Create and return a fresh run directory named by UTC time and profile."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    parent = results / machine_id
    parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f".{attempt}"
        run_dir = parent / f"{stamp}{suffix}-{profile}"
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        return run_dir
    raise RuntimeError(f"could not create a new run directory under {parent}")


def run_dirs(results: Path) -> list[Path]:
    """Every run directory (one holding a manifest) under ``results``, oldest first."""
    found = [p.parent for p in results.glob(f"*/*/{MANIFEST}")]
    return sorted(found, key=lambda p: p.name)


def newest_run(results: Path) -> Path | None:
    """The newest usable run under ``results``, across machines, or None.

    Usable: at least one model JSON holds a measured case, so a run that failed or
    was stopped before measuring anything does not hide the one before it.
    """
    for run_dir in reversed(run_dirs(results)):
        if is_usable(run_dir):
            return run_dir
    return None


def is_usable(run_dir: Path) -> bool:
    """Whether any model JSON in ``run_dir`` holds at least one benchmark."""
    for path in RunLayout(run_dir).benchmark_files():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(data, dict) and data.get("benchmarks"):
            return True
    return False


def runner_gone(runner: Any) -> bool:
    """Whether the runner recorded in a manifest has ended (on this host).

    A runner on another host cannot be checked and is never called gone; a pid
    now held by a newer process (a different start time) is.
    """
    if not isinstance(runner, dict) or runner.get("host") != socket.gethostname():
        return False
    try:
        started = psutil.Process(int(runner["pid"])).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, TypeError, ValueError):
        return True
    return abs(started - float(runner.get("pid_started", started))) > 1.0


def mark_abandoned(results: Path) -> list[Path]:
    """Mark runs left "running" by a runner that is gone as aborted; return them.

    Only the manifest's status, end and error change; its measurements stay.
    """
    marked = []
    for run_dir in run_dirs(results):
        path = run_dir / MANIFEST
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(manifest, dict) or manifest.get("status") != "running":
            continue
        runner: dict[str, Any] = manifest.get("runner") or {}
        if not runner_gone(runner):
            continue
        manifest.update(
            status="aborted",
            error=f"the runner (pid {runner['pid']} on {runner['host']}) ended without finishing the run",
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2))
        tmp.replace(path)
        marked.append(run_dir)
    return marked


def main(argv: list[str]) -> int:
    """``newest [RESULTS]``: print the newest run directory."""
    if not argv or argv[0] != "newest":
        print("usage: python -m bench.layout newest [RESULTS]", file=sys.stderr)
        return 2
    results = Path(argv[1] if len(argv) > 1 else "results")
    for run_dir in mark_abandoned(results):
        print(f"note: {run_dir} was left running by a runner that is gone; marked aborted", file=sys.stderr)
    newest = newest_run(results)
    if newest is None:
        print(f"error: no run with a measured case under {results}/ (run 'make bench' first)", file=sys.stderr)
        return 2
    print(newest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
