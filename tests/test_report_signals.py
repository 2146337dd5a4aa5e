"""Signals, odd files and a full disk while a report is written: one line, nothing left behind.

Each test runs the real command (`python -m reports`, or `python -m bench` in its
report phase) and stops or starves it for real: SIGTERM and SIGINT sent to its
process, SIGKILL to leave a staging directory behind, a model JSON that is not
UTF-8 or nests 100,000 deep, a disk that fills while the PNGs are written (a small
tmpfs where this machine lets a user namespace mount one, an injected ENOSPC
otherwise), a runner that died without finishing its manifest.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from matplotlib.figure import Figure

from reports.output import OWNER_FILE
from tests.test_report_faults import COMPLETE, MACHINE, one_line_error, run_main, small_run, snapshot

REPO = Path(__file__).resolve().parent.parent
#: Longest a command may take here before the test gives up on it.
COMMAND_TIMEOUT_S = 120.0


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _stop_when(proc: subprocess.Popen[str], appeared: Callable[[], bool], signum: int) -> tuple[int, str]:
    """Send `signum` to `proc` as soon as `appeared()`; return its exit status and stderr."""
    try:
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while not appeared() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, f"it ended before it could be stopped: {proc.communicate()}"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=COMMAND_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def _staging(parent: Path) -> list[Path]:
    return sorted(parent.glob(".*-new-*"))


# --- signals: the staging directory goes with the command --------------------------------


def test_sigterm_to_a_real_build_exits_143_removes_its_staging_and_keeps_the_report(tmp_path: Path) -> None:
    run = shutil.copytree(COMPLETE, tmp_path / MACHINE / COMPLETE.name)
    assert run_main(["build", str(run)])[0] == 0
    before = snapshot(run)
    code, err = _stop_when(_start("-m", "reports", "build", str(run)), lambda: bool(_staging(run)), signal.SIGTERM)
    assert code == 143, err
    one_line_error(err, "SIGTERM")
    assert snapshot(run) == before
    assert not _staging(run)


def test_sigterm_to_a_real_compare_removes_its_staging_beside_out(tmp_path: Path) -> None:
    first = shutil.copytree(COMPLETE, tmp_path / "results" / MACHINE / COMPLETE.name)
    second = shutil.copytree(COMPLETE, tmp_path / "results" / MACHINE / "20261122T090000Z")
    out = tmp_path / "cmp"
    proc = _start("-m", "reports", "compare", str(first), str(second), "--out", str(out))
    code, err = _stop_when(proc, lambda: bool(_staging(tmp_path)), signal.SIGTERM)
    assert code == 143, err
    one_line_error(err, "SIGTERM")
    assert not _staging(tmp_path)
    assert not out.exists()


def test_a_staging_dir_left_by_a_killed_build_is_removed_by_the_next_and_no_other(tmp_path: Path) -> None:
    run = shutil.copytree(COMPLETE, tmp_path / MACHINE / COMPLETE.name)

    def drawing() -> bool:  # killed with charts half-drawn
        return any(any(staging.glob("*.png")) for staging in _staging(run))

    _stop_when(_start("-m", "reports", "build", str(run)), drawing, signal.SIGKILL)
    left = _staging(run)
    assert left, "SIGKILL should leave the staging directory of the killed build"
    # Look-alikes that are not provably the tool's: no record, a file a report never holds,
    # an empty one made a moment ago (a build about to write its record).
    unrecorded = run / ".report-new-0000beef"
    unrecorded.mkdir()
    (unrecorded / "index.md").write_text("mine\n")
    foreign = run / ".report-new-1111beef"
    shutil.copytree(left[0], foreign)
    (foreign / "notes.txt").write_text("mine\n")
    fresh = run / ".report-new-2222beef"
    fresh.mkdir()
    # An empty one left for long: killed before its record was written.
    stale = run / ".report-new-3333beef"
    stale.mkdir()
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert run_main(["build", str(run)])[0] == 0
    assert _staging(run) == [unrecorded, foreign, fresh]
    assert (run / "report" / "index.md").is_file()


def test_the_staging_dir_of_a_build_still_running_is_left_alone(tmp_path: Path) -> None:
    run = small_run(tmp_path)
    busy = run / ".report-new-2222busy"
    busy.mkdir()
    record = {"tool": "concurrency-bench reports", "kind": "report", "files": {}}
    me = psutil.Process()
    alive = {"pid": me.pid, "pid_started": me.create_time()}
    (busy / OWNER_FILE).write_text(json.dumps({**record, "staging": alive}))
    assert run_main(["build", str(run)])[0] == 0
    assert busy.is_dir()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_in_the_report_phase_of_a_run_is_one_line_and_leaves_no_staging(tmp_path: Path, signum: int) -> None:
    results = tmp_path / "results"
    smoke = ["--profile", "smoke", "--backends", "sequential", "--workloads", "sleep"]
    proc = _start("-m", "bench", *smoke, "--results", str(results))
    code, err = _stop_when(proc, lambda: bool(list(results.glob("*/*/.report-new-*"))), signum)
    assert code == 128 + signum, err
    one_line_error(err, "the run is kept")
    (run,) = results.glob("*/*/run.json")
    assert not _staging(run.parent)
    assert json.loads(run.read_text())["status"] == "complete"


# --- odd files: one line naming the file --------------------------------------------------

ODD_FILES = {
    "not-utf8": b"\xff\xfe{\x00}\x00",
    "nested-100000": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("command", ["build", "compare"])
@pytest.mark.parametrize("content", ODD_FILES.values(), ids=ODD_FILES.keys())
def test_a_model_json_that_is_no_results_file_is_one_line_naming_it(
    tmp_path: Path, command: str, content: bytes
) -> None:
    run = small_run(tmp_path / "results")
    other = small_run(tmp_path / "results", "20261126T000000Z")
    (run / "threads.json").write_bytes(content)
    argv = ["build", str(run)] if command == "build" else ["compare", str(other), str(run)]
    code, _, err = run_main(argv)
    assert code == 2
    one_line_error(err, "threads.json")


# --- a full disk while the PNGs are written -----------------------------------------------


def _tmpfs_build(run: Path, size: str) -> subprocess.CompletedProcess[str] | None:
    """Build `run` copied onto a tmpfs of `size` in a user namespace; None where none can be mounted.

    Its stdout is `rc=<the build's exit status>` and then what the run directory holds.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    script = (
        'mount -t tmpfs -o size="$1" tmpfs "$2" && cp -r "$3" "$2/run" || exit 99; '
        '"$4" -m reports build "$2/run"; echo "rc=$?"; ls -A "$2/run"'
    )
    mount_point = run.parent / "mnt"
    mount_point.mkdir()
    argv = [unshare, "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", size, str(mount_point)]
    result = subprocess.run(
        [*argv, str(run), sys.executable], cwd=REPO, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
    )
    return result if result.returncode == 0 else None


