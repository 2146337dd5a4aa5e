"""The interpreter as an axis: what a run records about its Python, runs under another
Python, runs of two Pythons told apart, the GIL premise, and the test matrix's logic."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench import machine, python_matrix, runner
from bench.interpreter import Interpreter, _requirement_name, required_distributions
from bench.models import MODELS, Model
from bench.plugin import isolation_facts, thread_starter_module
from reports.__main__ import main as reports_main
from reports.claims import Verdict, check_claims, claims_markdown
from reports.compare import fingerprint, interpreter_of, label_runs
from reports.load import load_run
from tests.test_claims import MANIFEST, physics, workload
from workloads.protocol import Form

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MACHINE_A = "amd-epyc-7b13-2c-3f9a1c"
COMPLETE = FIXTURES / "runs" / MACHINE_A / "20261121T090000Z"
INTERPRETER_KEYS = {
    "python_implementation",
    "python_version",
    "python_executable",
    "free_threaded",
    "gil_enabled",
    "jit_built",
    "jit_enabled",
}


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bench`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- gevent isolation on every Python ---------------------------------------------------------

_FACTS = "import json, bench.plugin; print(json.dumps(bench.plugin.isolation_facts()))"


@pytest.mark.parametrize("patched", [False, True])
def test_isolation_facts_see_gevent_patching_of_thread_start(patched: bool) -> None:
    # What the smoke run's isolation test reads: it must change when an interpreter is patched.
    code = ("from bench.gevent_patch import patch_everything; patch_everything(); " if patched else "") + _FACTS
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("threading.thread_starter", "_thread.start_new_thread"):
        assert facts[key] is not None, key
        assert facts[key].startswith("gevent") is patched, (key, facts[key])
    assert facts["socket.socket"].startswith("gevent") is patched
    # gevent's own declaration, merged in by the plugin: same keys as the results format names.
    assert facts["gevent_imported"] is patched and facts["gevent_patched"] is patched


class Patcher(Model):
    """A model that declares one isolation fact of its own."""

    name = "patcher"
    form = Form.BLOCKING
    summary = "declares what shows its patching"

    @classmethod
    def isolation_facts(cls) -> Mapping[str, Any]:
        return {"patcher_patched": "patcher_library" in sys.modules}


def test_isolation_facts_merge_the_declaration_of_every_registered_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "patcher", f"{__name__}:Patcher")
    facts = isolation_facts()
    assert facts["patcher_patched"] is False
    monkeypatch.setitem(sys.modules, "patcher_library", sys)
    assert isolation_facts()["patcher_patched"] is True
    assert {"gevent_imported", "gevent_patched", "socket.socket", "_thread.start_new_thread"} <= set(facts)


def test_thread_starter_is_none_when_threading_has_no_known_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert thread_starter_module() == "_thread"
    for name in ("_start_joinable_thread", "_start_new_thread"):
        monkeypatch.delattr(threading, name, raising=False)
    assert thread_starter_module() is None
    assert isolation_facts()["threading.thread_starter"] is None


# --- what a run records about its interpreter -----------------------------------------------


def test_machine_facts_name_the_interpreter_and_its_build() -> None:
    facts = machine.machine_facts()
    assert set(facts) >= INTERPRETER_KEYS
    assert facts["python_implementation"] == platform.python_implementation()
    assert facts["python_version"] == platform.python_version()
    assert facts["python_executable"] == sys.executable
    assert facts["free_threaded"] is bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    assert facts["python_build"].startswith(f"{platform.python_implementation()} {platform.python_version()}")


def test_a_free_threaded_build_without_the_gil_is_recorded_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var", lambda name: 1 if name == "Py_GIL_DISABLED" else real(name))
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    facts = machine.machine_facts()
    assert facts["free_threaded"] is True
    assert facts["gil_enabled"] is False
    assert "free-threaded" in facts["python_build"].split(" (")[0]
    # The GIL state is read when asked: a module that turns it back on shows.
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True)
    assert machine.interpreter_facts()["gil_enabled"] is True


def test_jit_is_reported_from_sys_jit_where_python_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    class Jit:
        @staticmethod
        def is_available() -> bool:
            return True

        @staticmethod
        def is_enabled() -> bool:
            return False

    monkeypatch.setattr(sys, "_jit", Jit, raising=False)
    assert (machine.jit_built(), machine.jit_enabled()) == (True, False)
    monkeypatch.delattr(sys, "_jit")
    real = sysconfig.get_config_var
    monkeypatch.setattr(
        sysconfig, "get_config_var", lambda n: "--enable-experimental-jit" if n == "CONFIG_ARGS" else real(n)
    )
    assert (machine.jit_built(), machine.jit_enabled()) == (True, None)


@pytest.fixture(scope="module")
def linked_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This venv's python reached through another path: ``--python`` has to re-run under it."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("needs the tests to run in a venv (make test makes one)")
    link = tmp_path_factory.mktemp("py") / "venv"
    link.symlink_to(sys.prefix, target_is_directory=True)
    return str(link / "bin" / Path(sys.executable).name)


def test_a_run_under_python_records_that_interpreter(tmp_path: Path, linked_python: str) -> None:
    proc = bench(
        "--python", linked_python, "--profile", "smoke", "--backends", "sequential", "--workloads", "sleep",
        "--results", str(tmp_path), "--no-report",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = next(tmp_path.glob("*/*/run.json")).parent
    manifest = json.loads((run_dir / "run.json").read_text())
    assert set(manifest["interpreter"]) >= INTERPRETER_KEYS
    # The run was made by the interpreter named, not the one that parsed the options.
    assert manifest["interpreter"]["python_executable"] == linked_python
    info = json.loads(next(run_dir.glob("sequential*.json")).read_text())["machine_info"]
    assert set(info) >= INTERPRETER_KEYS
    assert info["python_executable"] == linked_python
    assert info["python_version"] == platform.python_version()


def _fake_python(tmp_path: Path, version: list[int], missing: list[str]) -> str:
    """An executable that answers the probe as a Python of ``version`` lacking ``missing``."""
    answer = {
        "implementation": "CPython",
        "version": ".".join(map(str, version)) + ".0",
        "version_info": version,
        "free_threaded": False,
        "executable": "fake",
        "missing": missing,
    }
    path = tmp_path / "python"
    path.write_text(f"#!/bin/sh\necho '{json.dumps(answer)}'\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    ("version", "missing", "named"),
    [([3, 12], ["gevent", "pandas"], "lacks gevent, pandas"), ([3, 9], [], "needs Python 3.10 or newer")],
)
def test_a_python_that_cannot_run_exits_2_naming_why(
    tmp_path: Path, version: list[int], missing: list[str], named: str
) -> None:
    python = _fake_python(tmp_path, version, missing)
    proc = bench("--python", python, "--profile", "smoke", "--results", str(tmp_path / "r"), timeout=60)
    assert proc.returncode == 2
    assert named in proc.stderr and python in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists(), "nothing may be created for a rejected interpreter"


def test_a_path_that_is_no_python_exits_2(tmp_path: Path) -> None:
    proc = bench("--python", str(tmp_path), "--results", str(tmp_path / "r"), timeout=60)
    assert proc.returncode == 2 and "is not an executable file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_dependencies_checked_are_the_projects() -> None:
    names = required_distributions()
    assert {"gevent", "pandas", "pytest-benchmark"} <= set(names)
    assert "uvloop" not in names, "a platform-conditional dependency is optional"
    assert _requirement_name("pandas>=2.2.2") == "pandas"
    assert _requirement_name("uvloop>=0.19; sys_platform != 'win32'") == "uvloop"


def test_a_report_that_cannot_be_built_fails_the_run_and_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_popen = subprocess.Popen

    def failing_report(command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        if command[1:3] == ["-m", "reports"]:
            command = [sys.executable, "-c", "raise SystemExit(1)"]
        return real_popen(command, **kwargs)

    monkeypatch.setattr(runner.subprocess, "Popen", failing_report)
    options = runner.RunOptions(profile="smoke", models=["sequential"], workloads=["sleep"], results=tmp_path)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        code = runner.execute(options)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 1
    manifest = json.loads(next(tmp_path.glob("*/*/run.json")).read_text())
    assert manifest["status"] == "complete"
    assert list(next(tmp_path.glob("*/*/run.json")).parent.glob("sequential*.json"))


# --- two interpreters' runs told apart ---------------------------------------------------------


def _as_interpreter(run_dir: Path, build: str, version: str, gil: bool = True) -> None:
    """Rewrite a copied run's files as if another Python had made them."""
    for path in run_dir.glob("*.json"):
        data = json.loads(path.read_text())
        if "machine_info" in data:
            data["machine_info"].update(python_build=build, python_version=version, gil_enabled=gil)
            path.write_text(json.dumps(data))


