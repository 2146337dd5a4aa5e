"""The claims the run's workloads declare, judged on this run's figures.

A workload declares its claims as data (``workloads.report_spec.Claim``), and the
runner records them in ``run.json``'s ``workloads`` section: which models (chosen by
the traits they declare, or by key for a claim about one named model), which figure
(the speed-up over the run's baseline model, or times ideal), which threshold. This
module names no workload and no model: it reads the declaration, picks the rows, and
decides like every claim in :mod:`reports.claims`, from the figures' 95% intervals
over processes at the largest task count the models in question share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from reports.load import declared_workloads
from reports.models import baseline_name
from reports.selection import NO_TRAITS, chosen
from reports.units import fmt_seconds
from reports.verdicts import (
    NOT_MEASURED,
    Figure,
    Verdict,
    combine,
    figure,
    interval_text,
    judge,
    largest_common_n,
    row_at,
)

#: The figures a claim may judge.
SPEEDUP, TIMES_IDEAL = "speedup", "times_ideal"
#: Said once, in place of the workloads' claims and readings, of a run that has no declarations.
PREDATES = (
    "This run predates the workloads' declarations of their claims, readings and tables (`run.json` has no "
    "`workloads` section): none are shown."
)


def cores(frame: pd.DataFrame) -> int:
    """The machine's core count, as the frame records it (1 where it does not)."""
    known = frame["cpu_count"].dropna() if "cpu_count" in frame.columns else pd.Series(dtype=float)
    return int(known.iloc[0]) if not known.empty else 1


def _number(text: float) -> str:
    return f"{text:g}"


def claim_text(claim: Mapping[str, Any], frame: pd.DataFrame, models: Sequence[str] = (), n: int | None = None) -> str:
    """The claim's sentence with its threshold, the run's baseline model, the models checked and their n filled in."""
    threshold = claim.get("above") if claim.get("above") is not None else claim.get("below")
    base = baseline_name(frame) if not frame.empty else None
    filled = str(claim.get("sentence", "")).replace(
        "{threshold}", _number(float(threshold)) if threshold is not None else "?"
    )
    filled = filled.replace("{models}", ", ".join(models) or "none of this run's models")
    filled = filled.replace("{n}", str(n) if n is not None else "N")
    return filled.replace("{baseline}", base or "the baseline model")


def _figure_of(frame: pd.DataFrame, workload: str, model: str, n: int, kind: str, base: str | None) -> Figure | None:
    """``model``'s figure on ``workload`` at ``n``: its speed-up over ``base``, or times ideal."""
    row = row_at(frame, workload, model, n)
    if row is None:
        return None
    if kind == TIMES_IDEAL:
        return figure(row, "times_ideal")
    reference = row_at(frame, workload, base, n) if base is not None else None
    return None if reference is None else figure(reference, "median") / figure(row, "median")


def _listed(frame: pd.DataFrame, workload: str, models: Sequence[str], n: int, kind: str, base: str | None) -> str:
    """``model figure`` for every model with a figure, joined by commas."""
    parts = []
    for model in models:
        found = _figure_of(frame, workload, model, n, kind, base)
        if found is not None:
            parts.append(f"{model} {interval_text(found)}")
    return ", ".join(parts)


