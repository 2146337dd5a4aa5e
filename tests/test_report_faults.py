"""Faults and bad input on the reports side: nothing lost, nothing destroyed, no traceback.

Each test feeds `python -m reports` (or `python -m bench.bare_loops --compare`) what a
careless or hostile user could: an output directory holding someone's data, a file, the
current directory, a place that cannot be written; a run.json of the wrong shape;
times that are zero, negative, NaN, infinite or near the float limit; names of models
and workloads the run never recorded; two user servers on loopback; runs that share no
case; a Ctrl-C while the report is written. Runs are small synthetic ones written
here, or copies of the stored fixtures, always under tmp_path.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from bench import bare_loops
from reports import charts
from reports.__main__ import main
from reports.output import OWNER_FILE
from reports.units import fmt_ratio

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MACHINE = "amd-epyc-7b13-2c-3f9a1c"
COMPLETE = FIXTURES / "runs" / MACHINE / "20261121T090000Z"
SLEEP_S = 0.01
#: A ratio printed as negative or as zero: `-1.00x`, `0x`, `0.00x` (never a real ratio).
BAD_RATIO = re.compile(r"(?<![\w.])(-\d[\d.]*x|0(\.0+)?x)(?!\w)")


# --- synthetic runs ----------------------------------------------------------------------


def entry(model: str, case: str, n_tasks: int, samples: list[float], **params: Any) -> dict[str, Any]:
    """One pytest-benchmark entry of a workload case with the given per-round samples."""
    ordered = sorted(samples)
    series = pd.Series(ordered)
    q1, q3 = float(series.quantile(0.25)), float(series.quantile(0.75))
    return {
        "name": f"test_workload[{case}-{model}-{n_tasks}]",
        "extra_info": {
            "backend": model,
            "variant": None,
            "profile": "quick",
            "n_tasks": n_tasks,
            "workload": case,
            "ideal_s": SLEEP_S,
            **params,
        },
        "stats": {
            "min": ordered[0],
            "max": ordered[-1],
            "mean": sum(ordered) / len(ordered),
            "stddev": float(series.std()) if len(ordered) > 1 else 0.0,
            "rounds": len(ordered),
            "median": float(series.median()),
            "iqr": q3 - q1,
            "q1": q1,
            "q3": q3,
            "data": samples,
        },
    }


def sleepers(model: str, per_task_s: float, **params: Any) -> list[dict[str, Any]]:
    """`sleep` entries at 1 and 10 tasks: a model that takes `per_task_s` more per task."""
    return [
        entry(model, "sleep", n, [SLEEP_S + n * per_task_s * (1 + k / 100) for k in range(5)], **params)
        for n in (1, 10)
    ]


def write_run(run_dir: Path, entries: Iterable[dict[str, Any]], manifest: bool = True) -> Path:
    """Write `entries` as a run: one `<model>.json` per model and a run.json recording them."""
    run_dir.mkdir(parents=True)
    by_model: dict[str, list[dict[str, Any]]] = {}
    for bench in entries:
        by_model.setdefault(bench["extra_info"]["backend"], []).append(bench)
    info = {"machine_id": run_dir.parent.name, "cpu_model": "Test CPU", "cpu_count": 2, "memory_bytes": 2**33}
    for model, benchmarks in by_model.items():
        document = {"machine_info": info, "benchmarks": benchmarks, "session": {"backend": model}}
        (run_dir / f"{model}.json").write_text(json.dumps(document), encoding="utf-8")
    if manifest:
        models = {
            model: {
                "status": "ok",
                "cases": [
                    {
                        "id": b["name"],
                        "workload": b["extra_info"]["workload"],
                        "micro": None,
                        "n_tasks": b["extra_info"]["n_tasks"],
                        "outcome": "passed",
                        "reason": None,
                    }
                    for b in benchmarks
                ],
            }
            for model, benchmarks in by_model.items()
        }
        document = {"run_id": run_dir.name, "machine_id": run_dir.parent.name, "status": "complete"}
        (run_dir / "run.json").write_text(json.dumps({**document, "backends": models}), encoding="utf-8")
    return run_dir


def small_run(tmp_path: Path, name: str = "20261125T000000Z") -> Path:
    """A run of sequential and threads sleeping at 1 and 10 tasks."""
    return write_run(tmp_path / MACHINE / name, [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002)])


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path -> bytes), hidden ones included."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """Run `python -m reports` in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def one_line_error(err: str, *names: str) -> None:
    """Assert `err` is one line, no traceback, naming each of `names`."""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for name in names:
        assert name in err, (name, err)


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    """Two small runs of one machine, the second a little slower."""
    first = small_run(tmp_path / "results", "20261125T000000Z")
    second = write_run(
        tmp_path / "results" / MACHINE / "20261125T010000Z",
        [*sleepers("sequential", SLEEP_S * 1.1), *sleepers("threads", 0.00022)],
    )
    return first, second


