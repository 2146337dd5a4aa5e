"""The report's Answer section, its one chart per question, and their file names.

The Answer is read on synthetic frames whose truth is known (a clear winner, a tie by
overlapping intervals, a model absent at a size), then on a built fixture run, where
it must open the index and name the fastest and tied models of every workload and
task count that two models or more ran.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from reports.__main__ import main
from reports.answer import answer_row, answers, sentence
from reports.frames import MAX_FILE_NAME, by_question, case_groups, config_tags
from reports.load import add_case_columns, load_run, tidy_frame

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLETE = FIXTURES / "runs" / "amd-epyc-7b13-2c-3f9a1c" / "20261121T090000Z"

#: Made-up models, in their declared order, so that no test leans on a real one.
ORDER = ("alpha", "beta", "gamma", "delta")


def _row(model: str, n: int, median: float, half: float | None, **params: Any) -> dict[str, Any]:
    """One workload row of case `wait`: `median` seconds, its interval ±`half` (none if None), ideal 1 s."""
    low, high = (math.nan, math.nan) if half is None else (median - half, median + half)
    return {
        "backend": model,
        "variant": None,
        "label": model,
        "kind": "workload",
        "workload": "wait",
        "micro": None,
        "case": "wait",
        "n_tasks": n,
        "median": median,
        "q3": median,
        "ci_low": low,
        "ci_high": high,
        "ideal_s": 1.0,
        "times_ideal": median,
        "model_order": ORDER.index(model),
        "model_colour": "#000000",
        "model_baseline": False,
        **params,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return add_case_columns(tidy_frame(rows))


def _known() -> pd.DataFrame:
    """At 10 tasks: beta wins, alpha ties with it, gamma is 3x slower, delta did not run (it did at 1)."""
    return _frame(
        [
            _row("alpha", 10, 1.05, 0.10),
            _row("beta", 10, 1.00, 0.10),
            _row("gamma", 10, 3.00, 0.20),
            _row("delta", 1, 1.02, 0.10),
            _row("alpha", 1, 1.00, 0.05),
            _row("beta", 1, 4.00, 0.05),
        ]
    )


def test_the_fastest_its_tie_and_a_model_not_run_are_read_from_the_intervals() -> None:
    frame = _known()
    row = answer_row(frame, 10)
    assert row is not None
    assert row.fastest == "beta"
    assert row.tied == ("alpha",)  # 0.95-1.15 overlaps 0.90-1.10
    assert [(s.series, s.ratio) for s in row.slower] == [("gamma", pytest.approx(3.0))]
    assert row.not_run == ("delta",)
    assert row.times_ideal == pytest.approx(1.0)
    text = sentence(row, list(ORDER))
    assert text.startswith("At 10 tasks alpha and beta tie (fastest beta, 1.00x ideal)"), text
    assert "gamma is 3.00x slower" in text
    assert "delta was not run at this size" in text
    # At 1 task alpha wins clearly: its interval clears beta's and delta's ties.
    one = answer_row(frame, 1)
    assert one is not None and one.fastest == "alpha" and one.tied == ("delta",)
    assert [s.series for s in one.slower] == ["beta"] and one.not_run == ("gamma",)


def test_ties_are_listed_in_the_models_declared_order_not_by_speed() -> None:
    frame = _frame(
        [
            _row("delta", 5, 1.00, 0.30),
            _row("gamma", 5, 1.10, 0.30),
            _row("alpha", 5, 1.20, 0.30),
            _row("beta", 5, 9.00, 0.30),
        ]
    )
    row = answer_row(frame, 5)
    assert row is not None and row.fastest == "delta" and row.tied == ("alpha", "gamma")
    assert sentence(row, list(ORDER)).startswith("At 5 tasks alpha, gamma and delta tie (fastest delta")


def test_without_intervals_only_a_figure_inside_the_fastests_interval_ties() -> None:
    frame = _frame([_row("alpha", 2, 1.00, None), _row("beta", 2, 1.01, None), _row("gamma", 2, 1.10, 0.05)])
    row = answer_row(frame, 2)
    assert row is not None and row.fastest == "alpha"
    assert row.tied == ()  # alpha has no interval: beta's figure and gamma's interval lie above its own
    covers = answer_row(_frame([_row("alpha", 2, 1.00, None), _row("gamma", 2, 1.02, 0.05)]), 2)
    assert covers is not None and covers.tied == ("gamma",)  # 0.97-1.07 holds alpha's 1.00
    flipped = answer_row(_frame([_row("alpha", 2, 1.00, 0.05), _row("beta", 2, 1.01, None)]), 2)
    assert flipped is not None and flipped.tied == ("beta",)  # 1.01 lies inside 0.95-1.05


def test_a_size_one_model_ran_says_so_and_memory_comes_with_its_task_count() -> None:
    memory = _frame(
        [
            {**_row("beta", 10, 0.0, None), "kind": "micro", "case": "memory", "micro": "memory",
             "bytes_per_task": 2048.0},
            {**_row("alpha", 100, 0.0, None), "kind": "micro", "case": "memory", "micro": "memory",
             "bytes_per_task": 512.0},
        ]
    )  # fmt: skip
    frame = pd.concat([_known(), memory], ignore_index=True)
    found = {a.case: a for a in answers(frame)}["wait"]
    by_n = {r.n_tasks: r for r in found.rows}
    assert by_n[10].memory is not None and by_n[10].memory.bytes_per_task == 2048.0
    assert by_n[10].memory.n_tasks == 10
    assert by_n[1].memory is not None and (by_n[1].memory.bytes_per_task, by_n[1].memory.n_tasks) == (512.0, 100)
    solo = answer_row(_frame([_row("gamma", 7, 2.0, 0.1), _row("alpha", 8, 1.0, 0.1)]), 7)
    assert solo is not None and solo.models == 1
    assert sentence(solo, list(ORDER)).startswith("At 7 tasks only gamma ran")


def test_a_parameter_that_is_each_models_own_form_joins_one_chart_and_names_the_series() -> None:
    rows = [_row(m, n, 1.0 + i, 0.1, api=api, size=4) for i, (m, api) in enumerate(
        (("alpha", "read()"), ("beta", "read()"), ("gamma", "to_thread"))) for n in (1, 10)]  # fmt: skip
    frame = by_question(_frame(rows))
    groups = list(case_groups(frame, "workload"))
    assert len(groups) == 1
    _, config, of_case = groups[0]
    assert config == "api by model, size=4"
    assert set(of_case["series"]) == {"alpha · read()", "beta · read()", "gamma · to_thread"}
    plain = by_question(_frame(rows), name_forms=False)
    assert set(plain["series"]) == set(ORDER[:3])
    # A parameter every model ran with two values is two questions: two charts.
    split = [_row(m, 1, 1.0, 0.1, client=c) for m in ("alpha", "beta") for c in ("minimal", "idiomatic")]
    configs = [config for _, config, _ in case_groups(by_question(_frame(split)), "workload")]
    assert configs == ["client=idiomatic", "client=minimal"]
    assert config_tags(configs) == {"client=idiomatic": "client=idiomatic", "client=minimal": "client=minimal"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The complete fixture run, with one parameter that each model runs in its own form, built once."""
    run_dir = tmp_path_factory.mktemp("answer") / COMPLETE.parent.name / COMPLETE.name
    shutil.copytree(COMPLETE, run_dir)
    # Like a workload whose API depends on the model: the coroutine models wait one way,
    # the others another, with a value long enough to need wrapping and a short file name.
    for path in run_dir.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for bench in data.get("benchmarks", []) if isinstance(data, dict) else []:
            extra = bench["extra_info"]
            if extra.get("workload") == "sleep":
                own = extra["backend"] in ("asyncio", "gevent")
                extra["wait_api"] = "the model's own timer on its loop or hub" if own else "time.sleep in the task"
        path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["build", str(run_dir)]) == 0
    return run_dir


