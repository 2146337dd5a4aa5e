"""The tables the workloads declare, rendered by kind from synthetic frames with known figures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports.workload_claims import PREDATES
from reports.workload_readings import workload_markdown, workload_readings_markdown
from tests.test_claims import workload
from tests.test_workload_claims import manifest, with_traits
from workloads.report_spec import BaselineTable, BesideTable, Claim, Named, ReportSpec, Traits


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A tidy-like frame: series as labels, no configuration."""
    found = pd.DataFrame(rows)
    return found.assign(series=found["label"], config="", q3=found["median"], ideal_s=found["median"] / 2)


def lines_of(text: list[str], model: str) -> str:
    return next(line for line in "\n".join(text).splitlines() if line.startswith(f"| {model} |"))


def test_a_beside_table_gives_both_medians_and_their_ratio_at_the_largest_shared_n() -> None:
    rows = [
        workload("fetch_parse", "threads", 100, 0.30, 0.1, client="minimal"),
        workload("fetch_parse", "asyncio", 100, 0.20, 0.1, client="minimal"),
        workload("fetch_parse", "threads", 1000, 3.0, 0.1, client="minimal"),
        workload("http_fetch", "threads", 100, 0.10, 0.1, client="minimal"),
        workload("http_fetch", "threads", 100, 0.50, 0.1, client="idiomatic"),
        workload("http_fetch", "asyncio", 100, 0.08, 0.1, client="minimal"),
    ]
    text = workload_markdown("fetch_parse", manifest("fetch_parse")["workloads"]["fetch_parse"], frame(rows))
    assert "#### Fetch then parse, beside the fetch alone, at 100 tasks" in text
    assert lines_of(text, "threads") == "| threads | 100 ms | 300 ms | 3.00x |"  # the minimal client's fetch
    assert lines_of(text, "asyncio") == "| asyncio | 80.0 ms | 200 ms | 2.50x |"


def test_a_beside_table_of_speedups_reads_at_most_its_declared_n() -> None:
    rows = [
        workload(case, model, n, median * (2 if n == 100 else 1), 0.01)
        for case, model, median in (
            ("cpu_release", "sequential", 0.020),
            ("cpu_release", "threads", 0.010),
            ("cpu_spin", "sequential", 0.12),
            ("cpu_spin", "threads", 0.13),
        )
        for n in (10, 100)
    ]
    text = workload_markdown("cpu_release", manifest("cpu_release")["workloads"]["cpu_release"], frame(rows))
    assert "#### GIL-releasing C code beside pure Python, at 10 tasks" in text
    assert lines_of(text, "threads") == "| threads | 130 ms | 0.923x | 10.0 ms | 2.00x |"


def test_a_baseline_table_shows_the_models_its_traits_choose() -> None:
    spec = ReportSpec(
        tables=(BaselineTable(title="Against {baseline}, at {n} tasks", text="", models=Traits(in_parent=True)),)
    )
    rows = [
        workload("reading", "sequential", 10, 0.040, 0.01),
        workload("reading", "threads", 10, 0.020, 0.01),
        workload("reading", "process_pool", 10, 0.010, 0.01),
    ]
    text = workload_markdown("reading", spec.to_json(), frame(with_traits(rows)))
    assert "#### Against sequential, at 10 tasks" in text
    assert lines_of(text, "threads") == "| threads | 20.0 ms | 2.00x |"
    assert "| process_pool |" not in "\n".join(text)
    bare = [{k: v for k, v in r.items() if not k.startswith("model_")} for r in rows]
    untraited = workload_markdown("reading", spec.to_json(), frame(bare))
    assert "Not shown: the run's models declare no traits." in untraited
    assert "#### Against sequential" in untraited


def test_a_declaration_that_cannot_be_read_costs_its_own_table_only() -> None:
    spec = ReportSpec(tables=(BesideTable(title="t", text="", other="other"),)).to_json()
    spec["tables"][0]["other_where"] = "client"  # not pairs of a parameter and a value
    spec["tables"].append({"kind": "note", "title": "Still here", "text": "a note"})
    rows = [workload("mine", "threads", 10, 0.02, 0.01), workload("other", "threads", 10, 0.02, 0.01)]
    text = workload_markdown("mine", spec, frame(rows))
    assert any("The `beside` table mine declares cannot be read" in line for line in text)
    assert "#### Still here" in text


def test_a_claim_that_cannot_be_read_is_not_measured_and_says_why() -> None:
    from reports.workload_claims import declared_verdicts

    spec = ReportSpec(claims=(Claim(id="odd", sentence="odd", models=Named(("threads",)), above=1.0),)).to_json()
    spec["claims"][0]["above"] = "lots"
    rows = [workload("mine", "sequential", 10, 0.02, 0.01), workload("mine", "threads", 10, 0.01, 0.01)]
    (found,) = declared_verdicts(frame(rows), {"workloads": {"mine": spec}})
    assert found.outcome == "not measured" and "cannot be read" in found.evidence


def test_a_run_without_declarations_gets_one_line_in_place_of_the_tables() -> None:
    rows = [workload("fetch_parse", "threads", 100, 0.30, 0.1)]
    assert workload_readings_markdown(frame(rows), {"models": {}}) == [PREDATES, ""]
    assert workload_readings_markdown(frame(rows), None) == [PREDATES, ""]