def test_no_space_left_while_writing_the_pngs_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = small_run(tmp_path)
    mounted = _tmpfs_build(run, "96k")
    if mounted is not None:
        status, *listing = mounted.stdout.split()
        assert status == "rc=2", mounted
        one_line_error(mounted.stderr, "No space left")
        assert not [name for name in listing if name.startswith(".report") or name == "report"], listing
        return

    def disk_full(self: Figure, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    code, _, err = run_main(["build", str(run)])
    assert code == 2
    one_line_error(err, "No space left")
    assert not _staging(run) and not (run / "report").exists()


# --- the command line and the manifest ----------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["compare", "a", "b", "--fail-above", "abc"], ["compare", "a", "b", "--min-effect", "x"], ["build"], ["bogus"]],
    ids=["fail-above", "min-effect", "no-run-dir", "unknown-command"],
)
def test_a_bad_argument_to_reports_is_one_line_exit_2(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reports", *argv], cwd=REPO, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
    )
    assert result.returncode == 2
    one_line_error(result.stderr, "python -m reports")
    assert "usage:" not in result.stderr


def test_a_run_whose_runner_died_reads_aborted_in_its_report(tmp_path: Path) -> None:
    run = small_run(tmp_path)
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    identity = {"host": __import__("socket").gethostname(), "pid": runner.pid}
    identity["pid_started"] = psutil.Process(runner.pid).create_time()
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    manifest = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**manifest, "status": "running", "runner": identity}))
    assert run_main(["build", str(run)])[0] == 0
    index = (run / "report" / "index.md").read_text()
    assert "run status **aborted**" in index
    assert "run status **running**" not in index
    assert json.loads((run / "run.json").read_text())["status"] == "running"  # the report only reads
