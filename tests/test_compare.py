"""Tests of `python -m reports compare` and of its statistics, on the stored fixtures.

`slow/` holds machine A's run again with every time doubled and fewer rounds, so it
must come out about 2x and "slower"; a copy of a run compared with itself must come
out 1.0 and "no difference". The statistics themselves are tested in test_stats.py.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from reports.__main__ import main
from reports.compare import discover_runs, fingerprint
from reports.load import machine_summary
from reports.stats import FASTER, NO_DIFFERENCE, SLOWER
from reports.units import fmt_ratio

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MACHINE_A = "amd-epyc-7b13-2c-3f9a1c"
MACHINE_B = "intel-xeon-8375c-4c-77be02"
OLDER_A = FIXTURES / "runs" / MACHINE_A / "20261120T101500Z"
COMPLETE = FIXTURES / "runs" / MACHINE_A / "20261121T090000Z"
PARTIAL = FIXTURES / "runs" / MACHINE_B / "20261122T120000Z"
SLOW = FIXTURES / "slow" / MACHINE_A / "20261123T080000Z"


def read_ratios(out: Path) -> pd.DataFrame:
    """The ratios.csv of a comparison."""
    return pd.read_csv(out / "ratios.csv")


def assert_pngs_linked(out: Path) -> None:
    """Every image linked from index.md exists and is a PNG, and every PNG is linked."""
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (out / "index.md").read_text(encoding="utf-8"))
    assert links
    for link in links:
        assert (out / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link
    assert {p.name for p in out.glob("*.png")} == set(links)


@pytest.fixture(scope="module")
def slow_compare(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """Compare the complete run with its twice-as-slow copy, failing above 10%."""
    out = tmp_path_factory.mktemp("slow") / "out"
    capture = tmp_path_factory.mktemp("stdout") / "stdout.txt"
    with capture.open("w") as stream, contextlib.redirect_stdout(stream):
        code = main(["compare", str(COMPLETE), str(SLOW), "--out", str(out), "--fail-above", "10"])
    return code, capture.read_text(), out


# --- machines and discovery -----------------------------------------------------------


def test_fingerprint_ignores_volatile_fields() -> None:
    info = json.loads((COMPLETE / "threads.0.json").read_text())["machine_info"]
    changed = json.loads(json.dumps(info))
    changed["node"] = "another-host"
    changed["cpu"]["hz_actual"] = [1_200_000_000, 0]
    changed["cpu"]["hz_actual_friendly"] = "1.2000 GHz"
    assert fingerprint(machine_summary(info)) == fingerprint(machine_summary(changed))
    changed["cpu_count"] = 4
    assert fingerprint(machine_summary(info)) != fingerprint(machine_summary(changed))


def test_results_root_means_newest_run_of_each_machine(tmp_path: Path) -> None:
    root = tmp_path / "results"
    shutil.copytree(FIXTURES / "runs", root)
    # A previous comparison's output must not be taken for a machine.
    junk = root / "compare" / "20261101T000000Z"
    junk.mkdir(parents=True)
    (junk / "stray.json").write_text("{}")
    runs, baseline = discover_runs([root])
    assert [r.relative_to(root).as_posix() for r in runs] == [
        f"{MACHINE_A}/20261121T090000Z",
        f"{MACHINE_B}/20261122T120000Z",
    ]
    assert baseline == runs[0]  # the oldest of the two
    # A machine directory means its newest run; without a run named first, the oldest
    # run is the baseline.
    machine_runs, machine_baseline = discover_runs([root / MACHINE_B, root / MACHINE_A])
    assert [r.name for r in machine_runs] == ["20261122T120000Z", "20261121T090000Z"]
    assert machine_baseline == machine_runs[1]
    # A run directory named first is the baseline, old or not.
    explicit_runs, explicit_baseline = discover_runs([PARTIAL, COMPLETE])
    assert explicit_baseline == PARTIAL and explicit_runs == [PARTIAL, COMPLETE]


def test_compare_of_a_results_root_labels_runs_by_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "results"
    shutil.copytree(FIXTURES / "runs", root)
    assert main(["compare", str(root)]) == 0
    outputs = list((root / "compare").iterdir())
    assert len(outputs) == 1 and re.fullmatch(r"\d{8}T\d{6}Z", outputs[0].name)
    out = outputs[0]
    assert str(out / "index.md") in capsys.readouterr().out
    text = (out / "index.md").read_text(encoding="utf-8")
    label_a = f"{MACHINE_A}/20261121T090000Z (CPython 3.11.7)"
    label_b = f"{MACHINE_B}/20261122T120000Z (CPython 3.11.9)"
    assert f"baseline `{label_a}`" in text
    assert f"### `{label_b}` / `{label_a}`" in text
    assert "20261120T101500Z" not in text  # machine A's older run is not the newest
    assert "| AMD EPYC 7B13 | 2 |" in text and "| Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz | 4 |" in text
    ratios = read_ratios(out)
    assert set(ratios["run"]) == {label_b} and set(ratios["baseline"]) == {label_a}
    # B's gevent crashed and its threads cpu_spin at 100 failed: listed as partial cases.
    partial = text.split("## Cases not in every run")[1].split("## Charts")[0]
    assert re.search(r"\| sleep \| gevent \| 100 \| sleep_s=0.01 \| `" + re.escape(label_a) + r"` \|", partial)
    assert re.search(r"\| cpu_spin \| threads \| 100 \| work_units=20000 \| `" + re.escape(label_a) + r"` \|", partial)
    assert "gevent" not in set(ratios["series"])
    assert_pngs_linked(out)


# --- compare end to end ------------------------------------------------------------------


def test_slow_run_is_about_twice_and_slower(slow_compare: tuple[int, str, Path]) -> None:
    _, _, out = slow_compare
    ratios = read_ratios(out)
    timed = ratios[ratios["metric"] != "bytes_per_task"]
    assert len(timed) >= 40
    assert timed["ratio"].between(1.8, 2.2).all(), timed[["case", "series", "ratio"]]
    assert (timed["ci_low"] > 1.05).all()
    assert (timed["verdict"] == SLOWER).all()
    assert (timed["q_value"] < 0.05).all()
    # The processes, not the rounds, are the samples compared: 3 a side.
    assert set(zip(timed["n_baseline"], timed["n_run"], strict=True)) == {(3, 3)}


def test_fail_above_exits_1_and_names_the_cases(slow_compare: tuple[int, str, Path]) -> None:
    code, stdout, out = slow_compare
    assert code == 1
    assert "judged slower than the baseline by more than 10%" in stdout
    ratios = read_ratios(out)
    row = ratios[(ratios["case"] == "sleep") & (ratios["series"] == "gevent") & (ratios["n_tasks"] == 100)].iloc[0]
    assert f"sleep gevent n_tasks=100 (sleep_s=0.01): {fmt_ratio(row['ratio'])} (" in stdout
    assert stdout.count("\n  ") == int((ratios["verdict"] == SLOWER).sum())


def test_compare_index_has_machines_ratio_table_and_charts(slow_compare: tuple[int, str, Path]) -> None:
    out = slow_compare[2]
    text = (out / "index.md").read_text(encoding="utf-8")
    assert "## Machines" in text and f"`{MACHINE_A}`" in text
    ratios = read_ratios(out)
    row = ratios[(ratios["case"] == "cpu_spin") & (ratios["series"] == "threads") & (ratios["n_tasks"] == 10)].iloc[0]
    line = next(line for line in text.splitlines() if line.startswith("| cpu_spin | threads | 10 |"))
    assert f"| {row['ratio']:.2f}x |" in line
    assert "**slower**" in line
    assert "Every case is in every run." in text
    names = {p.name for p in out.glob("*.png")}
    for expected in (
        "sleep-sleep_s-0.01-bars.png",
        "sleep-sleep_s-0.01-scaling.png",
        "sleep-sleep_s-0.01-normalised.png",
        "sleep-ratios.png",
        "ipc-ratios.png",
    ):
        assert expected in names
    assert_pngs_linked(out)


def test_run_compared_with_itself_is_1_and_passes_fail_above(tmp_path: Path) -> None:
    copy = tmp_path / MACHINE_A / "20261121T100000Z"
    shutil.copytree(COMPLETE, copy)
    out = tmp_path / "out"
    assert main(["compare", str(COMPLETE), str(copy), "--out", str(out), "--fail-above", "10"]) == 0
    ratios = read_ratios(out)
    assert set(ratios["run"]) == {f"{MACHINE_A}/20261121T100000Z (CPython 3.11.7)"}
    assert len(ratios) == 54
    assert (ratios["ratio"] == 1.0).all()
    # No alarm; "no difference" only where the interval that decided it lies inside the margin.
    assert not ratios["verdict"].isin([SLOWER, FASTER]).any()
    assert (ratios["verdict"] == NO_DIFFERENCE).sum() >= len(ratios) // 2
    equivalent = ratios[ratios["verdict"] == NO_DIFFERENCE]
    assert ((equivalent["ci_low"] >= 1 / 1.05) & (equivalent["ci_high"] <= 1.05)).all()
    timed = ratios[ratios["metric"] != "bytes_per_task"]
    assert ((timed["ci_low"] <= 1.0) & (timed["ci_high"] >= 1.0)).all()


def test_baseline_option_picks_the_divisor(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["compare", str(COMPLETE), str(SLOW), "--baseline", str(SLOW), "--out", str(out)]) == 0
    ratios = read_ratios(out)
    assert set(ratios["baseline"]) == {f"{MACHINE_A}/20261123T080000Z (CPython 3.11.7)"}
    timed = ratios[ratios["metric"] != "bytes_per_task"]
    assert timed["ratio"].between(0.45, 0.56).all()
    assert (timed["verdict"] == FASTER).all()


def test_fewer_than_two_runs_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(COMPLETE), "--out", str(tmp_path / "out")]) == 2
    assert "need at least two runs" in capsys.readouterr().err
    assert main(["compare", str(COMPLETE), str(COMPLETE), "--out", str(tmp_path / "out")]) == 2
    assert "found 1" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "absent"), str(COMPLETE)]) == 2
    assert "absent: no such directory" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_malformed_run_in_compare_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    malformed = FIXTURES / "malformed" / MACHINE_A / "20261124T080000Z"
    assert main(["compare", str(OLDER_A), str(malformed), "--out", str(tmp_path / "out")]) == 2
    assert "threads.0.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_root_of_one_machine_compares_its_two_newest_runs(tmp_path: Path) -> None:
    root = tmp_path / "results"
    shutil.copytree(FIXTURES / "runs" / MACHINE_A, root / MACHINE_A)
    runs, baseline = discover_runs([root])
    assert [r.name for r in runs] == ["20261120T101500Z", "20261121T090000Z"]
    assert baseline.name == "20261120T101500Z"


def test_runs_without_processes_still_align_with_runs_that_have_them(tmp_path: Path) -> None:
    # Without processes a run has no variant at all; its cases must still align.
    lean = tmp_path / MACHINE_A / "20261125T000000Z"
    shutil.copytree(COMPLETE, lean)
    for path in lean.glob("processes.*.json"):
        path.unlink()
    out = tmp_path / "out"
    assert main(["compare", str(COMPLETE), str(lean), "--out", str(out)]) == 0
    ratios = read_ratios(out)
    compared = set(ratios["backend"])
    assert {"sequential", "threads", "asyncio"} <= compared
    assert "processes" not in compared
    assert (ratios["ratio"] == 1.0).all()
