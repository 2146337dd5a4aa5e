"""What a claim is made of: its verdicts, figures with intervals, and the frame's rows it reads.

A claim is decided with its figures' 95% intervals (over processes, see
``reports.stats``):

- **holds**: the interval of the deciding quantity clears the claim's threshold;
- **does not hold**: it clears it the other way;
- **inconclusive**: it straddles the threshold, or a figure has no interval (one
  process), so the run cannot tell;
- **not measured**: the run lacks a figure the claim needs.

The claims about kinds of model (:mod:`reports.claims`), the claims the workloads
declare (:mod:`reports.workload_claims`) and those about subinterpreters
(:mod:`reports.interpreter_claims`) are all built from these.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reports.frames import common_n
from reports.models import baseline_name
from reports.selection import chosen
from reports.units import fmt_ratio

HOLDS = "holds"


DOES_NOT_HOLD = "does not hold"


INCONCLUSIVE = "inconclusive"


NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Verdict:
    """One claim (``id`` names it), what this run says of it, and the figures."""

    id: str
    claim: str
    outcome: str
    evidence: str

    @property
    def holds(self) -> bool | None:
        """True if it holds, False if it does not, None if inconclusive or not measured."""
        return {HOLDS: True, DOES_NOT_HOLD: False}.get(self.outcome)


@dataclass(frozen=True)
class Figure:
    """A figure and its 95% interval (NaN ends: no interval, one process)."""

    value: float
    low: float = math.nan
    high: float = math.nan

    @property
    def has_interval(self) -> bool:
        """Tell whether both ends are known."""
        return math.isfinite(self.low) and math.isfinite(self.high)

    def __truediv__(self, other: Figure) -> Figure:
        """The ratio, its interval from both (half-widths added in quadrature on a log scale)."""
        value = self.value / other.value
        if not (self.has_interval and other.has_interval):
            return Figure(value)
        half = math.hypot(_half(self), _half(other))
        return Figure(value, value * math.exp(-half), value * math.exp(half))


def _half(figure: Figure) -> float:
    return max(math.log(figure.high / figure.value), math.log(figure.value / figure.low))


def judge(figure: Figure, *, above: float | None = None, below: float | None = None) -> str:
    """Whether ``figure`` is above (or below) the threshold, given its interval."""
    if not figure.has_interval:
        return INCONCLUSIVE
    if above is not None:
        return HOLDS if figure.low > above else DOES_NOT_HOLD if figure.high < above else INCONCLUSIVE
    assert below is not None
    return HOLDS if figure.high < below else DOES_NOT_HOLD if figure.low > below else INCONCLUSIVE


def combine(outcomes: Iterable[str]) -> str:
    """All hold: holds; any does not: does not hold; otherwise inconclusive."""
    seen = list(outcomes)
    if DOES_NOT_HOLD in seen:
        return DOES_NOT_HOLD
    return HOLDS if seen and all(o == HOLDS for o in seen) else INCONCLUSIVE


def figure(row: pd.Series, column: str) -> Figure:
    """A row's figure in ``column`` (``per_op_s``, ``times_ideal``, ``bytes_per_task``...) with its interval.

    The interval columns bound the row's own figure (``median``, or
    ``bytes_per_task`` for memory); every other column is a fixed scaling of it.
    """
    base = "bytes_per_task" if column == "bytes_per_task" else "median"
    value, own = float(row[column]), float(row.get(base, math.nan))
    low, high = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    if not (own > 0 and math.isfinite(low) and math.isfinite(high)):
        return Figure(value)
    return Figure(value, value * low / own, value * high / own)


def rows_of(frame: pd.DataFrame, kind: str, case: str) -> pd.DataFrame:
    return frame[(frame["kind"] == kind) & (frame["case"] == case)]


def per_op(frame: pd.DataFrame, micro: str, label: str) -> Figure | None:
    """Per-op figure of model ``label`` for ``micro`` (at its largest N)."""
    rows = rows_of(frame, "micro", micro)
    rows = rows[(rows["label"] == label) | ((rows["backend"] == label) & rows["variant"].isna())]
    rows = rows.dropna(subset=["per_op_s"])
    for column, default in (("family", "native"), ("placement", "os")):
        if column in rows.columns:  # each model's own hand-over, placed by the OS
            rows = rows[rows[column].isna() | (rows[column] == default)]
    if rows.empty:
        return None
    return figure(rows.sort_values("n_tasks", na_position="first").iloc[-1], "per_op_s")


def first_label(frame: pd.DataFrame, model: str) -> str:
    """The label of ``model``'s default variant in this run (processes[fork], say)."""
    labels = frame.loc[frame["backend"] == model, "label"].dropna().unique()
    return str(sorted(labels, key=len)[0]) if len(labels) else model


