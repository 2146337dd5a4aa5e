"""The claims table: each verdict follows the figures, and says so when it cannot."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reports.claims import CLAIMS, check_claims, claims_markdown

DEFAULTS: dict[str, Any] = {
    "variant": None,
    "n_tasks": None,
    "per_op_s": float("nan"),
    "median": float("nan"),
    "times_ideal": float("nan"),
    "bytes_per_task": float("nan"),
    "channel": None,
    "family": None,
    "placement": None,
    "mechanism": None,
    "payload_bytes": float("nan"),
    "cpu_count": 2,
}


def row(kind: str, case: str, backend: str, **values: Any) -> dict[str, Any]:
    variant = values.get("variant")
    label = f"{backend}[{variant}]" if variant else backend
    return {**DEFAULTS, "kind": kind, "case": case, "backend": backend, "label": label, **values}


def micro(case: str, backend: str, per_op_s: float, **values: Any) -> dict[str, Any]:
    return row("micro", case, backend, per_op_s=per_op_s, **values)


def workload(case: str, backend: str, n: int, median: float, ideal: float) -> dict[str, Any]:
    return row("workload", case, backend, n_tasks=n, median=median, times_ideal=median / ideal)


def physics() -> list[dict[str, Any]]:
    """A run where every claim holds."""
    rows = [
        micro("spawn", "processes", 2e-3, variant="fork"),
        micro("spawn", "threads", 90e-6),
        micro("spawn", "greenlet", 8e-6),
        micro("switch", "processes", 40e-6, variant="fork", family="native", placement="os", mechanism="Pipe"),
        micro("switch", "threads", 20e-6, family="native", placement="os", mechanism="queue.Queue"),
        *(
            micro("switch", backend, per_op, variant=variant, family="common", placement="same-core", mechanism="pipe")
            for backend, variant, per_op in (("processes", "fork", 30e-6), ("threads", None, 15e-6))
        ),
        micro("switch", "greenlet", 0.2e-6, family="native", mechanism="greenlet.switch"),
        micro("ipc", "processes", 2e-6, variant="fork", channel="pipe", payload_bytes=64),
        micro("ipc", "processes", 1e-3, variant="fork", channel="pipe", payload_bytes=2**20),
        row("micro", "memory", "processes", variant="fork", n_tasks=100, bytes_per_task=2e6),
        row("micro", "memory", "greenlet", n_tasks=10_000, bytes_per_task=6e3),
        row("micro", "memory", "asyncio", n_tasks=10_000, bytes_per_task=1.5e3),
    ]
    for case in ("sleep", "http_fetch"):
        rows += [workload(case, m, 100, 0.06, 0.05) for m in ("threads", "greenlet", "gevent", "asyncio")]
        rows.append(workload(case, "sequential", 100, 5.0, 0.05))
    rows += [
        workload("cpu_spin", "sequential", 10, 0.12, 0.06),
        workload("cpu_spin", "threads", 10, 0.13, 0.06),
        workload("cpu_spin", "process_pool", 10, 0.07, 0.06),
    ]
    return rows


def verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {v.claim.split(":")[0] + ":" + v.claim.split(":")[1][:30]: v for v in check_claims(pd.DataFrame(rows))}


def test_every_claim_holds_on_a_run_that_follows_the_physics() -> None:
    results = check_claims(pd.DataFrame(physics()))
    assert len(results) == len(CLAIMS)
    assert [v.claim for v in results if v.holds is not True] == []


def test_figures_are_quoted_in_the_evidence() -> None:
    spawn = check_claims(pd.DataFrame(physics()))[0]
    assert "2.00 ms" in spawn.evidence and "90.0 µs" in spawn.evidence and "22.2x" in spawn.evidence


@pytest.mark.parametrize(
    ("index", "change"),
    [
        (0, lambda r: r["case"] == "spawn" and r["backend"] == "threads" and r.update(per_op_s=5e-3)),
        (3, lambda r: r["case"] == "switch" and r["backend"] == "threads" and r.update(per_op_s=60e-6)),
        (4, lambda r: r["case"] == "ipc" and r["payload_bytes"] == 2**20 and r.update(per_op_s=1.0)),
        (5, lambda r: r["case"] == "memory" and r["backend"] == "greenlet" and r.update(bytes_per_task=5e5)),
        (6, lambda r: r["case"] == "sleep" and r["backend"] == "gevent" and r.update(times_ideal=3.5)),
        (8, lambda r: r["case"] == "cpu_spin" and r["backend"] == "process_pool" and r.update(median=0.1)),
    ],
)
def test_a_claim_fails_when_its_figures_say_so(index: int, change: Any) -> None:
    rows = physics()
    for r in rows:
        change(r)
    result = check_claims(pd.DataFrame(rows))[index]
    assert result.holds is False, result


def test_a_claim_without_its_figures_is_not_measured() -> None:
    rows = [r for r in physics() if r["case"] not in ("switch", "http_fetch")]
    by_claim = check_claims(pd.DataFrame(rows))
    assert by_claim[2].holds is None and "switch" in by_claim[2].evidence
    assert by_claim[7].holds is None and "http_fetch" in by_claim[7].evidence
    markdown = "\n".join(claims_markdown(by_claim))
    assert "not measured" in markdown and "holds" in markdown


def test_a_run_of_one_workload_has_no_micro_columns_and_is_not_measured() -> None:
    rows = [
        {"kind": "workload", "case": "http_fetch", "backend": b, "label": b, "n_tasks": 10, "median": 0.06,
         "times_ideal": 1.2, "cpu_count": 2}
        for b in ("threads", "asyncio")
    ]  # fmt: skip
    results = check_claims(pd.DataFrame(rows))
    assert [v.holds for v in results[:6]] == [None] * 6
    assert results[7].holds is True