def judge_claim(frame: pd.DataFrame, workload: str, claim: Mapping[str, Any]) -> Verdict:
    """One declared claim about ``workload``, decided on the frame's figures."""
    claim_id = str(claim.get("id") or f"{workload}_claim")
    text = claim_text(claim, frame)
    kind = str(claim.get("figure") or SPEEDUP)
    above, below = claim.get("above"), claim.get("below")
    rows = frame[(frame["kind"] == "workload") & (frame["case"] == workload)]
    models = chosen(rows, claim.get("models"))
    if models is None:
        return Verdict(claim_id, text, NOT_MEASURED, NO_TRAITS)
    flipped = claim.get("without_gil")
    if isinstance(flipped, Mapping) and not _with_gil(rows, models):
        return judge_claim(frame, workload, {**flipped, "id": claim_id, "without_gil": None})
    base = baseline_name(rows) if not rows.empty else None
    models = [m for m in models if m != base]
    if not models:
        return Verdict(claim_id, text, NOT_MEASURED, f"this run has no `{workload}` figures for a model it is about")
    if kind == SPEEDUP and base is None:
        return Verdict(claim_id, text, NOT_MEASURED, f"this run has no `{workload}` figures for its baseline model")
    at_most = claim.get("at_most_n")
    n = largest_common_n(frame, workload, [*models, *([base] if kind == SPEEDUP and base else [])], at_most)
    if n is None or n < 2:
        return Verdict(
            claim_id, text, NOT_MEASURED, f"this run has no `{workload}` figures for {', '.join(models)} at a common n"
        )
    machine = cores(frame)
    need = int(claim.get("min_cores") or 1)
    if machine < need:
        return Verdict(claim_id, text, NOT_MEASURED, f"this machine has {machine} core: the claim needs {need}")
    text = claim_text(claim, frame, models, n)
    figures = {m: _figure_of(frame, workload, m, n, kind, base) for m in models}
    if any(found is None for found in figures.values()):
        return Verdict(claim_id, text, NOT_MEASURED, "a model is missing at the common n_tasks")
    outcome = combine(judge(found, above=above, below=below) for found in figures.values() if found is not None)
    evidence = f"at {n} tasks on {machine} cores, " + (
        f"the speed of {base} ({_median_text(frame, workload, base, n)}): " if kind == SPEEDUP else "times ideal: "
    )
    evidence += _listed(frame, workload, models, n, kind, base)
    others = chosen(rows, claim.get("also")) or []
    also = _listed(frame, workload, [m for m in others if m not in models and m != base], n, kind, base)
    if also:
        evidence += f"; beside them {also}"
    for other in claim.get("beside") or []:
        beside = _listed(frame, str(other), models, n, kind, base)
        if beside:
            evidence += f"; on `{other}` at the same n, {beside}"
    return Verdict(claim_id, text, outcome, evidence)


def _with_gil(rows: pd.DataFrame, models: Sequence[str]) -> bool:
    """Whether ``models`` ran with the GIL, as their sessions record it; assumed so where they do not say.

    A free-threaded build records ``gil_enabled`` False when it ran without the GIL
    (it turns it back on for an extension module not marked safe without it).
    """
    if "gil_enabled" not in rows.columns:
        return True
    return all(bool(state) for state in rows.loc[rows["backend"].isin(models), "gil_enabled"].dropna())


def _median_text(frame: pd.DataFrame, workload: str, model: str | None, n: int) -> str:
    row = row_at(frame, workload, model, n) if model is not None else None
    return fmt_seconds(float(row["median"])) if row is not None else "?"


def declared_verdicts(frame: pd.DataFrame, manifest: Mapping[str, Any] | None) -> list[Verdict]:
    """Every claim the run's workloads declare, judged; none for a run without declarations."""
    frame = frame.assign(**{c: float("nan") for c in ("times_ideal", "ci_low", "ci_high") if c not in frame})
    verdicts = []
    for workload, spec in (declared_workloads(manifest) or {}).items():
        for claim in spec.get("claims") or []:
            if not isinstance(claim, Mapping):
                continue
            try:
                verdicts.append(judge_claim(frame, workload, claim))
            except (KeyError, TypeError, ValueError) as exc:
                # A declaration is data from run.json, perhaps edited by hand: it costs its own claim only.
                text = str(claim.get("sentence") or claim.get("id") or workload)
                verdicts.append(
                    Verdict(str(claim.get("id")), text, NOT_MEASURED, f"its declaration cannot be read ({exc!r})")
                )
    return verdicts


def predates_markdown(manifest: Mapping[str, Any] | None) -> list[str]:
    """One line for a run whose manifest has no workload declarations; nothing otherwise."""
    return [PREDATES, ""] if declared_workloads(manifest) is None else []
