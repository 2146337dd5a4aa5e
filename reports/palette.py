"""The one place that decides how a series looks: its colour, line and marker.

A model keeps its colour in every chart of every report, so a reader who learned a
model's colour never has to check the legend again. The colour is the model's own
declaration, recorded in the run's manifest (`reports.models`); a variant of a model
(e.g. `processes[spawn]`) keeps the model's colour and gets its own line style and
marker. Runs in a comparison are told apart by hatch (bars) or line style (lines),
never by colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.typing import LineStyleType

from reports.models import colours

IDEAL_COLOUR = "#000000"
VARIANT_LINESTYLES: Sequence[LineStyleType] = (
    "-",
    ":",
    "-.",
    (0, (5, 1)),
    (0, (3, 1, 1, 1, 1, 1)),
)
VARIANT_MARKERS: Sequence[str] = ("o", "s", "^", "D", "v", "P")
RUN_HATCHES: Sequence[str] = ("", "///", "...", "xxx", "\\\\\\", "+++")
RUN_LINESTYLES: Sequence[LineStyleType] = ("-", "--", ":", "-.", (0, (5, 1)))
RUN_MARKERS: Sequence[str] = ("o", "s", "^", "D", "v", "P")


@dataclass(frozen=True)
class SeriesStyle:
    """How one series (a model, or a model's variant) is drawn."""

    colour: str
    linestyle: LineStyleType
    marker: str


def series_styles(rows: pd.DataFrame) -> dict[str, SeriesStyle]:
    """Map each series of `rows` (tidy-frame rows) to its style.

    The colour is the series' model's. The first series of a model (in name order,
    the plain model first) gets a solid line and a circle, its other variants the
    next line styles and markers.
    """
    tints = colours(rows)
    by_model: dict[str, list[str]] = {}
    for series, model in sorted(set(zip(rows["series"].astype(str), rows["backend"].astype(str), strict=True))):
        by_model.setdefault(model, []).append(series)
    styles: dict[str, SeriesStyle] = {}
    for model, names in by_model.items():
        # The plain model sorts before its variants ("m" < "m[fork]").
        for index, series in enumerate(sorted(names, key=lambda s: (s != model, s))):
            styles[series] = SeriesStyle(
                colour=tints[model],
                linestyle=VARIANT_LINESTYLES[index % len(VARIANT_LINESTYLES)],
                marker=VARIANT_MARKERS[index % len(VARIANT_MARKERS)],
            )
    return styles
