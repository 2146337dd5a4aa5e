"""End to end: ``python -m bench --profile smoke`` as a user runs it.

One smoke run of every model x workload x micro-cost is shared by the tests of
this module: the manifest, the JSON keys, gevent's isolation, every pair accounted
for, and nothing left running afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.micro import MICROS
from bench.models import MODELS, unavailable
from reports.load import load_run, param_columns
from workloads import WORKLOADS

FIXTURE_RUN = Path(__file__).resolve().parent / "fixtures" / "runs" / "amd-epyc-7b13-2c-3f9a1c" / "20261121T090000Z"
REPO = Path(__file__).resolve().parent.parent
MACHINE_KEYS = {
    "machine_id",
    "cpu_model",
    "cpu_count",
    "memory_bytes",
    "python_version",
    "gevent_version",
    "greenlet_version",
    "uvloop_version",
    "gil_enabled",
    "default_start_method",
}
WORKLOAD_KEYS = {"backend", "workload", "n_tasks", "ideal_s", "profile"}
WORKLOAD_PARAMS = {
    "cpu_spin": {"work_units"},
    "sleep": {"sleep_s"},
    "http_fetch": {"latency_s", "body_bytes", "url"},
    "cpu_release": {"total_bytes"},
    "file_io": {"file_bytes", "page_cache"},
    "fetch_parse": {"latency_s", "body_bytes", "url", "client"},
}


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bench`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    results = tmp_path_factory.mktemp("results")
    started = time.time()
    proc = bench("--profile", "smoke", "--results", str(results))
    runs = sorted(results.glob("*/*/run.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(runs) == 1, proc.stdout
    return {"dir": runs[0].parent, "stdout": proc.stdout, "started": started, "elapsed": time.time() - started}


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_run_writes_manifest_and_one_json_per_model(smoke_run: dict[str, Any]) -> None:
    run_dir: Path = smoke_run["dir"]
    manifest = load_json(run_dir / "run.json")
    assert manifest["status"] == "complete"
    assert manifest["profile"] == "smoke"
    assert manifest["ended_at"] is not None
    assert set(manifest["backends"]) == set(MODELS)
    for model in MODELS:
        entry = manifest["backends"][model]
        assert entry["status"] == "ok", entry
        reason = unavailable(model)
        if reason is not None:  # every case skipped with the model's reason, nothing measured
            assert entry["cases"] and all(c["reason"] == reason for c in entry["cases"]), model
            continue
        data = load_json(run_dir / f"{model}.0.json")
        workloads = {b["extra_info"].get("workload") for b in data["benchmarks"]}
        assert {"cpu_spin", "sleep", "http_fetch"} <= workloads, model


def test_processes_run_round_robin_each_in_its_own_interpreter(tmp_path: Path) -> None:
    proc = bench(
        "--profile", "smoke", "--processes", "2", "--backends", "sequential,threads",
        "--workloads", "sleep", "--results", str(tmp_path), "--no-report",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = next(tmp_path.glob("*/*/run.json")).parent
    manifest = load_json(run_dir / "run.json")
    sessions = sorted(
        (s for entry in manifest["backends"].values() for s in entry["sessions"]), key=lambda s: s["started_at"]
    )
    order = [(s["json"].split(".")[0], s["process"]) for s in sessions]
    assert order == [("sequential", 0), ("threads", 0), ("sequential", 1), ("threads", 1)]
    pids = set()
    for model, process in order:
        data = load_json(run_dir / f"{model}.{process}.json")
        assert data["session"]["process"] == process and data["session"]["processes"] == 2
        pids.add(data["session"]["isolation"]["pid"])
    assert len(pids) == 4
    frame = load_run(run_dir).frame
    assert frame["processes"].eq(2).all()
    assert (frame["ci_low"] <= frame["median"]).all() and (frame["median"] <= frame["ci_high"]).all()


@pytest.mark.parametrize("value", ["0", "x", "-5", "10,", "1,2.5", "99999999"])
def test_a_bad_task_count_exits_2_in_one_line_naming_it(tmp_path: Path, value: str) -> None:
    proc = bench("--tasks", value, "--results", str(tmp_path))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "--tasks" in proc.stderr and "is not a task count" in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir())


def test_tasks_replace_the_profiles_counts_and_each_session_records_its_limits(tmp_path: Path) -> None:
    proc = bench(
        "--profile", "smoke", "--tasks", "3,1_000,3", "--backends", "asyncio", "--workloads", "sleep,switch",
        "--results", str(tmp_path), "--no-report",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = next(tmp_path.glob("*/*/run.json")).parent
    assert load_json(run_dir / "run.json")["options"]["tasks"] == [3, 1000]
    data = load_json(run_dir / "asyncio.0.json")
    counts = sorted(b["extra_info"]["n_tasks"] for b in data["benchmarks"] if b["extra_info"].get("workload"))
    assert counts == [3, 1000]
    # A micro-cost is no workload: its sizes stay the profile's.
    assert any(b["extra_info"].get("micro") == "switch" for b in data["benchmarks"])
    limits = data["session"]["limits"]
    assert limits["open_files_soft"] is None or limits["open_files_soft"] >= 64
    assert limits["memory_available_bytes"] > 0


@pytest.mark.parametrize("value", ["0", "-1", "three", "1000"])
def test_a_bad_process_count_exits_2(tmp_path: Path, value: str) -> None:
    proc = bench("--processes", value, "--results", str(tmp_path))
    assert proc.returncode == 2
    assert "give a whole number from 1 to" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_machine_info_and_extra_info_keys(smoke_run: dict[str, Any]) -> None:
    for path in sorted(smoke_run["dir"].glob("*.json")):
        if path.name in ("run.json", "calibration.json"):
            continue
        data = load_json(path)
        assert set(data["machine_info"]) >= MACHINE_KEYS, path.name
        assert data["machine_info"]["machine_id"] == smoke_run["dir"].parent.name
        for bench_entry in data["benchmarks"]:
            info = bench_entry["extra_info"]
            assert info["backend"] == path.name.split(".")[0]
            assert bench_entry["stats"]["data"], "raw samples must be kept"
            if "workload" in info:
                assert WORKLOAD_KEYS | WORKLOAD_PARAMS[info["workload"]] <= set(info), info
            else:
                assert {"backend", "micro", "ops_per_round", "ideal_s", "profile"} <= set(info), info
            # Format 3: the case lists its measurements, and only keys it holds.
            measured = info["measured"]
            assert measured == sorted(measured) and "ideal_s" in measured and set(measured) <= set(info), info
            figures = {"canary_s", "bytes_per_task", "memory", "server_cpu_s", "server_cpu_s_rounds"}
            assert figures & set(info) <= set(measured), info


def test_gevent_is_patched_only_in_its_own_interpreter(smoke_run: dict[str, Any]) -> None:
    facts = {
        model: load_json(smoke_run["dir"] / f"{model}.0.json")["session"]["isolation"]
        for model in ("threads", "processes", "asyncio", "gevent")
    }
    for model in ("threads", "processes", "asyncio"):
        assert facts[model]["socket.socket"] == "socket.socket", model
        assert facts[model]["threading.thread_starter"] == "_thread", model
        assert facts[model]["_thread.start_new_thread"] == "_thread", model
        assert facts[model]["gevent_imported"] is False, model
    assert facts["gevent"]["socket.socket"].startswith("gevent."), facts["gevent"]
    assert facts["gevent"]["threading.thread_starter"].startswith("gevent"), facts["gevent"]
    assert facts["gevent"]["_thread.start_new_thread"].startswith("gevent"), facts["gevent"]
    assert facts["gevent"]["gevent_patched"] is True
    pids = {f["pid"] for f in facts.values()}
    assert len(pids) == len(facts), "each model must run in its own interpreter"


def test_every_pair_ran_or_was_skipped_with_a_reason(smoke_run: dict[str, Any]) -> None:
    manifest = load_json(smoke_run["dir"] / "run.json")
    unaccounted = []
    for model in MODELS:
        cases = manifest["backends"][model]["cases"]
        for name in [*WORKLOADS, *MICROS]:
            mine = [c for c in cases if name in (c.get("workload"), c.get("micro"))]
            if not mine:
                unaccounted.append(f"{model} x {name}: no case")
            for case in mine:
                if case["outcome"] == "passed":
                    continue
                if case["outcome"] == "skipped" and (case["reason"] or "").strip():
                    continue
                unaccounted.append(f"{model} x {name}: {case['id']} {case['outcome']} {case['reason']!r}")
    assert unaccounted == []


def test_nothing_is_left_running_after_a_run(smoke_run: dict[str, Any]) -> None:
    run_dir = str(smoke_run["dir"])
    leftovers = []
    for proc in psutil.process_iter(["cmdline", "create_time", "ppid"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        recent = (proc.info["create_time"] or 0) >= smoke_run["started"] - 1
        # A session names its run directory; an orphaned server was re-parented to init.
        orphan_server = "workloads.http_server" in cmdline and proc.info["ppid"] == 1
        if recent and (run_dir in cmdline or orphan_server):
            leftovers.append(cmdline)
    assert leftovers == []
    # Children older than the run (multiprocessing's resource tracker, say) are not its own.
    mine = [c for c in psutil.Process().children(recursive=True) if c.create_time() >= smoke_run["started"] - 1]
    assert mine == []


def test_smoke_profile_is_fast(smoke_run: dict[str, Any]) -> None:
    # A product promise checked with a wide margin: smoke is meant for under a minute.
    assert smoke_run["elapsed"] < 180, smoke_run["stdout"]


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [("--backends", "nope", "threads"), ("--workloads", "nope", "cpu_spin"), ("--profile", "nope", "quick")],
)
def test_bad_choice_exits_2_listing_valid_ones(tmp_path: Path, option: str, value: str, valid: str) -> None:
    proc = bench(option, value, "--results", str(tmp_path / "r"), timeout=60)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and valid in proc.stderr
    assert not (tmp_path / "r").exists(), "nothing may be created for a rejected command"


def test_unreachable_url_exits_2_naming_it_before_timing(tmp_path: Path) -> None:
    url = "http://127.0.0.1:1/"
    start = time.monotonic()
    proc = bench(
        "--profile", "smoke", "--workloads", "http_fetch", "--backends", "threads",
        "--http-url", url, "--results", str(tmp_path), timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert time.monotonic() - start < 30
    assert url in proc.stderr
    manifests = list(tmp_path.glob("*/*/run.json"))
    assert len(manifests) == 1
    manifest = load_json(manifests[0])
    assert manifest["status"] == "error" and url in manifest["error"]
    assert manifest["backends"] == {}
    assert not list(manifests[0].parent.glob("threads*.json"))


def test_an_interrupted_run_keeps_what_it_measured_and_leaves_nothing(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "bench", "--profile", "quick", "--backends", "sequential,threads",
            "--workloads", "sleep,http_fetch", "--results", str(tmp_path), "--no-report",
        ],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    outcomes: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not any(c["outcome"] == "passed" for c in outcomes):
        time.sleep(0.2)
        for path in tmp_path.glob("*/*/logs/sequential.0.outcomes.json"):
            try:
                outcomes = json.loads(path.read_text())
            except ValueError:
                continue
    runner = psutil.Process(proc.pid)
    family = [runner, *runner.children(recursive=True)]
    proc.terminate()
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, output
    manifest = load_json(next(tmp_path.glob("*/*/run.json")))
    assert manifest["status"] == "aborted"
    entry = manifest["backends"]["sequential"]
    assert entry["status"] == "interrupted"
    assert any(c["outcome"] == "passed" for c in entry["cases"])
    assert "threads" not in manifest["backends"]
    psutil.wait_procs(family, timeout=10)
    assert [p.pid for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []


def test_the_run_builds_its_report_and_rebuilds_it_from_json(smoke_run: dict[str, Any]) -> None:
    report = smoke_run["dir"] / "report"
    index = (report / "index.md").read_text()
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert pngs and all(f"({name})" in index for name in pngs)
    assert max(len(name) for name in pngs) <= 60, pngs
    assert (report / "summary.csv").stat().st_size > 0
    assert "## Claims checked" in index
    assert index.splitlines().index("## Answer") < 15
    shutil.rmtree(report)
    rebuilt = subprocess.run(
        [sys.executable, "-m", "reports", "build", str(smoke_run["dir"])],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert sorted(p.name for p in report.glob("*.png")) == pngs


def test_a_fixture_run_and_a_real_smoke_run_load_into_the_same_columns(smoke_run: dict[str, Any]) -> None:
    # The stored fixtures stand in for real runs in the report and compare tests: they
    # must have the shape a real run has today, for every case and model they hold.
    real = load_run(smoke_run["dir"]).frame
    fixture = load_run(FIXTURE_RUN).frame
    real_params, fixture_params = set(param_columns(real)), set(param_columns(fixture))
    assert set(real.columns) - real_params == set(fixture.columns) - fixture_params
    for (case, model), rows in fixture.groupby(["case", "backend"]):
        theirs = real[(real["case"] == case) & (real["backend"] == model)]
        assert not theirs.empty, (case, model)
        used = {c for c in real_params if theirs[c].notna().any()}
        assert used == {c for c in fixture_params if rows[c].notna().any()}, (case, model)


def test_prepare_run_names_the_valid_choices_and_loads_a_users_workload_once(tmp_path: Path) -> None:
    from bench.prepare import UnknownSelection, prepare_run, registered

    with pytest.raises(UnknownSelection, match=r"unknown workloads \['nope'\]; valid: .*sleep.*spawn"):
        registered(["sleep", "nope"])
    spec = tmp_path / "twice.py"
    spec.write_text(
        "from workloads.protocol import Workload\n"
        "WORKLOAD = Workload(name='twice', summary='one task', blocking=lambda i, params: i,\n"
        "                    check=lambda results, n_tasks, params: None,\n"
        "                    params={'smoke': {}, 'quick': {}, 'full': {}})\n"
    )
    try:
        assert registered([str(spec), "spawn"]) == (["twice"], ["spawn"])
        # The plugin resolves the selection at collection and again when it prepares the run.
        with prepare_run("smoke", [str(spec), "sleep"], {}, facts={}) as plan:
            assert (plan.workloads, plan.micros) == (["twice", "sleep"], [])
            assert plan.context.options == {}
    finally:
        from bench.prepare import _LOADED
        from workloads import WORKLOADS

        WORKLOADS.pop("twice", None)
        _LOADED.pop(str(spec), None)


def test_models_is_the_option_and_models_its_older_name() -> None:
    from bench.__main__ import parser

    assert parser().parse_args(["--models", "threads,asyncio"]).models == ["threads", "asyncio"]
    assert parser().parse_args(["--backends", "threads"]).models == ["threads"]
