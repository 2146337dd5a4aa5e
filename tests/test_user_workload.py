"""The user's own workload: loaded from a file or module:attribute, run across models, refused clearly when broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "sqlite_query.py"

#: A minimal workload file, as the README shows one; ``{answer}`` is what a task returns.
TEMPLATE = """
from workloads import Workload, WrongAnswer

def task(i, params):
    return {answer}

def check(results, n_tasks, params):
    if results != [i * 2 for i in range(n_tasks)]:
        raise WrongAnswer(f"doubling: got {{results[:3]}}")

WORKLOAD = Workload(
    name="doubling", summary="returns twice its index", blocking=task, check=check,
    params={{"smoke": {{}}, "quick": {{}}, "full": {{}}}},
)
"""


def bench(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bench`` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def only_run(results: Path) -> Path:
    (run,) = sorted(results.glob("*/*/run.json"))
    return run.parent


def benchmarks(run: Path) -> list[dict[str, Any]]:
    return [b for f in sorted(run.glob("*.json")) if f.name not in ("run.json", "calibration.json")
            for b in json.loads(f.read_text())["benchmarks"]]  # fmt: skip


def test_the_example_runs_across_models_and_builds_a_report(tmp_path: Path) -> None:
    results = tmp_path / "results"
    proc = bench(
        "--profile", "smoke", "--backends", "sequential,threads,processes,generators,asyncio",
        "--workloads", str(EXAMPLE.relative_to(REPO)), "--results", str(results),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = only_run(results)
    ran = {(b["extra_info"]["backend"], b["extra_info"]["n_tasks"]) for b in benchmarks(run)}
    assert ran == {(m, n) for m in ("sequential", "threads", "processes", "asyncio") for n in (1, 10)}
    assert all(b["extra_info"]["workload"] == "sqlite_query" for b in benchmarks(run))
    assert all("database" not in b["extra_info"] for b in benchmarks(run)), "a temporary path is not a parameter"
    manifest = json.loads((run / "run.json").read_text())
    skipped = manifest["backends"]["generators"]["cases"]
    assert skipped and all(c["outcome"] == "skipped" and "no generator form" in c["reason"] for c in skipped)
    assert "sqlite_query" in (run / "report" / "index.md").read_text()


def test_a_module_attribute_spec_is_loaded_in_every_session(tmp_path: Path) -> None:
    package = tmp_path / "mine"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "double.py").write_text(TEMPLATE.format(answer="i * 2"))
    proc = bench(
        "--profile", "smoke", "--backends", "sequential,threads", "--workloads", "mine.double:WORKLOAD",
        "--results", str(tmp_path / "results"), "--no-report", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(benchmarks(only_run(tmp_path / "results"))) == 4


BROKEN = {
    "import_error": ("import no_such_module_anywhere\n", "failed to import: ModuleNotFoundError"),
    "syntax_error": ("def broken(:\n", "failed to import: SyntaxError"),
    "no_workload": ("X = 1\n", "defines no WORKLOAD"),
    "not_a_workload": ("WORKLOAD = {'name': 'x'}\n", "not a workloads.Workload"),
    "no_params": (TEMPLATE.format(answer="i * 2").replace('"full": {}', ""), "no parameters for profile full"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_workload_file_exits_2_naming_it(tmp_path: Path, case: str) -> None:
    source, what = BROKEN[case]
    path = tmp_path / f"{case}.py"
    path.write_text(source)
    proc = bench("--profile", "smoke", "--workloads", str(path), "--results", str(tmp_path / "results"), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert str(path) in proc.stderr and what in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists(), "nothing may be created for a rejected workload"


def test_a_missing_workload_file_exits_2_naming_it(tmp_path: Path) -> None:
    proc = bench("--workloads", str(tmp_path / "absent.py"), "--results", str(tmp_path / "results"), timeout=60)
    assert proc.returncode == 2 and "absent.py: no such file" in proc.stderr


def test_a_workload_whose_check_fails_is_a_failed_case_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "wrong.py"
    path.write_text(TEMPLATE.format(answer="i * 2 + 1"))
    results = tmp_path / "results"
    proc = bench(
        "--profile", "smoke", "--backends", "sequential", "--workloads", str(path),
        "--results", str(results), "--no-report",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = only_run(results)
    cases = json.loads((run / "run.json").read_text())["backends"]["sequential"]["cases"]
    assert cases and all(c["outcome"] == "failed" and "doubling: got" in c["reason"] for c in cases)
    assert benchmarks(run) == []


def test_a_workload_file_runs_on_models_whose_workers_are_fresh_interpreters(tmp_path: Path) -> None:
    # loky's workers and a dask cluster's cannot import a file loaded under a name of
    # this interpreter's; its tasks travel by value instead of failing to unpickle.
    results = tmp_path / "results"
    proc = bench(
        "--profile", "smoke", "--backends", "joblib,dask", "--workloads", str(EXAMPLE.relative_to(REPO)),
        "--results", str(results), "--no-report",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = {(b["extra_info"]["backend"], b["extra_info"]["n_tasks"]) for b in benchmarks(only_run(results))}
    assert ran == {(m, n) for m in ("joblib", "dask") for n in (1, 10)}


#: A workload file that records a reading of its own beside its time, and declares it for the report.
WITH_READING = """
from workloads import Workload, WrongAnswer
from workloads.report_spec import Reading, ReportSpec


