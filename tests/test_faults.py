"""Faults a user meets: interrupts, kills, hostile servers, low limits and bad paths.

Every fault here is real: signals are sent to a real run, servers are small ones on
127.0.0.1 started and stopped by the test, limits are set with ``setrlimit`` on the
run's own process. What must hold: nothing completed is lost, nothing the tool did
not write is touched, and no traceback where a one-line error belongs.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench import runner
from bench.description import write_description
from bench.profiles import PROFILES
from workloads import WORKLOADS

REPO = Path(__file__).resolve().parent.parent
#: Every run of this module is bounded; a test that waits longer has failed.
RUN_TIMEOUT_S = 240


def cli(*args: str) -> list[str]:
    """The command line of ``python -m bench`` with ``args``."""
    return [sys.executable, "-m", "bench", *args]


def start(command: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    """Start ``command`` from the repository root in a process group of its own."""
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs
    )


def finish(proc: subprocess.Popen[str], timeout: float = RUN_TIMEOUT_S) -> tuple[str, str]:
    """Wait for ``proc``; kill its group if it overruns. Return (stdout, stderr)."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the run did not end within {timeout} s:\n{out}\n{err}")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def outcomes(results: Path, model: str) -> list[dict[str, Any]]:
    """The outcomes a running session has written so far (empty when none yet)."""
    for path in results.rglob(f"{model}*outcomes.json"):
        try:
            found: list[dict[str, Any]] = json.loads(path.read_text())
        except ValueError:
            continue
        return found
    return []


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def passed(results: Path, model: str, case_id: str) -> bool:
    return any(c["id"] == case_id and c["outcome"] == "passed" for c in outcomes(results, model))


def saved_cases(run_dir: Path, model: str) -> set[str]:
    """The workload cases (as ``workload-nN``) with samples in the model's JSON files."""
    found = set()
    for path in run_dir.glob(f"{model}*.json"):
        for entry in read_json(path)["benchmarks"]:
            info = entry["extra_info"]
            if entry["stats"]["data"]:
                found.add(f"{info['workload']}-n{info['n_tasks']}")
    return found


def the_run(results: Path) -> Path:
    runs = list(results.glob("*/*/run.json"))
    assert len(runs) == 1, runs
    return runs[0].parent


# -- interrupts during a case's first timed round ------------------------------


def _first_round_delay_s() -> float:
    """How long after sequential's sleep n10 passes its n100 is inside its first timed round.

    n100 is one 100 x T round; a warmup round precedes it unless the profile calls a
    round that long "long". Half a round into the first timed one, it has no sample.
    """
    # The full profile: sequential's n100 (100 x 0.1 s) is within its rounds' limit.
    full = PROFILES["full"]
    round_s = 100 * WORKLOADS["sleep"].profile_params("full")["sleep_s"]
    assert round_s <= full.max_round_s
    warmup_s = 0.0 if round_s >= full.long_round_s else round_s
    return warmup_s + round_s / 2


def _interrupted_run(results: Path, send: Callable[[subprocess.Popen[str]], None]) -> tuple[int, str, Path]:
    proc = start(cli("--profile", "full", "--processes", "1", "--backends", "sequential,threads",
                     "--workloads", "sleep",
                     "--results", str(results), "--no-report"))  # fmt: skip
    try:
        wait_until(lambda: passed(results, "sequential", "sequential-sleep-n10"), 120, "sleep n10 to pass")
        time.sleep(_first_round_delay_s())
        send(proc)
    finally:
        _out, err = finish(proc)
    return proc.returncode, err, the_run(results)


def _check_completed_cases_saved(run_dir: Path) -> None:
    manifest = read_json(run_dir / "run.json")
    entry = manifest["backends"]["sequential"]
    done = {f"{c['workload']}-n{c['n_tasks']}" for c in entry["cases"] if c["outcome"] == "passed"}
    assert "sleep-n100" not in done, "the signal was meant to land in n100's first timed round"
    assert {"sleep-n1", "sleep-n10"} <= done, entry
    assert done <= saved_cases(run_dir, "sequential"), "a completed case is missing from the JSON"