# --- item: compare --out never destroys what the tool did not write ------------------------


def test_compare_refuses_an_out_dir_holding_data_it_did_not_write(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    shutil.copytree(two_runs[0], out / "a-run")
    before = snapshot(out)
    code, _, err = run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(out)])
    assert code == 2
    one_line_error(err, str(out), "not empty")
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".mine-*"))


def test_compare_refuses_an_out_that_is_a_file(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    out = tmp_path / "results.txt"
    out.write_text("keep me")
    code, _, err = run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(out)])
    assert code == 2
    one_line_error(err, str(out), "is a file")
    assert out.read_text() == "keep me"


def test_compare_refuses_the_current_directory(
    tmp_path: Path, two_runs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    # Even empty, the current directory is not replaced: the shell would be left in a deleted one.
    code, _, err = run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", "."])
    assert code == 2
    one_line_error(err, "current directory")
    (here / "notes.txt").write_text("mine")
    code, _, err = run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", "."])
    assert code == 2
    one_line_error(err)
    assert [p.name for p in here.iterdir()] == ["notes.txt"]


def test_compare_to_a_place_that_cannot_be_written_is_one_line(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    targets = [blocker / "out"]
    if Path("/proc/self").is_dir():
        targets.append(Path("/proc/x"))
    for target in targets:
        code, _, err = run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(target)])
        assert code == 2, target
        one_line_error(err, str(target))
    assert blocker.read_text() == "x"


def test_compare_writes_into_a_new_or_empty_directory_and_replaces_its_own(
    tmp_path: Path, two_runs: tuple[Path, Path]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(empty)])[0] == 0
    assert (empty / "index.md").is_file() and (empty / OWNER_FILE).is_file()
    first = snapshot(empty)
    # An earlier comparison written by the tool, unchanged, is replaced.
    assert run_main(["compare", str(two_runs[1]), str(two_runs[0]), "--out", str(empty)])[0] == 0
    assert snapshot(empty) != first
    assert "baseline `amd-epyc-7b13-2c-3f9a1c/20261125T010000Z`" in (empty / "index.md").read_text()
    assert not list(tmp_path.glob(".empty-*"))


def test_compare_refuses_its_own_output_once_someone_added_or_edited_a_file(
    tmp_path: Path, two_runs: tuple[Path, Path]
) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(out)]
    assert run_main(argv)[0] == 0
    (out / "my-notes.md").write_text("findings")
    before = snapshot(out)
    code, _, err = run_main(argv)
    assert code == 2
    one_line_error(err, "my-notes.md")
    assert snapshot(out) == before
    (out / "my-notes.md").unlink()
    (out / "index.md").write_text((out / "index.md").read_text() + "\nmy edit\n")
    before = snapshot(out)
    code, _, err = run_main(argv)
    assert code == 2
    one_line_error(err, "index.md", "changed")
    assert snapshot(out) == before


def test_compare_replaces_a_comparison_written_before_owner_records_only(
    tmp_path: Path, two_runs: tuple[Path, Path]
) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(out)]
    assert run_main(argv)[0] == 0
    (out / OWNER_FILE).unlink()
    assert run_main(argv)[0] == 0
    # The same file names under someone else's heading are not a comparison.
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.md").write_text("# my lab book\n")
    (other / "ratios.csv").write_text("a,b\n1,2\n")
    before = snapshot(other)
    assert run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(other)])[0] == 2
    assert snapshot(other) == before


def test_a_comparison_under_the_results_root_is_not_taken_for_a_run(
    tmp_path: Path, two_runs: tuple[Path, Path]
) -> None:
    root = tmp_path / "results"
    assert run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(root / "my-comparison")])[0] == 0
    code, _, err = run_main(["build", str(root / "my-comparison")])
    assert code == 2
    one_line_error(err, "holds no benchmark JSON")
    out = tmp_path / "again"
    assert run_main(["compare", str(root), "--out", str(out)])[0] == 0
    assert "20261125T010000Z` / `" in (out / "index.md").read_text()


