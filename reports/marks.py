"""Marks on a figure that its ratio alone does not tell: below ideal, server-bound.

An ideal is a lower bound: a median below it means the bound does not hold here (a
calibration that came out slow, say), so such a figure is marked and never ranked
best. A case is server-bound when the local HTTP server kept most of a core busy:
its clients then wait for the server, not for their model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BELOW_IDEAL = "below ideal: not a bound here"
SERVER_BOUND = "server-bound"


def below_ideal(rows: pd.DataFrame) -> pd.Series:
    """Tell, per row, whether its figure lies below its ideal by more than the noise.

    "More than the noise": the whole 95% interval over processes is below the ideal;
    for a case measured in one process (no interval), the rounds' upper quartile is.
    """
    high = pd.to_numeric(rows["ci_high"], errors="coerce") if "ci_high" in rows.columns else None
    q3 = pd.to_numeric(rows["q3"], errors="coerce")
    upper = q3 if high is None else high.fillna(q3)
    ideal = pd.to_numeric(rows["ideal_s"], errors="coerce")
    return (upper < ideal).fillna(False).astype(bool)


def server_bound(rows: pd.DataFrame) -> pd.Series:
    """Tell, per row, whether the run recorded the case as server-bound."""
    if "server_bound" not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows["server_bound"].map(lambda value: value is True or value == 1.0).astype(bool)


def distance_from_ideal(times_ideal: pd.Series | np.ndarray) -> np.ndarray:
    """How far a ratio to the ideal is from 1.0 on a log scale, as a ratio >= 1.

    2.0x and 0.5x are equally far: a figure below its ideal is not closer than ideal.
    """
    values = np.asarray(times_ideal, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.maximum(values, 1.0 / values), np.nan)


def marks(row: pd.Series) -> list[str]:
    """The marks of one row of the tidy frame, in the words the report uses."""
    frame = row.to_frame().T
    found = []
    if bool(below_ideal(frame).iloc[0]):
        found.append(BELOW_IDEAL)
    if bool(server_bound(frame).iloc[0]):
        found.append(SERVER_BOUND)
    return found