def test_sigint_to_the_group_in_a_first_timed_round_keeps_completed_cases(tmp_path: Path) -> None:
    code, err, run_dir = _interrupted_run(tmp_path, lambda proc: os.killpg(proc.pid, signal.SIGINT))
    assert code == 130, err
    assert read_json(run_dir / "run.json")["status"] == "aborted"
    _check_completed_cases_saved(run_dir)


def test_sigterm_to_the_runner_exits_143_names_sigterm_and_keeps_completed_cases(tmp_path: Path) -> None:
    code, err, run_dir = _interrupted_run(tmp_path, lambda proc: proc.send_signal(signal.SIGTERM))
    assert code == 143, err
    assert "SIGTERM" in err
    manifest = read_json(run_dir / "run.json")
    assert manifest["status"] == "aborted" and "SIGTERM" in manifest["error"]
    _check_completed_cases_saved(run_dir)


def test_a_session_stopped_for_its_timeout_in_a_first_timed_round_keeps_completed_cases(tmp_path: Path) -> None:
    # The runner stops a session that overruns its timeout with runner._stop_group;
    # here it is called at a known moment rather than after a profile's long timeout.
    json_path, outcomes_path = tmp_path / "sequential.json", tmp_path / "logs" / "sequential.outcomes.json"
    outcomes_path.parent.mkdir()
    session = write_description(
        outcomes_path.parent / "sequential.session.json", "sequential", "full", "sleep", outcomes=str(outcomes_path)
    )
    command = [sys.executable, "-m", "bench.session", "--session", str(session),
               "--benchmark-json", str(json_path), "-q"]  # fmt: skip
    with (tmp_path / "session.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: passed(tmp_path, "sequential", "sequential-sleep-n10"), 120, "sleep n10 to pass")
            time.sleep(_first_round_delay_s())
            runner._stop_group(proc)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert json_path.exists(), (tmp_path / "session.log").read_text()
    assert not passed(tmp_path, "sequential", "sequential-sleep-n100"), "meant to stop n100's first timed round"
    assert {"sleep-n1", "sleep-n10"} <= saved_cases(tmp_path, "sequential")


def test_an_interrupt_while_a_session_saves_does_not_lose_its_json(tmp_path: Path) -> None:
    # Once the last case is done, the session saves (pytest-benchmark once learnt
    # the CPU from a subprocess at that point); an interrupt then must not lose it.
    json_path, outcomes_path = tmp_path / "threads.json", tmp_path / "logs" / "threads.outcomes.json"
    outcomes_path.parent.mkdir()
    session = write_description(
        outcomes_path.parent / "threads.session.json", "threads", "smoke", "sleep", outcomes=str(outcomes_path)
    )
    command = [sys.executable, "-m", "bench.session", "--session", str(session),
               "--benchmark-json", str(json_path), "-q"]  # fmt: skip
    with (tmp_path / "session.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: passed(tmp_path, "threads", "threads-sleep-n10"), 120, "the last case to pass")
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert json_path.exists(), (tmp_path / "session.log").read_text()
    assert {"sleep-n1", "sleep-n10"} <= saved_cases(tmp_path, "threads")


def test_ctrl_c_still_exits_130_as_an_interrupt(tmp_path: Path) -> None:
    proc = start(cli("--profile", "smoke", "--backends", "sequential", "--workloads", "sleep",
                     "--results", str(tmp_path), "--no-report"))  # fmt: skip
    wait_until(lambda: bool(outcomes(tmp_path, "sequential")), 120, "the session to start")
    os.killpg(proc.pid, signal.SIGINT)
    _out, err = finish(proc)
    assert proc.returncode == 130, err
    assert "SIGTERM" not in err


# -- hostile servers on 127.0.0.1 ----------------------------------------------


@contextmanager
def http_server(respond: Callable[[int], bytes | None]) -> Iterator[str]:
    """A tiny HTTP server on 127.0.0.1; ``respond(n)`` gives the n-th answer (None: hang up).

    Yields the URL; the server is stopped, and its thread joined, on exit.
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        count = 0
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    answer = respond(count)
                    if answer is not None:
                        conn.sendall(answer)
                except OSError:
                    pass
            count += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/data"
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def _response(status: str, body: bytes, length: int | None = None, extra: str = "") -> bytes:
    size = len(body) if length is None else length
    head = f"HTTP/1.1 {status}\r\nContent-Length: {size}\r\nConnection: close\r\n{extra}\r\n"
    return head.encode() + body


def _run_against(tmp_path: Path, model: str, workloads: str, after_calibration: bytes) -> subprocess.Popen[str]:
    """A smoke run of ``model`` against a server that answers well until calibration is over.

    Calibration must pass (it refuses a bad server before anything is timed); from
    then on every request gets ``after_calibration``.
    """
    calibrated = threading.Event()
    good = _response("200 OK", b"abc")
    with http_server(lambda n: after_calibration if calibrated.is_set() else good) as url:
        proc = start(cli("--profile", "smoke", "--backends", model, "--workloads", workloads,
                         "--http-url", url, "--results", str(tmp_path), "--no-report"))  # fmt: skip
        # The runner writes calibration.json before it starts the first session.
        wait_until(lambda: any(tmp_path.glob("*/*/calibration.json")) or proc.poll() is not None, 120, "calibration")
        calibrated.set()
        finish(proc)
    return proc


@pytest.mark.parametrize("model", ["asyncio", "uvloop"])
def test_one_failing_task_in_an_event_loop_fails_the_case_and_the_session_goes_on(tmp_path: Path, model: str) -> None:
    short_body = _response("200 OK", b"abc", length=30)
    _run_against(tmp_path, model, "http_fetch,sleep", after_calibration=short_body)
    entry = read_json(the_run(tmp_path) / "run.json")["backends"][model]
    assert entry["status"] == "failed", entry
    outcomes_of = {w: {c["outcome"] for c in entry["cases"] if c["workload"] == w} for w in ("http_fetch", "sleep")}
    assert outcomes_of["http_fetch"] == {"failed"}, entry["cases"]
    assert outcomes_of["sleep"] == {"passed"}, "the session must go on after the failed case"
    logs = [(the_run(tmp_path) / session["log"]).read_text() for session in entry["sessions"]]
    assert logs and not any("INTERNALERROR" in log for log in logs)


def test_a_failed_case_keeps_its_message_in_the_manifest(tmp_path: Path) -> None:
    moved = _response("301 Moved Permanently", b"", extra="Location: http://127.0.0.1:1/\r\n")
    _run_against(tmp_path, "generators", "http_fetch", after_calibration=moved)
    cases = read_json(the_run(tmp_path) / "run.json")["backends"]["generators"]["cases"]
    reasons = [c["reason"] for c in cases if c["outcome"] == "failed"]
    assert reasons, cases
    assert all("got HTTP 301" in reason for reason in reasons), reasons


# -- limits --------------------------------------------------------------------

LOW_OPEN_FILES = 256


def _low_open_files_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_OPEN_FILES, LOW_OPEN_FILES))


def test_a_low_open_files_limit_skips_what_needs_more_with_the_reason(tmp_path: Path) -> None:
    # As under 'ulimit -n 256': 1000 concurrent fetches cannot have their sockets.
    proc = start(cli("--profile", "quick", "--processes", "1", "--backends", "asyncio,gevent",
                     "--workloads", "http_fetch",
                     "--results", str(tmp_path), "--no-report"), preexec_fn=_low_open_files_limit)  # fmt: skip
    out, err = finish(proc)
    run_dir = the_run(tmp_path)
    for model in ("asyncio", "gevent"):
        entry = read_json(run_dir / "run.json")["backends"][model]
        assert entry["status"] == "ok", (entry, out, err)
        by_n = {c["n_tasks"]: c for c in entry["cases"]}
        assert by_n[1000]["outcome"] == "skipped", by_n[1000]
        assert "open-files limit" in by_n[1000]["reason"] and str(LOW_OPEN_FILES) in by_n[1000]["reason"]
        assert by_n[100]["outcome"] == "passed", by_n[100]
        assert {"http_fetch-n1", "http_fetch-n10", "http_fetch-n100"} <= saved_cases(run_dir, model)


# -- SIGKILL of the runner -----------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("model", ["process_pool", "gevent"])
def test_sigkill_of_the_runner_leaves_no_process_and_the_run_reads_as_aborted(tmp_path: Path, model: str) -> None:
    # process_pool: the session has children of its own; gevent: the session is monkey-patched.
    proc = start(cli("--profile", "quick", "--processes", "1", "--backends", f"{model},threads",
                     "--workloads", "sleep,http_fetch",
                     "--results", str(tmp_path), "--no-report"))  # fmt: skip
    try:
        wait_until(lambda: passed(tmp_path, model, f"{model}-sleep-n1"), 120, "a first case to pass")
        if model == "process_pool":
            # A pool lives for one case: catch the session while the next one holds its workers.
            wait_until(lambda: _session_has_children(proc.pid), 60, "the pool's workers")
        family = psutil.Process(proc.pid).children(recursive=True)
        sessions = [p.pid for p in family if "bench.session" in _cmdline(p)]
        assert sessions, [_cmdline(p) for p in family]
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        finish(proc, timeout=30)
    # Everything the run started, and anything since started in a session's group.
    deadline = killed_at + 5.0
    while time.monotonic() < deadline and any(_alive(p.pid) for p in family):
        time.sleep(0.1)
    time.sleep(max(0.0, deadline - time.monotonic()))
    left = [p.pid for p in family if _alive(p.pid)]
    in_groups = [p.pid for p in psutil.process_iter() if _safe_pgid(p.pid) in sessions and _alive(p.pid)]
    assert left == [] and in_groups == [], "processes of the run outlived its runner by 5 s"
    run_dir = the_run(tmp_path)
    assert read_json(run_dir / "run.json")["status"] == "running", "nobody was left to finish the manifest"
    assert "sleep-n1" in saved_cases(run_dir, model), "the orphaned session saves what it measured"
    # The next look at the results sees that the runner is gone.
    newest = subprocess.run([sys.executable, "-m", "bench.layout", "newest", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    manifest = read_json(run_dir / "run.json")
    assert manifest["status"] == "aborted", newest.stderr
    assert str(proc.pid) in manifest["error"]
    assert newest.returncode == 0 and Path(newest.stdout.strip()) == run_dir


def _cmdline(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _session_has_children(runner_pid: int) -> bool:
    try:
        family = psutil.Process(runner_pid).children(recursive=True)
        return any(p.children() for p in family if "bench.session" in _cmdline(p))
    except psutil.Error:
        return False


def _safe_pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


# -- bad paths and names -------------------------------------------------------


@pytest.mark.parametrize("where", ["a file", "under a file", "under /proc", "empty"])
def test_a_results_path_that_cannot_hold_runs_is_one_line_exit_2_and_nothing_created(
    tmp_path: Path, where: str
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("the user's notes\n")
    results = {"a file": str(a_file), "under a file": str(a_file / "results"), "under /proc": "/proc/results",
               "empty": ""}[where]  # fmt: skip
    before = sorted(p.name for p in REPO.iterdir())
    proc = subprocess.run(cli("--profile", "smoke", "--backends", "sequential", "--workloads", "sleep",
                              "--results", results), cwd=REPO, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "--results" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert a_file.read_text() == "the user's notes\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in REPO.iterdir()) == before
    assert not Path("/proc/results").exists()


def test_names_given_twice_run_once_in_their_first_order() -> None:
    from bench.__main__ import parser

    args = parser().parse_args(["--backends", "threads,sequential,threads", "--workloads", "sleep,cpu_spin,sleep"])
    assert args.models == ["threads", "sequential"]
    assert args.workloads == ["sleep", "cpu_spin"]


def test_newest_run_skips_a_newer_run_that_measured_nothing(tmp_path: Path) -> None:
    fixture = REPO / "tests/fixtures/runs/amd-epyc-7b13-2c-3f9a1c/20261121T090000Z"
    usable = tmp_path / fixture.parent.name / fixture.name
    shutil.copytree(fixture, usable)
    empty = tmp_path / fixture.parent.name / "20261122T000000Z-quick"
    empty.mkdir()
    (empty / "run.json").write_text(json.dumps({"status": "failed", "backends": {"threads": {"json": None}}}))
    (empty / "calibration.json").write_text("{}")
    newest = subprocess.run([sys.executable, "-m", "bench.layout", "newest", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert newest.returncode == 0, newest.stderr
    assert Path(newest.stdout.strip()) == usable


# -- the Makefile hands values over intact -------------------------------------


def test_make_passes_urls_and_paths_with_shell_characters_intact(tmp_path: Path) -> None:
    # A stand-in interpreter records the arguments make gives it, one per line.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    argv_file = tmp_path / "argv.txt"
    fake = venv / "bin" / "python"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{argv_file}"\n')
    fake.chmod(0o755)
    (venv / ".installed").touch()
    url = "http://127.0.0.1:8000/x?a=1&b=2"
    results = str(tmp_path / "my results")
    proc = subprocess.run(["make", "--no-print-directory", "bench", f"VENV={venv}", f"HTTP_URL={url}",
                           f"RESULTS={results}", "MODELS=threads"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    argv = argv_file.read_text().splitlines()
    assert argv[argv.index("--http-url") + 1] == url
    assert argv[argv.index("--results") + 1] == results
    assert argv[argv.index("--models") + 1] == "threads"


# -- progress ------------------------------------------------------------------


def _cases(*outcomes: str) -> list[dict[str, Any]]:
    return [{"id": f"case{i}", "outcome": outcome} for i, outcome in enumerate(outcomes)]


def test_progress_counts_finished_cases_and_estimates_from_their_pace() -> None:
    from bench.progress import describe, snapshot

    snap = snapshot(_cases("passed", "skipped", "not run", "not run"), elapsed_s=10.0)
    assert (snap.done, snap.total) == (2, 4)
    assert snap.left_s == pytest.approx(10.0)
    assert describe("threads", snap) == "threads: case 2 of 4, 10 s elapsed, ~10 s left"
    assert snapshot(_cases("not run"), elapsed_s=3.0).left_s is None
    assert "2 min 05 s" in describe("x", snapshot(_cases("failed", "not run"), elapsed_s=125.0))


class _Pipe(io.StringIO):
    """A stream that is not a terminal and keeps what was written."""

    def isatty(self) -> bool:
        return False


def _write_atomically(path: Path, cases: list[dict[str, Any]]) -> None:
    # As the session's outcome recorder writes: a reader never sees half a file.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cases))
    tmp.replace(path)


def _contains(stream: io.StringIO, text: str) -> bool:
    return text in stream.getvalue()


def test_progress_prints_plain_lines_as_cases_finish_when_not_a_terminal(tmp_path: Path) -> None:
    from bench.progress import follow

    path = tmp_path / "threads.outcomes.json"
    stream = _Pipe()
    with follow("threads", path, stream=stream, interval_s=0.01, plain_every_s=0.0):
        for done in range(4):
            _write_atomically(path, _cases(*(["passed"] * done + ["not run"] * (3 - done))))
            expected = f"case {done} of 3" if done else ""
            wait_until(partial(_contains, stream, expected), 10, expected)
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0].strip() for line in lines] == [f"threads: case {i} of 3" for i in (1, 2, 3)]


def test_progress_is_live_on_a_terminal(tmp_path: Path) -> None:
    from bench.progress import follow

    class Terminal(_Pipe):
        def isatty(self) -> bool:
            return True

    path = tmp_path / "asyncio.outcomes.json"
    path.write_text(json.dumps(_cases("passed", "passed", "not run")))
    stream = Terminal()
    with follow("asyncio", path, stream=stream, interval_s=0.01):
        wait_until(lambda: "2/3" in stream.getvalue(), 10, "the live line")
    assert "\x1b[" in stream.getvalue(), "a terminal gets a live (redrawn) line"


@pytest.mark.parametrize("model", ["asyncio", "uvloop"])
def test_a_failing_task_in_an_event_loop_leaves_no_other_task_behind(model: str) -> None:
    from bench.models import load, unavailable

    if unavailable(model):
        pytest.skip(str(unavailable(model)))

    async def task(i: int) -> int:
        if i == 0:
            raise ValueError("task 0 failed")
        await asyncio.sleep(30)
        return i

    with load(model)() as running:
        start_s = time.monotonic()
        with pytest.raises(ValueError, match="task 0 failed"):
            running.run(task, 10)
        assert time.monotonic() - start_s < 10, "the failure must end the round at once"
        loop = running.loop  # type: ignore[attr-defined]
        assert [t for t in asyncio.all_tasks(loop) if not t.done()] == []
