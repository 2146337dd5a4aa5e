"""A user's task cannot take its session down: hangs, interrupts, exits and leaks cost only its own cases.

Every fault here is real: a workload file whose task hangs, raises
KeyboardInterrupt, calls ``os._exit``, forks a grandchild or leaks a thread
(``tests/_broken.py``), run by real sessions and runners; ``kill -9`` is a real
signal; the full disk is a real tmpfs. Case time-outs are shortened (the session
description carries them, ``tests/_short_run.py`` sets them for a whole run) so
that a hang costs seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.description import write_description
from tests._broken import write_broken

REPO = Path(__file__).resolve().parent.parent
#: The case time-out of these runs: long enough for a loaded 2-core machine to start a pool.
CASE_TIMEOUT_S = 5.0
#: A whole run here is bounded; one that takes longer has failed.
RUN_LIMIT_S = 240.0


def run_bench(tmp_path: Path, models: str, workloads: list[str], *extra: str) -> tuple[int, str, Path, float]:
    """A smoke run with short case time-outs; return (exit code, stderr, run directory, seconds)."""
    results = tmp_path / "results"
    command = [sys.executable, "-m", "tests._short_run", str(CASE_TIMEOUT_S), "--profile", "smoke",
               "--backends", models, "--workloads", ",".join(workloads), "--results", str(results),
               "--no-report", *extra]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=RUN_LIMIT_S, check=False)
    elapsed = time.monotonic() - start
    runs = list(results.glob("*/*/run.json"))
    assert len(runs) == 1, proc.stdout + proc.stderr
    return proc.returncode, proc.stderr, runs[0].parent, elapsed


def manifest(run_dir: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((run_dir / "run.json").read_text())
    return found


def cases_of(run_dir: Path, model: str) -> dict[str, dict[str, Any]]:
    """The model's cases in run.json, by id."""
    return {case["id"]: case for case in manifest(run_dir)["backends"][model]["cases"]}


def saved(run_dir: Path, model: str) -> set[str]:
    """The case ids with samples in the model's pytest-benchmark JSON files."""
    found = set()
    for path in run_dir.glob(f"{model}.*.json"):
        for entry in json.loads(path.read_text())["benchmarks"]:
            if entry["stats"]["data"]:
                found.add(entry["param"])
    return found


def assert_sleep_measured_and_broken_failed(run_dir: Path, model: str, broken: str) -> dict[str, dict[str, Any]]:
    """Every sleep case passed and is on disk; every case of ``broken`` failed with a reason."""
    cases = cases_of(run_dir, model)
    sleep = {cid: c for cid, c in cases.items() if c["workload"] == "sleep" and c["outcome"] != "skipped"}
    bad = {cid: c for cid, c in cases.items() if c["workload"] == broken}
    assert sleep and all(c["outcome"] == "passed" for c in sleep.values()), cases
    assert set(sleep) <= saved(run_dir, model), "a passed sleep case is missing from the JSON"
    assert bad and all(c["outcome"] == "failed" and c["reason"] for c in bad.values()), bad
    return bad


