"""Tests of `python -m reports build` on the stored runs in tests/fixtures/.

The fixtures are written by tests/fixtures/make_fixtures.py: a complete run of five
models (one with two variants), a run whose gevent session crashed, and a run with
a truncated JSON file. Reports are built into copies under tmp_path, never into the
fixtures themselves.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer

from bench.micro import MICROS
from bench.runner import micro_costs_section
from reports import ResultFileError, RunDirError, charts, load_run, micro_charts
from reports.__main__ import main
from reports.frames import MAX_FILE_NAME, case_groups, chart_file, common_n
from reports.index import build_report
from reports.units import fmt_bytes, fmt_ratio, fmt_seconds

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MACHINE_A = "amd-epyc-7b13-2c-3f9a1c"
MACHINE_B = "intel-xeon-8375c-4c-77be02"
COMPLETE = FIXTURES / "runs" / MACHINE_A / "20261121T090000Z"
PARTIAL = FIXTURES / "runs" / MACHINE_B / "20261122T120000Z"
MALFORMED = FIXTURES / "malformed" / MACHINE_A / "20261124T080000Z"
REPO = Path(__file__).resolve().parent.parent

TIME_UNITS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
BYTE_UNITS = {"B": 1.0, "KiB": 1024.0, "MiB": 1024.0**2, "GiB": 1024.0**3}


def copy_run(source: Path, tmp_path: Path) -> Path:
    """Copy a fixture run to tmp_path/<machine>/<run> and return the copy."""
    target = tmp_path / source.parent.name / source.name
    shutil.copytree(source, target)
    return target


def seconds(text: str) -> float:
    """Parse `12.3 ms` back into seconds."""
    number, unit = text.split(" ")
    return float(number) * TIME_UNITS[unit]


def size(text: str) -> float:
    """Parse `4.00 KiB` (or `1.2 GiB/s`) back into bytes."""
    number, unit = text.split(" ")
    return float(number) * BYTE_UNITS[unit.removesuffix("/s")]


def close(shown: float, actual: float) -> bool:
    """Tell whether a number printed to three significant figures is `actual`."""
    return math.isclose(shown, actual, rel_tol=0.01)


def fixture_benchmarks(run_dir: Path) -> list[tuple[str, dict[str, object]]]:
    """Every benchmark entry of a fixture run, with the file it is in."""
    entries = []
    for path in sorted(run_dir.glob("*.json")):
        if path.name != "run.json":
            entries += [(path.name, bench) for bench in json.loads(path.read_text())["benchmarks"]]
    return entries


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The complete fixture run, copied and built once for the module."""
    run_dir = copy_run(COMPLETE, tmp_path_factory.mktemp("complete"))
    assert main(["build", str(run_dir)]) == 0
    return run_dir


@pytest.fixture(scope="module")
def built_partial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run with a crashed model and a failed case, copied and built once."""
    run_dir = copy_run(PARTIAL, tmp_path_factory.mktemp("partial"))
    assert main(["build", str(run_dir)]) == 0
    return run_dir


@pytest.fixture(scope="module")
def summary(built: Path) -> pd.DataFrame:
    """The built report's summary.csv."""
    return pd.read_csv(built / "report" / "summary.csv")