def test_runs_of_two_interpreters_on_one_machine_are_told_apart_by_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / MACHINE_A / "20261121T090000Z", tmp_path / MACHINE_A / "20261122T090000Z"
    shutil.copytree(COMPLETE, old)
    shutil.copytree(COMPLETE, new)
    _as_interpreter(new, "CPython 3.12.1 (main, Jan 1 2026 10:00:00) GCC 12.2.0", "3.12.1")
    runs = [load_run(old), load_run(new)]
    compared = label_runs(runs, runs[0])
    labels = [c.label for c in compared]
    assert labels[0].endswith("(CPython 3.11.7)") and labels[1].endswith("(CPython 3.12.1)")
    assert compared[0].fingerprint != compared[1].fingerprint, "another Python is not the same machine+python"
    out = tmp_path / "out"
    assert reports_main(["compare", str(old), str(new), "--out", str(out)]) == 0
    assert "(2 runs on 1 machine under 2 Pythons," in capsys.readouterr().out
    index = (out / "index.md").read_text()
    assert f"### `{labels[1]}` / `{labels[0]}`" in index
    ratios = pd.read_csv(out / "ratios.csv")
    assert set(ratios["run"]) == {labels[1]} and set(ratios["baseline"]) == {labels[0]}


def test_a_free_threaded_run_without_the_gil_says_so_in_its_label(tmp_path: Path) -> None:
    run = tmp_path / MACHINE_A / "20261122T090000Z"
    shutil.copytree(COMPLETE, run)
    _as_interpreter(run, "CPython 3.13.0 free-threaded (main, Oct 7 2026) GCC 12.2.0", "3.13.0", gil=False)
    data = load_run(run)
    assert interpreter_of(data.machine) == "CPython 3.13.0 free-threaded, GIL off"
    assert fingerprint(data.machine) != fingerprint(load_run(COMPLETE).machine)