def _answer_tables(index: str) -> dict[str, list[list[str]]]:
    """The Answer section's tables by the bold title above each: rows of cells."""
    answer = index.split("## Answer", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, list[list[str]]] = {}
    for block in re.split(r"^\*\*", answer, flags=re.MULTILINE)[1:]:
        title = block.split("**", 1)[0]
        lines = [ln for ln in block.splitlines() if ln.startswith("| ") and not ln.startswith("| tasks")]
        tables[title] = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in lines]
    return tables


def test_the_index_opens_with_the_answer_for_every_size_two_models_ran(built: Path) -> None:
    index = (built / "report" / "index.md").read_text(encoding="utf-8")
    lines = index.splitlines()
    assert lines.index("## Answer") < 15
    headings = [ln for ln in lines if ln.startswith("## ")]
    assert headings[:3] == ["## Answer", "## Distance from ideal, all workloads", "## Claims checked"]
    assert headings.index("## Noise") > headings.index("## Workloads")
    assert "Noise: median ±" in "\n".join(lines[:4]) and "(see [Noise](#noise) at the end)" in index
    tables = _answer_tables(index)
    frame = by_question(load_run(built).frame, name_forms=False)
    checked = 0
    for case, config, rows in case_groups(frame, "workload"):
        title = f"{case} ({config})" if config else case
        table = {int(cells[0]): cells for cells in tables[title]}
        for n, at in rows.groupby("n_tasks"):
            if at["series"].nunique() < 2:
                continue
            best = at.sort_values("median").iloc[0]
            high = best["ci_high"]
            tied = sorted(str(r.series) for r in at.itertuples() if r.series != best["series"] and r.ci_low <= high)
            cells = table[int(n)]
            assert cells[1] == best["series"], (title, n)
            assert sorted(filter(None, cells[2].split(", "))) == tied or (cells[2] == "none" and not tied), (title, n)
            checked += 1
    assert checked >= 6


def test_a_models_own_form_is_one_chart_with_the_form_in_its_series(built: Path) -> None:
    report = built / "report"
    names = sorted(p.name for p in report.glob("*.png"))
    assert max(len(name) for name in names) <= MAX_FILE_NAME, names
    assert {"sleep-scaling.png", "sleep-models.png", "times-ideal.png"} <= set(names)
    assert not any("wait_api" in name for name in names)  # one chart, not one per form
    index = (report / "index.md").read_text(encoding="utf-8")
    assert "### sleep (sleep_s=0.01, wait_api by model)" in index
    assert "asyncio · the model's own timer on its loop or hub" in index  # the sleep section's table
    # The Answer keeps the models' plain names and says once which form each ran.
    answer = index.split("## Answer", 1)[1].split("\n## ", 1)[0]
    assert (
        "`wait_api` by model: gevent and asyncio run the model's own timer on its loop or hub; "
        "the others time.sleep in the task." in answer
    )
    assert " · " not in answer
    # Every chart has one line under it that says what to look for.
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)\n\n(.+)", index):
        assert link[1].startswith("Look "), link