def interval_text(ratio: Figure) -> str:
    if not ratio.has_interval:
        return f"{fmt_ratio(ratio.value)}, no interval: one process"
    return f"{fmt_ratio(ratio.value)}, 95% interval {fmt_ratio(ratio.low)}-{fmt_ratio(ratio.high)}"


def kib(n_bytes: float) -> str:
    return f"{n_bytes / 1024:.1f} KiB" if n_bytes < 2**20 else f"{n_bytes / 2**20:.2f} MiB"


def row_at(frame: pd.DataFrame, workload: str, model: str, n_tasks: int) -> pd.Series | None:
    rows = rows_of(frame, "workload", workload)
    rows = rows[(rows["backend"] == model) & (rows["n_tasks"] == n_tasks)].dropna(subset=["times_ideal"])
    # Where the HTTP client is a parameter, the claim reads the minimal client: the same bytes
    # and parser in every model, so the model is not blamed for a library's cost.
    if "client" in rows and (rows["client"] == MINIMAL_CLIENT).any():
        rows = rows[rows["client"] == MINIMAL_CLIENT]
    return None if rows.empty else rows.iloc[0]


def largest_common_n(
    frame: pd.DataFrame, workload: str, models: Sequence[str], at_most: int | None = None
) -> int | None:
    """The largest n_tasks (up to ``at_most``) at which every model of ``models`` ran ``workload``."""
    return common_n(rows_of(frame, "workload", workload), by="backend", every=models, at_most=at_most)


#: The value of the ``client`` parameter of the client that is alike in every model.
MINIMAL_CLIENT = "minimal"


def times_text(fig: Figure) -> str:
    if not fig.has_interval:
        return fmt_ratio(fig.value)
    return f"{fmt_ratio(fig.value)} ({fmt_ratio(fig.low)}-{fmt_ratio(fig.high)})"


@dataclass(frozen=True)
class Kind:
    """The models a claim is about, chosen by the traits they declare (``run.json``'s ``models``).

    ``traits`` are matched as :func:`reports.selection.chosen` matches a workload's
    declared choice; a trait not given is not looked at. A run whose models declare no
    traits (written before format 2.6) has no model of any kind, so its claims are
    "not measured". ``baseline`` chooses the run's baseline model instead.
    """

    #: How the claim names such a model in its text ("a thread per task").
    words: str
    traits: tuple[tuple[str, Any], ...] = ()
    baseline: bool = False

    @classmethod
    def of(cls, words: str, **traits: Any) -> Kind:
        """The kind of the models whose traits are ``traits`` (``waits`` a tuple of ways)."""
        return cls(words, tuple((k, list(v) if isinstance(v, tuple) else v) for k, v in traits.items()))

    def models(self, frame: pd.DataFrame) -> list[str]:
        """The models of this kind in ``frame``, in their declared order."""
        if self.baseline:
            name = baseline_name(frame) if not frame.empty else None
            return [name] if name is not None else []
        return chosen(frame, {"traits": dict(self.traits)}) or []

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` whose model is of this kind."""
        return frame[frame["backend"].isin(self.models(frame))]


#: The kinds of model the claims are about.
BASELINE = Kind("the baseline", baseline=True)
THREAD_PER_TASK = Kind.of(
    "a thread per task", waits=("thread",), in_parent=True, fixed_pool=False, own_interpreter=False
)
PROCESS_PER_TASK = Kind.of("a process per task", waits=("process",), fixed_pool=False)
COOPERATIVE = Kind.of("a cooperative task", waits=("cooperative",), in_parent=True, fixed_pool=False)
SUBINTERPRETERS = Kind.of("a subinterpreter", in_parent=True, own_interpreter=True)
#: Why a claim found no model of a kind.
NO_MODEL = "no model of this run declares traits that qualify it ({words}); runs before format 2.6 declare none"


def no_model(kind: Kind) -> str:
    """The evidence of a claim that found no model of ``kind``."""
    return NO_MODEL.format(words=kind.words)


def labels_of(frame: pd.DataFrame, kind: Kind) -> list[str]:
    """The label of each model of ``kind`` in ``frame``: its default variant's (processes[fork], say)."""
    return [first_label(frame, model) for model in kind.models(frame)]


def names_text(labels: Sequence[str], kind: Kind) -> str:
    """The labels and, in brackets, the kind they are of; the kind alone without labels."""
    return f"{', '.join(labels)} ({kind.words})" if labels else kind.words