class Widgets:
    def __init__(self, params, context):
        self.n_tasks, self.rounds = params["n_tasks"], 0

    def before(self):
        pass

    def after(self):
        self.rounds += 1

    def extra_info(self):
        return {"widgets": 1000 * self.n_tasks + self.rounds}


def task(i, params):
    return i * 2


def check(results, n_tasks, params):
    if results != [i * 2 for i in range(n_tasks)]:
        raise WrongAnswer(f"widgets: got {results[:3]}")


WORKLOAD = Workload(
    name="widget_count", summary="returns twice its index and counts widgets", blocking=task, check=check,
    params={"smoke": {}, "quick": {}, "full": {}}, meter=Widgets,
    report=ReportSpec(heading="what the widgets say", readings=(Reading("widgets", "widgets made", "count"),)),
)
"""


def test_a_workloads_declared_reading_shows_in_the_report_and_splits_no_chart(tmp_path: Path) -> None:
    from reports import load_run

    path = tmp_path / "widget_count.py"
    path.write_text(WITH_READING)
    results = tmp_path / "results"
    proc = bench(
        "--profile", "smoke", "--backends", "sequential,threads", "--workloads", str(path), "--results", str(results),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = only_run(results)
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["workloads"]["widget_count"]["readings"] == [
        {"key": "widgets", "name": "widgets made", "unit": "count"}
    ]
    frame = load_run(run).frame
    assert frame["config"].nunique() == 1, "a reading that differs per case is not a parameter"
    index = (run / "report" / "index.md").read_text()
    assert "### widget_count: what the widgets say" in index
    table = index.split("### widget_count: what the widgets say", 1)[1]
    assert "| widgets made |" in table
    at_ten = frame[frame["n_tasks"] == 10]
    assert sorted(at_ten["backend"]) == ["sequential", "threads"]
    for r in at_ten.itertuples():
        line = next(line for line in table.splitlines() if line.startswith(f"| {r.series} |"))
        assert f"| {r.reading_widgets:g} |" in line, line


#: A workload file whose meter records a per-round reading that no workload declares;
#: ``{name}`` names it, ``{meter}`` is ``Gadgets`` or ``None``.
UNDECLARED_READING = """
from workloads import Workload, WrongAnswer


class Gadgets:
    def __init__(self, params, context):
        self.n_tasks, self.rounds = params["n_tasks"], 0

    def before(self):
        pass

    def after(self):
        self.rounds += 1

    def extra_info(self):
        return {{"gadgets": 1000 * self.n_tasks + self.rounds}}


def task(i, params):
    return i * 2


def check(results, n_tasks, params):
    if results != [i * 2 for i in range(n_tasks)]:
        raise WrongAnswer(f"gadgets: got {{results[:3]}}")


WORKLOAD = Workload(
    name="{name}", summary="returns twice its index", blocking=task, check=check,
    params={{"smoke": {{}}, "quick": {{}}, "full": {{}}}}, meter={meter},
)
"""


def test_a_reading_no_workload_declares_is_a_measurement_and_splits_no_chart(tmp_path: Path) -> None:
    from reports import load_run
    from reports.load import param_columns

    metered, plain = tmp_path / "gadget_count.py", tmp_path / "no_gadgets.py"
    metered.write_text(UNDECLARED_READING.format(name="gadget_count", meter="Gadgets"))
    plain.write_text(UNDECLARED_READING.format(name="no_gadgets", meter="None"))
    results = tmp_path / "results"
    proc = bench(
        "--profile", "smoke", "--backends", "sequential", "--workloads", f"{metered},{plain}",
        "--results", str(results),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = only_run(results)
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["workloads"]["gadget_count"]["readings"] == []
    recorded = [b["extra_info"] for b in benchmarks(run) if b["extra_info"]["workload"] == "gadget_count"]
    assert recorded and all("gadgets" in info["measured"] for info in recorded)
    frame = load_run(run).frame
    ours = frame[frame["workload"] == "gadget_count"]
    assert "gadgets" not in param_columns(frame)
    assert ours["reading_gadgets"].notna().all() and ours["reading_gadgets"].nunique() == len(ours)
    assert ours["config"].nunique() == 1, "a reading that differs per case is not a parameter"
    charts = sorted(p.name for p in (run / "report").glob("*.png"))
    with_reading = [name.removeprefix("gadget_count") for name in charts if name.startswith("gadget_count")]
    without = [name.removeprefix("no_gadgets") for name in charts if name.startswith("no_gadgets")]
    assert with_reading and with_reading == without, charts