def test_compare_does_not_replace_a_run_report(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    assert run_main(["build", str(two_runs[0])])[0] == 0
    report = two_runs[0] / "report"
    before = snapshot(report)
    code, _, err = run_main(["compare", str(two_runs[0]), str(two_runs[1]), "--out", str(report)])
    assert code == 2
    one_line_error(err, "not a comparison")
    assert snapshot(report) == before


def test_build_refuses_a_report_dir_holding_a_file_it_did_not_write(tmp_path: Path) -> None:
    run = small_run(tmp_path)
    assert run_main(["build", str(run)])[0] == 0
    (run / "report" / "notes.md").write_text("my reading of the charts")
    before = snapshot(run)
    code, _, err = run_main(["build", str(run)])
    assert code == 2
    one_line_error(err, "notes.md")
    assert snapshot(run) == before
    shutil.rmtree(run / "report")
    (run / "report").write_text("a file named report")
    code, _, err = run_main(["build", str(run)])
    assert code == 2
    one_line_error(err, "report")
    assert (run / "report").read_text() == "a file named report"


# --- item: reports build gives one-line errors, never a traceback --------------------------


def test_run_json_with_models_as_a_list_is_one_line_naming_it(tmp_path: Path) -> None:
    run = small_run(tmp_path)
    manifest = json.loads((run / "run.json").read_text())
    manifest["backends"] = list(manifest["backends"])
    (run / "run.json").write_text(json.dumps(manifest))
    code, _, err = run_main(["build", str(run)])
    assert code == 2
    one_line_error(err, "run.json", "'backends' is a list")
    assert not (run / "report").exists()


def _set_times(bench: dict[str, Any], value: float) -> None:
    """Make every time of a benchmark `value` (its statistics and its samples)."""
    stats = bench["stats"]
    for key in ("min", "max", "mean", "median", "q1", "q3"):
        stats[key] = value
    stats["data"] = [value] * len(stats["data"])


BAD_TIMES = {"zero": 0.0, "negative": -0.01, "nan": math.nan, "inf": math.inf, "near-float-limit": 1e308}


@pytest.mark.parametrize("value", BAD_TIMES.values(), ids=BAD_TIMES.keys())
def test_a_time_that_is_no_measurement_is_left_out_and_listed(tmp_path: Path, value: float) -> None:
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002), *sleepers("asyncio", 0.0001)]
    bad = next(b for b in benches if b["extra_info"]["backend"] == "threads" and b["extra_info"]["n_tasks"] == 10)
    _set_times(bad, value)
    run = write_run(tmp_path / MACHINE / "20261125T000000Z", benches)
    code, _, err = run_main(["build", str(run)])
    assert code == 0, err
    index = (run / "report" / "index.md").read_text()
    line = next(line for line in index.splitlines() if line.startswith("- Left out of the report: threads.json"))
    assert bad["name"] in line
    summary = pd.read_csv(run / "report" / "summary.csv")
    assert bad["name"] not in set(summary["name"])
    assert len(summary) == len(benches) - 1


def test_a_negative_spread_or_ideal_is_left_out(tmp_path: Path) -> None:
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002)]
    benches[0]["stats"]["stddev"] = -1.0
    benches[1]["extra_info"]["ideal_s"] = -0.01
    run = write_run(tmp_path / MACHINE / "20261125T000000Z", benches)
    assert run_main(["build", str(run)])[0] == 0
    summary = pd.read_csv(run / "report" / "summary.csv")
    assert set(summary["name"]) == {b["name"] for b in benches[2:]}


def test_a_run_of_zero_times_only_is_one_line_naming_the_file(tmp_path: Path) -> None:
    benches = sleepers("threads", 0.0002)
    for bench in benches:
        _set_times(bench, 0.0)
    run = write_run(tmp_path / MACHINE / "20261125T000000Z", benches)
    code, _, err = run_main(["build", str(run)])
    assert code == 2
    one_line_error(err, "threads.json", "no usable benchmark")
    assert not (run / "report").exists()