def test_a_file_without_python_build_is_named_by_its_version() -> None:
    assert interpreter_of({"python_version": "3.10.13"}) == "Python 3.10.13"
    assert interpreter_of({"cpu_model": "x"}) is None


# --- the GIL premise of the cpu_spin claim ------------------------------------------------------


def _cpu_spin(threads_s: float, gil: bool | None) -> pd.DataFrame:
    rows = [r for r in physics() if r["case"] != "cpu_spin"]
    rows += [
        workload("cpu_spin", "sequential", 10, 0.12, 0.06),
        workload("cpu_spin", "threads", 10, threads_s, 0.06),
        workload("cpu_spin", "process_pool", 10, 0.07, 0.06),
    ]
    for r in rows:
        r["gil_enabled"] = gil
    return pd.DataFrame(rows)


def _threads_claim(frame: pd.DataFrame) -> Verdict:
    (found,) = [v for v in check_claims(frame, MANIFEST) if v.id == "threads_do_not_parallelise_python"]
    return found


@pytest.mark.parametrize(
    ("threads_s", "gil", "holds"),
    [
        (0.13, True, True),  # with the GIL, threads gain nothing: as claimed
        (0.07, True, False),  # with the GIL, threads gaining would contradict it
        (0.13, False, False),  # without the GIL, threads gaining nothing is the finding
        (0.07, False, True),  # without the GIL, threads gain as a process pool does
        (0.13, None, True),  # a file that does not say: the GIL is assumed
    ],
)
def test_the_cpu_spin_claim_is_judged_against_its_gil_premise(threads_s: float, gil: bool | None, holds: bool) -> None:
    verdict = _threads_claim(_cpu_spin(threads_s, gil))
    assert verdict.holds is holds, verdict
    assert ("without the GIL" in verdict.claim) is (gil is False)


def test_the_report_states_the_premise_and_the_flip() -> None:
    with_gil = "\n".join(claims_markdown(check_claims(_cpu_spin(0.13, True), MANIFEST)))
    free = "\n".join(claims_markdown(check_claims(_cpu_spin(0.07, False), MANIFEST)))
    assert "CPU-bound Python with the GIL: OS threads (threads) gain under 1.2x over sequential" in with_gil
    assert "free-threaded build, so the usual claim flips" in free and "(threads) gain at least 1.5x" in free


# --- the test matrix ------------------------------------------------------------------------------


def _found(version: str, free: bool = False, implementation: str = "CPython") -> Interpreter:
    major, minor = (int(p) for p in version.split(".")[:2])
    return Interpreter(f"/py/{version}{'t' if free else ''}", implementation, version, (major, minor), free)


def test_the_claimed_versions_come_from_pyproject() -> None:
    text = '[project]\nrequires-python = ">=3.10"\nclassifiers = [\n'
    text += "".join(f'  "Programming Language :: Python :: 3.{m}",\n' for m in (9, 10, 12))
    assert python_matrix.claimed_minors(text + "]\n") == [(3, 10), (3, 12)]
    assert python_matrix.claimed_minors('requires-python = ">=3.11"\n') == [(3, 11)]
    assert python_matrix.claimed_minors((REPO / "pyproject.toml").read_text()) == [(3, 10), (3, 11), (3, 12), (3, 13)]