def run_session(tmp_path: Path, model: str, selection: list[str], timeout_s: float) -> tuple[int, float, Path]:
    """One session alone (no runner); return (exit code, seconds, its directory)."""
    session = write_description(tmp_path / "session.json", model, "smoke", selection,
                                outcomes=str(tmp_path / "outcomes.json"), case_timeout_s=timeout_s)  # fmt: skip
    command = [sys.executable, "-m", "bench.session", "--session", str(session),
               "--benchmark-json", str(tmp_path / "session.0.json"), "-q"]  # fmt: skip
    start = time.monotonic()
    with (tmp_path / "session.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=RUN_LIMIT_S)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, time.monotonic() - start, tmp_path


def session_outcomes(directory: Path) -> dict[str, dict[str, Any]]:
    return {case["id"]: case for case in json.loads((directory / "outcomes.json").read_text())}


def processes_of(marker: str) -> list[psutil.Process]:
    """Live processes whose command line mentions ``marker`` (a test's own directory)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and marker in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


# -- a hang ------------------------------------------------------------------------------


def test_a_hanging_task_fails_its_cases_and_every_other_case_still_runs(tmp_path: Path) -> None:
    hang = write_broken(tmp_path, "hang")
    code, err, run_dir, elapsed = run_bench(tmp_path, "threads,process_pool", [str(hang), "sleep"])
    for model in ("threads", "process_pool"):
        bad = assert_sleep_measured_and_broken_failed(run_dir, model, "hang")
        assert all("imeout" in c["reason"] or "timed out" in c["reason"] for c in bad.values()), bad
        assert manifest(run_dir)["backends"][model]["status"] == "failed", "a hang is a failed case, not a timeout"
    # Four hung cases: each costs about its time-out, not a session's.
    assert elapsed < 3 * 4 * CASE_TIMEOUT_S + 30, elapsed
    assert code == 1, err


# -- interrupts and exits ------------------------------------------------------------------


def test_a_task_raising_keyboard_interrupt_or_system_exit_fails_only_its_case(tmp_path: Path) -> None:
    files = [str(write_broken(tmp_path, name)) for name in ("kbint", "sysexit")]
    code, err, run_dir, _ = run_bench(tmp_path, "sequential,process_pool", [*files, "sleep"])
    for model in ("sequential", "process_pool"):
        for broken, raised in (("kbint", "KeyboardInterrupt"), ("sysexit", "SystemExit")):
            bad = assert_sleep_measured_and_broken_failed(run_dir, model, broken)
            assert all(raised in c["reason"] for c in bad.values()), bad
    assert manifest(run_dir)["status"] == "failed" and code == 1, err


def test_a_child_that_exits_abruptly_fails_its_case_at_once(tmp_path: Path) -> None:
    # A minute's time-out: the dead child must be noticed by its exit code, not by the time-out.
    code, elapsed, directory = run_session(tmp_path, "processes", [str(write_broken(tmp_path, "osexit"))], 60.0)
    cases = session_outcomes(directory)
    assert all(c["outcome"] == "failed" and "exited with code 3" in c["reason"] for c in cases.values()), cases
    assert elapsed < 30, elapsed
    assert code == 1


def test_an_unpicklable_task_under_process_pool_fails_its_cases_and_the_others_run(tmp_path: Path) -> None:
    lambda_task = tmp_path / "lambda_task.py"
    text = write_broken(tmp_path, "nan_ideal").read_text()
    lambda_task.write_text(
        text.replace("blocking=task,", "blocking=lambda i, params: i,")
        .replace('name="nan_ideal"', 'name="lambda_task"')
        .replace("return math.nan", "return None")
    )
    code, err, run_dir, elapsed = run_bench(tmp_path, "process_pool", [str(lambda_task), "sleep"])
    assert code == 1, err
    bad = assert_sleep_measured_and_broken_failed(run_dir, "process_pool", "lambda_task")
    assert all("pickle" in c["reason"].lower() for c in bad.values()), bad
    assert elapsed < 2 * CASE_TIMEOUT_S + 60, elapsed


# -- nothing lost ---------------------------------------------------------------------------


def test_kill_9_of_a_session_keeps_its_completed_cases_and_the_rest_run(tmp_path: Path) -> None:
    pausing = write_broken(tmp_path, "pausing")
    results = tmp_path / "results"
    command = [sys.executable, "-m", "tests._short_run", str(CASE_TIMEOUT_S), "--profile", "smoke",
               "--backends", "sequential", "--workloads", f"{pausing},sleep", "--results", str(results),
               "--no-report"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        killed = None
        while killed is None and time.monotonic() < deadline:
            for path in results.glob("*/*/logs/sequential.0.outcomes.json"):
                try:
                    outcomes = {c["id"]: c["outcome"] for c in json.loads(path.read_text())}
                except ValueError:
                    continue
                if outcomes.get("sequential-pausing-60.0-n1") == "running":
                    killed = [p for p in psutil.Process(proc.pid).children() if "bench.session" in p.cmdline()]
                    for session in killed:
                        session.send_signal(signal.SIGKILL)
            time.sleep(0.05)
        assert killed, "the session never reached its long case"
        _out, err = proc.communicate(timeout=RUN_LIMIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    run_dir = next(results.glob("*/*"))
    cases = cases_of(run_dir, "sequential")
    done_first = {"sequential-pausing-0.0-n1", "sequential-pausing-0.0-n10"}
    assert all(cases[cid]["outcome"] == "passed" for cid in done_first), cases
    assert done_first <= saved(run_dir, "sequential"), "a case completed before the kill was lost"
    assert "SIGKILL" in cases["sequential-pausing-60.0-n1"]["reason"], cases
    assert all(c["outcome"] == "passed" for c in cases.values() if c["workload"] == "sleep"), cases
    assert {c["id"] for c in cases.values() if c["outcome"] == "passed"} <= saved(run_dir, "sequential")
    assert proc.returncode == 1, err


def test_a_full_disk_is_one_line_keeps_what_was_written_and_leaves_no_partial_file(tmp_path: Path) -> None:
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False).returncode
    ):
        pytest.skip("this machine cannot make a private mount namespace for a small tmpfs (unshare -rm)")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f"mount -t tmpfs -o size=256k tmpfs {disk} && exec {sys.executable} -m tests._full_disk {disk}"
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=RUN_LIMIT_S, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["returncode"] == 1, found
    errors = [line for line in found["stderr"].splitlines() if line.strip()]
    assert len(errors) == 1 and "No space left on device" in errors[0], found["stderr"]
    assert not any(".tmp" in name for name in found["files"]), found["files"]
    assert all(ok for name, ok in found["files"].items() if name.endswith(".json")), found["files"]
    assert set(found["sequential_saved"]) == {"sequential-sleep-n1", "sequential-sleep-n10"}, found


# -- nothing outlives its case ------------------------------------------------------------------


def test_a_tasks_grandchild_is_ended_after_its_case_and_nothing_outlives_the_run(tmp_path: Path) -> None:
    grandchild = write_broken(tmp_path, "grandchild")
    code, err, run_dir, _ = run_bench(tmp_path, "sequential,processes", [str(grandchild), "sleep"])
    assert code == 1, err
    for model in ("sequential", "processes"):
        bad = assert_sleep_measured_and_broken_failed(run_dir, model, "grandchild")
        assert all("left processes running" in c["reason"] and c.get("leaked") for c in bad.values()), bad
    # A grandchild is a fork of its session: its command line names the run's directory.
    assert processes_of(str(run_dir)) == [], "a process of the run outlived it"


def test_a_leaked_thread_is_recorded_and_its_session_recycled_not_timed_out(tmp_path: Path) -> None:
    leak = str(write_broken(tmp_path, "thread_leak"))
    code, elapsed, directory = run_session(tmp_path, "sequential", [leak, "sleep"], 60.0)
    cases = session_outcomes(directory)
    first = cases["sequential-thread_leak-n1"]
    assert first["outcome"] == "passed" and "not a daemon" in first["leaked"][0], first
    assert code == 75 and elapsed < 30, (code, elapsed)
    assert cases["sequential-sleep-n1"]["outcome"] == "not run", "the session ends after the case that leaked"
    code, err, run_dir, _ = run_bench(tmp_path, "sequential", [leak, "sleep"])
    entry = manifest(run_dir)["backends"]["sequential"]
    assert entry["status"] == "ok" and code == 0, (entry, err)
    assert all(c["outcome"] == "passed" for c in entry["cases"]), entry["cases"]


def test_an_ideal_that_is_not_a_number_fails_its_case_at_run_time(tmp_path: Path) -> None:
    nan_ideal = str(write_broken(tmp_path, "nan_ideal"))
    code, _elapsed, directory = run_session(tmp_path, "sequential", [nan_ideal, "sleep"], 60.0)
    cases = session_outcomes(directory)
    bad = [c for c in cases.values() if c["workload"] == "nan_ideal"]
    assert bad and all(c["outcome"] == "failed" and "ideal_s returned nan" in c["reason"] for c in bad), cases
    entries = json.loads((directory / "session.0.json").read_text())["benchmarks"]
    assert {e["extra_info"]["workload"] for e in entries} == {"sleep"}, "a NaN ideal reached the JSON"
    assert code == 1