def test_an_interrupt_while_rendering_exits_130_and_keeps_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = small_run(tmp_path)
    assert run_main(["build", str(run)])[0] == 0
    before = snapshot(run)

    def interrupted(_frame: pd.DataFrame) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(charts, "heatmap_figure", interrupted)
    try:
        code, _, err = run_main(["build", str(run)])
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped main() as a traceback")
    assert code == 130
    one_line_error(err, "interrupted")
    assert snapshot(run) == before


def test_sigint_to_a_real_build_exits_130_and_keeps_the_report(tmp_path: Path) -> None:
    run = shutil.copytree(COMPLETE, tmp_path / MACHINE / COMPLETE.name)
    assert run_main(["build", str(run)])[0] == 0
    before = snapshot(run)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reports", "build", str(run)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The staging directory appears once the run is read and charts are being drawn.
        deadline = time.monotonic() + 60
        while not list(run.glob(".report-new-*")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "the build ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    one_line_error(err, "interrupted")
    assert snapshot(run) == before
    assert not list(run.glob(".report-*"))


# --- item: bare_loops --compare on a corrupt run ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"benchmarks": [{"name": "x", "extra_in',
        "[1, 2]",
        '{"benchmarks": [{"extra_info": {"micro": "spawn", '
        '"ops_per_round": 10}, "stats": {"median": "fast", "min": 1}}]}',
    ],
    ids=["truncated", "not-an-object", "median-not-a-number"],
)
def test_bare_loops_compare_with_a_corrupt_run_is_one_line(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "threads.json").write_text(text)
    assert bare_loops.main(["--compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    one_line_error(err, "threads.json")


# --- item: names the run did not record are not charted ------------------------------------


def test_unknown_model_and_workload_are_listed_not_charted(tmp_path: Path) -> None:
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002)]
    run = write_run(tmp_path / MACHINE / "20261125T000000Z", benches)
    document = json.loads((run / "threads.json").read_text())
    document["benchmarks"][0]["extra_info"]["backend"] = "bogus_model"
    document["benchmarks"][1]["extra_info"]["workload"] = "bogus_work"
    (run / "threads.json").write_text(json.dumps(document))
    assert run_main(["build", str(run)])[0] == 0
    index = (run / "report" / "index.md").read_text()
    unknown = [line for line in index.splitlines() if line.startswith("- Unknown, not charted:")]
    assert len(unknown) == 2
    assert any("'bogus_model'" in line for line in unknown)
    assert any("'bogus_work'" in line for line in unknown)
    summary = pd.read_csv(run / "report" / "summary.csv")
    assert "bogus_model" not in set(summary["backend"])
    assert "bogus_work" not in set(summary["case"])
    assert "bogus" not in index.replace(unknown[0], "").replace(unknown[1], "")


def test_a_model_the_run_recorded_is_known_whatever_its_name(tmp_path: Path) -> None:
    # No list in the reports names "trio_nursery": the run's manifest does.
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("trio_nursery", 0.0001)]
    run = write_run(tmp_path / MACHINE / "20261125T000000Z", benches)
    assert run_main(["build", str(run)])[0] == 0
    summary = pd.read_csv(run / "report" / "summary.csv")
    assert "trio_nursery" in set(summary["backend"])
    assert "Unknown, not charted" not in (run / "report" / "index.md").read_text()


def test_without_a_manifest_the_json_sessions_name_the_models(tmp_path: Path) -> None:
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002)]
    run = write_run(tmp_path / MACHINE / "20261125T000000Z", benches, manifest=False)
    document = json.loads((run / "threads.json").read_text())
    document["benchmarks"][0]["extra_info"]["backend"] = "bogus_model"
    (run / "threads.json").write_text(json.dumps(document))
    assert run_main(["build", str(run)])[0] == 0
    summary = pd.read_csv(run / "report" / "summary.csv")
    assert set(summary["backend"]) == {"sequential", "threads"}


# --- item: URLs of user servers on loopback keep their port ---------------------------------


def _http_run(root: Path, run_id: str, url: str, own_base: str | None = None) -> Path:
    """A run of sleep (shared) and http_fetch against `url`; `own_base`: the server the run started, as recorded."""
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002, url=url)]
    for bench in benches[2:]:
        bench["extra_info"]["workload"] = "http_fetch"
        bench["name"] = bench["name"].replace("sleep", "http_fetch")
    run_dir = write_run(root / MACHINE / run_id, benches)
    if own_base is not None:
        manifest = json.loads((run_dir / "run.json").read_text())
        manifest["environment"] = {"local_http_server": {"base": own_base, "pid": 1, "workers": 2}}
        (run_dir / "run.json").write_text(json.dumps(manifest))
    return run_dir