@pytest.fixture(scope="module")
def sections(built: Path) -> dict[str, str]:
    """The built index.md split into its `###` sections, keyed by heading."""
    text = (built / "report" / "index.md").read_text(encoding="utf-8")
    parts = re.split(r"^### (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


# --- loading -------------------------------------------------------------------------


def test_load_makes_one_row_per_case_joining_its_processes() -> None:
    run = load_run(COMPLETE)
    frame = run.frame
    entries = fixture_benchmarks(COMPLETE)
    assert len(frame) == len({(file.split(".")[0], bench["name"]) for file, bench in entries})
    assert len(entries) == 3 * len(frame)
    assert frame["processes"].eq(3).all()
    for row in frame.itertuples():
        assert len(row.process_samples) == 3
        assert row.samples == [x for process in row.process_samples for x in process]
        if pd.isna(row.bytes_per_task):
            assert row.ci_low < row.median < row.ci_high
    assert run.run_id == "20261121T090000Z"
    assert run.machine_id == MACHINE_A
    assert set(frame["backend"]) == {"sequential", "threads", "processes", "gevent", "asyncio"}
    assert {"processes[fork]", "processes[spawn]"} <= set(frame["label"])
    assert set(frame["kind"]) == {"workload", "micro"}
    assert set(frame["case"]) == {"sleep", "cpu_spin", "spawn", "switch", "ipc", "memory"}
    for column in ("sleep_s", "work_units", "channel", "payload_bytes", "start_method"):
        assert column in frame.columns
    assert frame["cpu_model"].eq("AMD EPYC 7B13").all()
    assert frame["cpu_count"].eq(2).all()


def test_load_derives_per_op_and_times_ideal() -> None:
    frame = load_run(COMPLETE).frame
    micro = frame[frame["kind"] == "micro"]
    assert (micro["per_op_s"] - micro["median"] / micro["ops_per_round"]).abs().max() < 1e-15
    workload = frame[frame["kind"] == "workload"]
    assert (workload["times_ideal"] - workload["median"] / workload["ideal_s"]).abs().max() < 1e-12
    assert workload["per_op_s"].isna().all()
    memory = frame[frame["case"] == "memory"]
    assert memory["bytes_per_task"].gt(1000).all()


def test_load_keeps_raw_samples_per_process() -> None:
    frame = load_run(COMPLETE).frame.set_index(["backend", "name"])
    for file, bench in fixture_benchmarks(COMPLETE):
        stats = bench["stats"]
        assert isinstance(stats, dict)
        model, process, _ = file.split(".")
        row = frame.loc[(model, bench["name"])]
        assert row["process_samples"][int(process)] == stats["data"]
        assert row["rounds"] == sum(len(p) for p in row["process_samples"])


def test_load_treats_other_scalars_as_parameters(tmp_path: Path) -> None:
    run_dir = copy_run(COMPLETE, tmp_path)
    path = run_dir / "threads.0.json"
    document = json.loads(path.read_text())
    extra = document["benchmarks"][0]["extra_info"]
    extra.update(url="http://127.0.0.1:49152/delay/50/bytes/1024", pool_size=8, tags=["a", "b"])
    path.write_text(json.dumps(document))
    manifest = json.loads((run_dir / "run.json").read_text())
    manifest["environment"] = {"local_http_server": {"base": "http://127.0.0.1:49152", "pid": 1, "workers": 2}}
    (run_dir / "run.json").write_text(json.dumps(manifest))
    frame = load_run(run_dir).frame
    row = frame[frame["name"] == document["benchmarks"][0]["name"]].iloc[0]
    # The port of a server the run started changes every run; it must not split a case.
    assert row["url"] == "http://127.0.0.1/delay/50/bytes/1024"
    assert row["pool_size"] == 8
    assert "tags" not in frame.columns


def test_a_url_of_a_server_the_run_did_not_start_keeps_its_port(tmp_path: Path) -> None:
    run_dir = copy_run(COMPLETE, tmp_path)
    path = run_dir / "threads.0.json"
    document = json.loads(path.read_text())
    document["benchmarks"][0]["extra_info"]["url"] = "http://127.0.0.1:8000/delay/50/bytes/1024"
    path.write_text(json.dumps(document))
    row = load_run(run_dir).frame.set_index("name").loc[document["benchmarks"][0]["name"]]
    assert row["url"] == "http://127.0.0.1:8000/delay/50/bytes/1024"


def test_load_malformed_json_names_the_file() -> None:
    with pytest.raises(ResultFileError) as caught:
        load_run(MALFORMED)
    assert caught.value.path.name == "threads.0.json"
    assert "threads.0.json" in str(caught.value)
    assert "not valid JSON" in str(caught.value)


def test_load_missing_or_non_directory_run(tmp_path: Path) -> None:
    with pytest.raises(RunDirError, match="no such run directory"):
        load_run(tmp_path / "nowhere")
    file = tmp_path / "file.json"
    file.write_text("{}")
    with pytest.raises(RunDirError, match="not a directory"):
        load_run(file)


def test_load_run_without_json_says_what_run_json_reports(tmp_path: Path) -> None:
    run_dir = tmp_path / MACHINE_A / "20261201T000000Z"
    run_dir.mkdir(parents=True)
    manifest = json.loads((COMPLETE / "run.json").read_text())
    manifest["backends"] = {"threads": {"status": "timeout", "json": None, "error": "killed after 600 s"}}
    (run_dir / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(RunDirError, match="no benchmark JSON") as caught:
        load_run(run_dir)
    assert "threads: timeout (killed after 600 s)" in str(caught.value)


def test_common_n_is_the_largest_size_most_models_share() -> None:
    frame = load_run(COMPLETE).frame
    sleep = frame[frame["case"] == "sleep"]
    # processes skipped 100 sleepers; the other four models still share 100.
    assert common_n(sleep) == 100
    assert common_n(sleep[sleep["backend"].isin(["processes", "sequential"])]) == 10


# --- the built report ----------------------------------------------------------------


def test_summary_csv_has_the_geometric_mean_of_the_process_medians(built: Path, summary: pd.DataFrame) -> None:
    assert "samples" not in summary.columns and "process_samples" not in summary.columns
    medians: dict[tuple[str, str], list[float]] = {}
    rounds: dict[tuple[str, str], int] = {}
    for file, bench in fixture_benchmarks(COMPLETE):
        stats = bench["stats"]
        assert isinstance(stats, dict)
        key = (file.split(".")[0], str(bench["name"]))
        medians.setdefault(key, []).append(float(stats["median"]))
        rounds[key] = rounds.get(key, 0) + int(stats["rounds"])
    assert len(summary) == len(medians)
    indexed = summary.set_index(["backend", "name"])
    for key, values in medians.items():
        row = indexed.loc[key]
        if pd.isna(row["bytes_per_task"]):
            assert math.isclose(row["median"], math.prod(values) ** (1 / len(values)), rel_tol=1e-9)
        assert row["rounds"] == rounds[key]
        assert row["processes"] == len(values)


def test_every_linked_png_exists_and_every_png_is_linked(built: Path) -> None:
    report = built / "report"
    text = (report / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 11
    for link in links:
        data = (report / link).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", link
        assert len(data) > 5000, link
    assert {p.name for p in report.glob("*.png")} == set(links)
    assert not list(built.glob(".report-*")), "the staging directory was left behind"


def test_index_has_machine_and_medians_tables(built: Path, sections: dict[str, str], summary: pd.DataFrame) -> None:
    text = (built / "report" / "index.md").read_text(encoding="utf-8")
    assert "| CPU | AMD EPYC 7B13 |" in text
    assert "| cores | 2 |" in text
    assert "| memory | 8.00 GiB |" in text
    assert "| models' packages | gevent 24.11.1, greenlet 3.1.1 |" in text
    sleep = sections["sleep (sleep_s=0.01)"]
    row = summary[(summary["case"] == "sleep") & (summary["series"] == "gevent") & (summary["n_tasks"] == 100)]
    line = next(line for line in sleep.splitlines() if line.startswith("| gevent |"))
    assert line.split("|")[-2].strip() == fmt_seconds(float(row["median"].iloc[0]))


def test_index_names_skips(built: Path) -> None:
    text = (built / "report" / "index.md").read_text(encoding="utf-8")
    assert "| processes | 100 processes exceed the quick profile's limit of 50 | sleep n=100 |" in text


def _row(summary: pd.DataFrame, case: str, series: str, n: int) -> pd.Series:
    """The one summary row of a case, series and n_tasks."""
    rows = summary[(summary["case"] == case) & (summary["series"] == series) & (summary["n_tasks"] == n)]
    assert len(rows) == 1, (case, series, n)
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("case", "heading"), [("sleep", "sleep (sleep_s=0.01)"), ("cpu_spin", "cpu_spin (work_units=20000)")]
)
def test_workload_sentences_match_summary(
    sections: dict[str, str], summary: pd.DataFrame, case: str, heading: str
) -> None:
    text = sections[heading]
    of_case = summary[summary["case"] == case]

    scaling = re.search(
        r"From (\d+) to (\d+) tasks the median of \*\*(.+?)\*\* grows least, ([\d.]+)x, "
        r"and that of \*\*(.+?)\*\* most, ([\d.]+)x; the ideal grows ([\d.]+)x\.",
        text,
    )
    assert scaling, text
    n0, n1 = int(scaling[1]), int(scaling[2])
    growth = {
        s: _row(summary, case, s, n1)["median"] / _row(summary, case, s, n0)["median"]
        for s in of_case["series"].unique()
        if len(of_case[(of_case["series"] == s) & of_case["n_tasks"].isin([n0, n1])]) == 2
    }
    assert scaling[3] == min(growth, key=lambda s: growth[s])
    assert scaling[5] == max(growth, key=lambda s: growth[s])
    assert close(float(scaling[4]), growth[scaling[3]])
    assert close(float(scaling[6]), growth[scaling[5]])
    assert close(
        float(scaling[7]),
        _row(summary, case, "sequential", n1)["ideal_s"] / _row(summary, case, "sequential", n0)["ideal_s"],
    )

    bars = re.search(
        r"At (\d+) `(\w+)` tasks \*\*(.+?)\*\* is ([\d.]+)x faster than \*\*(.+?)\*\* "
        r"and ([\d.]+)x ideal \(([\d.]+ \w+) vs ([\d.]+ \w+)\)\.",
        text,
    )
    assert bars, text
    n = int(bars[1])
    at = of_case[of_case["n_tasks"] == n]
    best, worst = _row(summary, case, bars[3], n), _row(summary, case, bars[5], n)
    assert best["median"] == at["median"].min() and worst["median"] == at["median"].max()
    assert close(float(bars[4]), worst["median"] / best["median"])
    assert close(float(bars[6]), best["median"] / best["ideal_s"])
    assert close(seconds(bars[7]), best["median"]) and close(seconds(bars[8]), worst["median"])

    speedup = re.search(
        r"At (\d+) `(\w+)` tasks \*\*(.+?)\*\* gains most over sequential, ([\d.]+)x "
        r"\(ideal ([\d.]+)x\), and \*\*(.+?)\*\* least, ([\d.]+)x\.",
        text,
    )
    assert speedup, text
    n = int(speedup[1])
    sequential = _row(summary, case, "sequential", n)
    assert close(float(speedup[4]), sequential["median"] / _row(summary, case, speedup[3], n)["median"])
    assert close(float(speedup[5]), sequential["median"] / sequential["ideal_s"])
    assert close(float(speedup[7]), sequential["median"] / _row(summary, case, speedup[6], n)["median"])


def test_heatmap_sentence_matches_summary(sections: dict[str, str], summary: pd.DataFrame) -> None:
    text = sections["Times ideal"]  # the heatmap, right after the Answer
    found = re.findall(
        r"On `(\w+)` \(([^)]*)\) at (\d+) tasks \*\*(.+?)\*\* is closest to ideal \(([\d.]+)x\) "
        r"and \*\*(.+?)\*\* furthest \(([\d.]+)x\)\.",
        text,
    )
    assert {f[0] for f in found} == {"sleep", "cpu_spin"}
    for case, _, n, best, best_x, worst, worst_x in found:
        at = summary[(summary["case"] == case) & (summary["n_tasks"] == int(n))]
        assert _row(summary, case, best, int(n))["times_ideal"] == at["times_ideal"].min()
        assert _row(summary, case, worst, int(n))["times_ideal"] == at["times_ideal"].max()
        assert close(float(best_x), _row(summary, case, best, int(n))["times_ideal"])
        assert close(float(worst_x), _row(summary, case, worst, int(n))["times_ideal"])


@pytest.mark.parametrize("micro", ["spawn", "switch"])
def test_micro_cost_sentences_match_summary(sections: dict[str, str], summary: pd.DataFrame, micro: str) -> None:
    # A micro-cost with a configuration (switch's family) titles its section "switch (family=native)".
    text = next(v for k, v in sections.items() if k == micro or k.startswith(f"{micro} ("))
    sentence = re.search(rf"Cost of one `{micro}` \(([^)]*)\), cheapest first: (.*)\.", text)
    assert sentence, text
    items = re.findall(r"\*\*(.+?)\*\* ([\d.]+ \w+)(?: \(([\d.]+)x\))?", sentence[2])
    of_micro = summary[summary["case"] == micro]
    assert {name for name, _, _ in items} == set(of_micro["series"])
    cheapest = None
    for name, shown, ratio in items:
        # Each model at its largest n_tasks.
        rows = of_micro[of_micro["series"] == name].sort_values("n_tasks")
        per_op = float(rows["per_op_s"].iloc[-1])
        assert close(seconds(shown), per_op), (name, shown, per_op)
        if cheapest is None:
            cheapest = per_op
            assert per_op == min(of_micro.groupby("series")["per_op_s"].last())
        else:
            assert close(float(ratio), per_op / cheapest)


def test_memory_sentence_matches_summary(sections: dict[str, str], summary: pd.DataFrame) -> None:
    sentence = re.search(r"Memory per live task, smallest first: (.*)\.", sections["memory"])
    assert sentence, sections["memory"]
    items = re.findall(r"\*\*(.+?)\*\* ([\d.]+ \w+) \(N=(\d+)\)(?:, ([\d.]+)x less than ([^;]+?))?(?:;|$)", sentence[1])
    assert len(items) >= 3
    most_name, most_n = items[-1][0], int(items[-1][2])
    most = _row(summary, "memory", most_name, most_n)["bytes_per_task"]
    for name, shown, n, ratio, than in items:
        value = _row(summary, "memory", name, int(n))["bytes_per_task"]
        assert close(size(shown), value)
        if ratio:
            assert than == most_name
            assert close(float(ratio), most / value)
    assert not items[-1][3], "the most expensive model has no ratio to itself"
    values = [size(shown) for _, shown, _, _, _ in items]
    assert values == sorted(values)


def test_ipc_sentences_match_summary(sections: dict[str, str], summary: pd.DataFrame) -> None:
    text = sections["ipc"]
    ipc = summary[summary["case"] == "ipc"]
    cost = re.search(
        r"At ([\d.]+ \w+) per message the cheapest is \*\*(.+?)\*\* over `(\w+)`, ([\d.]+ \w+) per "
        r"message, and the dearest \*\*(.+?)\*\* over `(\w+)`, ([\d.]+ \w+) \(([\d.]+)x\)\.",
        text,
    )
    assert cost, text
    payload = size(cost[1])
    at = ipc[ipc["payload_bytes"] == payload]
    best = at[(at["series"] == cost[2]) & (at["channel"] == cost[3])]["per_op_s"].iloc[0]
    worst = at[(at["series"] == cost[5]) & (at["channel"] == cost[6])]["per_op_s"].iloc[0]
    assert best == at["per_op_s"].min() and worst == at["per_op_s"].max()
    assert close(seconds(cost[4]), best) and close(seconds(cost[7]), worst)
    assert close(float(cost[8]), worst / best)
    rate = re.search(
        r"At ([\d.]+ \w+) per message \*\*(.+?)\*\* over `(\w+)` moves the most, ([\d.]+ \S+), "
        r"and \*\*(.+?)\*\* over `(\w+)` the least, ([\d.]+ \S+)\.",
        text,
    )
    assert rate, text
    payload = size(rate[1])
    at = ipc[ipc["payload_bytes"] == payload]
    fastest = at[(at["series"] == rate[2]) & (at["channel"] == rate[3])]["per_op_s"].iloc[0]
    slowest = at[(at["series"] == rate[5]) & (at["channel"] == rate[6])]["per_op_s"].iloc[0]
    assert close(size(rate[4]), payload / fastest) and close(size(rate[7]), payload / slowest)


def test_partial_run_reports_the_rest_and_names_what_is_missing(built_partial: Path) -> None:
    report = built_partial / "report"
    text = (report / "index.md").read_text(encoding="utf-8")
    assert "**gevent** has no results: crashed (return code -11): Fatal Python error: Segmentation fault" in text
    assert "**threads** ended with status failed (return code 1): 1 case failed" in text
    assert "| threads | bench/bench_workloads.py::bench_workload[threads-cpu_spin-n100] | failed | wrong answer" in text
    summary = pd.read_csv(report / "summary.csv")
    assert "gevent" not in set(summary["backend"])
    assert {"sequential", "threads", "processes", "asyncio"} == set(summary["backend"])
    assert "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 4 cores" in text or "| cores | 4 |" in text


# --- errors and the atomic swap --------------------------------------------------------


def _snapshot(report: Path) -> dict[str, bytes]:
    """Every file of a report directory and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(report.iterdir())}


@pytest.fixture
def built_copy(built: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the built run (report included) that a test may break."""
    yield copy_run(built, tmp_path)


def test_malformed_json_exits_2_and_keeps_previous_report(built_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(built_copy / "report")
    path = built_copy / "asyncio.1.json"
    path.write_text(path.read_text()[:1000])
    assert main(["build", str(built_copy)]) == 2
    err = capsys.readouterr().err
    assert "asyncio.1.json" in err and "not valid JSON" in err
    assert _snapshot(built_copy / "report") == before
    assert not list(built_copy.glob(".report-*"))


def test_failure_while_rendering_keeps_previous_report(built_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(built_copy / "report")

    def broken(_frame: pd.DataFrame) -> None:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(charts, "heatmap_figure", broken)
    with pytest.raises(RuntimeError, match="renderer failed"):
        build_report(built_copy)
    assert _snapshot(built_copy / "report") == before
    assert not list(built_copy.glob(".report-*"))


def test_rebuild_replaces_the_report(built_copy: Path) -> None:
    # A chart of the earlier build whose case has gone from the run is not kept.
    stale = built_copy / "report" / "memory.png"
    assert stale.exists()
    for path in built_copy.glob("*.json"):
        if path.name != "run.json":
            document = json.loads(path.read_text())
            document["benchmarks"] = [b for b in document["benchmarks"] if b["extra_info"].get("micro") != "memory"]
            path.write_text(json.dumps(document))
    assert main(["build", str(built_copy)]) == 0
    assert not stale.exists()
    assert (built_copy / "report" / "index.md").exists()


def test_a_run_declaring_its_micro_costs_is_drawn_as_one_written_before_the_declarations(
    built: Path, tmp_path: Path
) -> None:
    # The fixtures predate run.json's micro_costs: the report falls back to how such runs were drawn.
    run_dir = copy_run(COMPLETE, tmp_path)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert "micro_costs" not in manifest
    manifest["micro_costs"] = micro_costs_section(MICROS)
    (run_dir / "run.json").write_text(json.dumps(manifest))
    assert main(["build", str(run_dir)]) == 0
    assert (run_dir / "report" / "index.md").read_text() == (built / "report" / "index.md").read_text()


def test_a_declared_operation_and_chart_kind_reach_the_report(tmp_path: Path) -> None:
    run_dir = copy_run(COMPLETE, tmp_path)
    manifest = json.loads((run_dir / "run.json").read_text())
    section = micro_costs_section(MICROS)
    section["spawn"]["chart_operation"] = "start of a task"
    section["ipc"]["chart"] = "per_op"
    manifest["micro_costs"] = section
    (run_dir / "run.json").write_text(json.dumps(manifest))
    assert main(["build", str(run_dir)]) == 0
    index = (run_dir / "report" / "index.md").read_text()
    assert "Cost of one `spawn` (start of a task)" in index
    # ipc declared as per-op bars: no payload charts, a per-op chart per configuration.
    assert "ipc-throughput" not in index and "Cost of one `ipc`" in index


def test_missing_dir_and_empty_dir_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "absent")]) == 2
    assert "absent: no such run directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["build", str(empty)]) == 2
    assert "holds no benchmark JSON" in capsys.readouterr().err
    assert not (empty / "report").exists()


def test_command_line_entry_point_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reports", "build", str(MALFORMED)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "threads.0.json" in result.stderr
    assert not (MALFORMED / "report").exists()


# --- charts ----------------------------------------------------------------------------


def declared_colour(run_dir: Path, model: str) -> str:
    """The colour `model` declares in the run's manifest."""
    colour: str = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["models"][model]["colour"]
    return colour


def test_a_model_keeps_its_colour_across_charts() -> None:
    frame = load_run(COMPLETE).frame
    gevent = to_rgba(declared_colour(COMPLETE, "gevent"))
    _, _, sleep = next(case_groups(frame, "workload"))
    line = next(ln for ln in charts.scaling_figure(sleep).axes[0].get_lines() if ln.get_label() == "gevent")
    assert to_rgba(line.get_color()) == gevent
    ax = charts.bars_figure(sleep).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert to_rgba(ax.patches[labels.index("gevent")].get_facecolor()) == gevent
    ax = micro_charts.memory_figure(frame[frame["case"] == "memory"]).axes[0]
    bars = next(c for c in ax.containers if isinstance(c, BarContainer) and c.get_label().startswith("gevent"))
    assert to_rgba(bars.patches[0].get_facecolor()) == gevent
    assert gevent != to_rgba(declared_colour(COMPLETE, "threads"))


def test_charts_say_what_and_where_with_units_and_log_scales() -> None:
    frame = load_run(COMPLETE).frame
    _, _, sleep = next(case_groups(frame, "workload"))
    speedup = charts.speedup_figure(sleep)
    assert speedup is not None
    figures = {
        "scaling": charts.scaling_figure(sleep),
        "bars": charts.bars_figure(sleep),
        "speedup": speedup,
        "heatmap": charts.heatmap_figure(frame),
        "spawn": micro_charts.micro_cost_figure(frame[frame["case"] == "spawn"]),
        "ipc": micro_charts.ipc_cost_figure(frame[frame["case"] == "ipc"]),
        "throughput": micro_charts.ipc_throughput_figure(frame[frame["case"] == "ipc"]),
        "memory": micro_charts.memory_figure(frame[frame["case"] == "memory"]),
    }
    for name, fig in figures.items():
        ax = fig.axes[0]
        assert "AMD EPYC 7B13, 2 cores" in ax.get_title(), name
        assert ax.get_xlabel() or name == "heatmap", name
    assert figures["scaling"].axes[0].get_yscale() == "log"
    assert figures["scaling"].axes[0].get_xscale() == "log"
    assert figures["bars"].axes[0].get_xscale() == "log"  # 10 ms to 1 s
    assert figures["spawn"].axes[0].get_xscale() == "log"  # 150 ns to 27 ms
    assert figures["ipc"].axes[0].get_yscale() == "log"
    assert "wall time" in figures["scaling"].axes[0].get_ylabel()
    assert "bytes" in figures["memory"].axes[0].get_ylabel()
    assert "bytes/s" in figures["throughput"].axes[0].get_ylabel()
    # The ideal is drawn as a dashed reference line.
    ideal = next(ln for ln in figures["scaling"].axes[0].get_lines() if ln.get_label() == "ideal")
    assert ideal.get_linestyle() == "--"


def test_units_read_between_1_and_1000() -> None:
    assert fmt_seconds(0.0123) == "12.3 ms"
    assert fmt_seconds(0.9996) == "1.00 s"
    assert fmt_seconds(2.5e-7) == "250 ns"
    assert fmt_bytes(64) == "64 B"
    assert fmt_bytes(4096) == "4.00 KiB"
    assert fmt_ratio(9.126) == "9.13x"
    assert fmt_ratio(184056) == "184000x"


def test_overhead_reading_gives_each_models_cost_per_task_beyond_the_ideal() -> None:
    from reports.readings import overhead_reading

    rows = pd.DataFrame(
        {
            "series": ["pool", "pool", "cluster", "cluster"],
            "n_tasks": [1, 100, 1, 100],
            "median": [1.0, 0.6, 1.2, 0.7],
            "ideal_s": [1.0, 0.5, 1.0, 0.5],
            "ci_low": [0.9, 0.55, 1.1, 0.65],
            "ci_high": [1.1, 0.65, 1.3, 0.75],
        }
    )
    text = overhead_reading(rows)
    # (0.6 - 0.5) / 100 = 1 ms for pool, (0.7 - 0.5) / 100 = 2 ms for cluster, cheapest first.
    assert "at 100 tasks" in text
    assert text.index("**pool** 1.00 ms") < text.index("**cluster** 2.00 ms"), text
    assert "(500 µs to 1.50 ms)" in text, text
    below = rows.assign(median=[1.0, 0.5, 1.2, 0.45])
    assert "**cluster** none (at or below the ideal)" in overhead_reading(below)
    assert overhead_reading(rows.assign(ideal_s=float("nan"))) == ""


def test_summary_csv_gives_each_process_median_as_numbers() -> None:
    from reports.index import summary_frame

    frame = pd.DataFrame(
        {
            "case": ["spawn", "sleep"],
            "samples": [[1.0], [2.0]],
            "process_samples": [[[1.0]], [[2.0]]],
            "process_medians": [[0.5, 0.25], float("nan")],
        }
    )
    out = summary_frame(frame)
    assert "samples" not in out and "process_samples" not in out
    assert [float(x) for x in out["process_medians"].iloc[0].split()] == [0.5, 0.25]
    assert pd.isna(out["process_medians"].iloc[1])


def test_a_chart_file_name_stays_readable_short_and_distinct() -> None:
    assert chart_file("sleep", "sleep_s-0.01", "bars") == "sleep-sleep_s-0.01-bars.png"
    long = "file_io-file_api-asyncio.to_thread-the-loop-s-default-thread-pool-file_bytes-65536-page_cache-warm"
    one, other = chart_file(long, "models"), chart_file(long, "scaling")
    assert len(one) <= MAX_FILE_NAME and len(other) <= MAX_FILE_NAME
    assert one != other and one.startswith("file_io-file_api-asyncio.to_thread") and one.endswith(".png")
    assert chart_file(long, "models") == one  # the same chart, the same file, run after run


def test_one_rule_for_the_task_count_to_compare_at() -> None:
    from reports.frames import common_n

    rows = pd.DataFrame(
        {
            "series": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "n_tasks": [1, 10, 100, 1, 10, 1, 10, 100],
        }
    )
    assert common_n(rows) == 100  # a and c, a majority of three
    assert common_n(rows, every=["a", "b"]) == 10
    assert common_n(rows, every=["a", "c"], at_most=50) == 10
    assert common_n(rows, every=["a", "d"]) is None  # d never ran
    assert common_n(rows.iloc[:0]) is None
