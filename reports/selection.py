"""Choose a declaration's models from the frame: by the traits the run's models declare, or by key.

A workload's claims and tables name their models as data (``workloads.report_spec``,
recorded in ``run.json``): ``{"traits": {"waits": [...], "in_parent": true, ...}}``
or ``{"models": [...]}``. The traits are the frame's ``model_<trait>`` columns; a run
whose models declare no traits (older runs) has none of them, and then no model
qualifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from reports.models import ranks

#: Why a trait selector chose nothing in a run whose models declare no traits.
NO_TRAITS = "the run's models declare no traits"


def has_traits(frame: pd.DataFrame) -> bool:
    """Tell whether the frame carries the models' declared traits (columns that are not all empty)."""
    return "model_waits" in frame.columns and bool(frame["model_waits"].notna().any())


def _matches(value: Any, wanted: Any) -> bool:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    if isinstance(wanted, list):
        return str(value) in {str(w) for w in wanted}
    return bool(value) == bool(wanted)


def chosen(frame: pd.DataFrame, choice: Mapping[str, Any] | None) -> list[str] | None:
    """The models of ``frame`` that ``choice`` selects, in the models' declared order.

    None when ``choice`` selects by traits and the frame has no trait columns.
    """
    if not choice or frame.empty:
        return []
    if isinstance(choice.get("models"), list):
        names = [str(m) for m in choice["models"]]
        found = frame[frame["backend"].isin(names)]
    else:
        traits = choice.get("traits") if isinstance(choice.get("traits"), Mapping) else {}
        assert isinstance(traits, Mapping)
        if not has_traits(frame):
            return None
        keep = pd.Series(True, index=frame.index)
        for trait, wanted in traits.items():
            column = f"model_{trait}"
            if column not in frame.columns:
                return None
            keep &= frame[column].map(lambda value, w=wanted: _matches(value, w)).astype(bool)
        found = frame[keep]
    if found.empty:
        return []
    rank = ranks(found)
    return sorted({str(b) for b in found["backend"]}, key=lambda b: rank[b])