def test_two_user_servers_on_loopback_stay_two_cases(tmp_path: Path) -> None:
    first = _http_run(tmp_path, "20261125T000000Z", "http://127.0.0.1:8001/page")
    second = _http_run(tmp_path, "20261125T010000Z", "http://127.0.0.1:8002/page")
    out = tmp_path / "cmp"
    assert run_main(["compare", str(first), str(second), "--out", str(out)])[0] == 0
    ratios = pd.read_csv(out / "ratios.csv")
    assert "http_fetch" not in set(ratios["case"])
    assert set(ratios["case"]) == {"sleep"}
    index = (out / "index.md").read_text()
    assert "url=http://127.0.0.1:8001/page" in index and "url=http://127.0.0.1:8002/page" in index


@pytest.mark.parametrize("route", ["bytes", "json"])
def test_the_local_server_on_two_ports_is_one_case(tmp_path: Path, route: str) -> None:
    # Both of its routes: http_fetch's bytes and fetch_parse's JSON document. The run records
    # the server it started (run.json's environment), so its port, new every run, splits nothing.
    first = _http_run(
        tmp_path, "20261125T000000Z", f"http://127.0.0.1:40001/delay/50/{route}/1024", "http://127.0.0.1:40001"
    )
    second = _http_run(
        tmp_path, "20261125T010000Z", f"http://127.0.0.1:40002/delay/50/{route}/1024", "http://127.0.0.1:40002"
    )
    out = tmp_path / "cmp"
    assert run_main(["compare", str(first), str(second), "--out", str(out)])[0] == 0
    ratios = pd.read_csv(out / "ratios.csv")
    assert len(ratios[ratios["case"] == "http_fetch"]) == 2


# --- item: --fail-above with nothing compared ------------------------------------------------


def test_fail_above_with_no_case_compared_exits_2(tmp_path: Path) -> None:
    first = write_run(tmp_path / MACHINE / "20261125T000000Z", sleepers("threads", 0.0002))
    second = write_run(tmp_path / MACHINE / "20261125T010000Z", sleepers("asyncio", 0.0001))
    out = tmp_path / "cmp"
    code, _, err = run_main(["compare", str(first), str(second), "--out", str(out), "--fail-above", "10"])
    assert code == 2
    one_line_error(err, "--fail-above", "no case was compared")
    # The comparison is still written: it says why nothing was compared.
    assert "No case in common with the baseline." in (out / "index.md").read_text()


# --- item: no negative, zero or NaN ratio is printed -----------------------------------------


@pytest.mark.parametrize("value", [-0.01, 0.0, math.nan], ids=["negative", "zero", "nan"])
def test_compare_never_prints_a_negative_zero_or_nan_ratio(tmp_path: Path, value: float) -> None:
    base = small_run(tmp_path, "20261125T000000Z")
    benches = [*sleepers("sequential", SLEEP_S), *sleepers("threads", 0.0002)]
    for bench in benches[2:]:
        _set_times(bench, value)
    other = write_run(tmp_path / MACHINE / "20261125T010000Z", benches)
    out = tmp_path / "cmp"
    code, stdout, err = run_main(["compare", str(base), str(other), "--out", str(out), "--fail-above", "10"])
    assert code == 0, err
    text = stdout + (out / "index.md").read_text()
    assert not BAD_RATIO.search(text), BAD_RATIO.search(text)
    assert "n/ax" not in text
    ratios = pd.read_csv(out / "ratios.csv")
    assert (ratios["ratio"] > 0).all()
    assert set(ratios["backend"]) == {"sequential"}


def test_fmt_ratio_reads_n_a_for_what_is_no_ratio() -> None:
    for value in (-1.0, 0.0, math.nan, math.inf):
        assert fmt_ratio(value) == "n/a"
    assert fmt_ratio(0.5) == "0.500x"
    assert not BAD_RATIO.search(fmt_ratio(0.0004))


def test_bad_ratio_pattern_catches_what_it_names() -> None:
    for text in ("-1.00x", "ratio 0x here", "(0.00x)"):
        assert BAD_RATIO.search(text), text
    for text in ("1.00x", "10x", "0.500x", "fn0x1"):
        assert not BAD_RATIO.search(text), text