def test_the_matrix_keeps_the_newest_cpython_of_each_minor_and_builds_apart() -> None:
    chosen = python_matrix.select(
        [
            _found("3.11.4"), _found("3.11.7"), _found("3.9.18"), _found("3.10.13", implementation="PyPy"),
            _found("3.13.0"), _found("3.13.0", free=True), _found("3.12.1"),
        ]
    )  # fmt: skip
    assert list(chosen) == ["3.11", "3.12", "3.13", "3.13t"]
    assert chosen["3.11"].version == "3.11.7"


def test_a_claimed_version_not_found_is_named_missing() -> None:
    found = [_found("3.11.7"), _found("3.13.0", free=True)]
    assert python_matrix.missing_claims([(3, 10), (3, 11), (3, 13)], found) == ["3.10", "3.13"]


def test_the_matrix_prints_missing_claims(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(python_matrix, "discover", lambda paths: {"3.11": _found("3.11.7")})
    assert python_matrix.main(["--list"]) == 0
    assert python_matrix.main(["--list", "--strict"]) == 1
    out = capsys.readouterr().out
    for tag in ("3.10", "3.12", "3.13"):
        assert f"{tag:<6} MISSING: no CPython {tag}" in out
    assert "3.11   CPython 3.11.7" in out


def test_the_matrix_finds_pyenv_versions(tmp_path: Path) -> None:
    for version in ("3.10.13", "3.12.1"):
        python = tmp_path / "versions" / version / "bin" / "python3"
        python.parent.mkdir(parents=True)
        python.write_text("#!/bin/sh\n")
        python.chmod(0o755)
    found = python_matrix.candidates(path_env=str(tmp_path / "empty"), pyenv_root=tmp_path)
    assert found == [str(tmp_path / "versions" / v / "bin" / "python3") for v in ("3.10.13", "3.12.1")]


@pytest.mark.parametrize(
    ("output", "counts"),
    [
        ("....\n120 passed, 2 skipped in 301.20s (0:05:01)\n", {"passed": 120, "skipped": 2}),
        ("F\n== 1 failed, 99 passed, 1 error in 12.5s ==\nmake: *** Error 1", {"failed": 1, "passed": 99, "errors": 1}),
        ("ERROR: could not install\n", {}),
    ],
)
def test_pytest_summary_is_read(output: str, counts: dict[str, int]) -> None:
    assert python_matrix.parse_counts(output) == counts


def test_a_failed_or_countless_run_is_not_ok(tmp_path: Path) -> None:
    found = _found("3.12.1")
    assert python_matrix.Outcome(found, 0, {"passed": 3}, 1.0, tmp_path).ok
    assert not python_matrix.Outcome(found, 0, {"passed": 3, "failed": 1}, 1.0, tmp_path).ok
    assert not python_matrix.Outcome(found, 2, {}, 1.0, tmp_path).ok
    line = python_matrix.outcome_line(python_matrix.Outcome(found, 2, {}, 1.0, tmp_path))
    assert "3.12" in line and "FAILED (exit 2" in line


# --- make PYTHON=... -------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_python_picks_a_venv_of_its_own_and_refuses_a_non_python(tmp_path: Path) -> None:
    tag = f"{sys.version_info[0]}.{sys.version_info[1]}" + ("t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "")
    dry = subprocess.run(
        ["make", "-n", "bench", f"PYTHON={sys.executable}"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    assert f".venv-{tag}/bin/python -m bench" in dry.stdout
    bad = subprocess.run(
        ["make", "-n", "bench", f"PYTHON={tmp_path / 'nope'}"],
        cwd=REPO, capture_output=True, text=True, timeout=60, env={**os.environ, "MAKEFLAGS": ""},
    )  # fmt: skip
    assert bad.returncode == 2
    assert f"PYTHON={tmp_path / 'nope'} is not a Python 3.10 or newer" in bad.stderr


def test_a_failed_runs_failing_tests_and_their_messages_are_printed() -> None:
    log = "\n".join(
        [
            "....F.",
            "    def test_x():",
            ">       assert 1 == 2",
            "E       assert 1 == 2",
            "",
            "FAILED tests/test_a.py::test_x - assert 1 == 2",
        ]
        + [f"E   line {i}" for i in range(50)]
    )
    lines = python_matrix.failure_lines(log, most=5)
    assert lines[:2] == ["E       assert 1 == 2", "FAILED tests/test_a.py::test_x - assert 1 == 2"]
    assert len(lines) == 6 and lines[-1] == "... 47 more lines in the log"
    assert python_matrix.failure_lines("12 passed in 3.0s") == []
