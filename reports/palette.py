"""The one place that decides how a model looks: its colour, line and marker.

A model keeps its colour in every chart of every report, so a reader who learned that
gevent is green never has to check the legend again. Colours are keyed by the backend's
registry key; a variant of a backend (e.g. `processes[spawn]`) keeps the backend's
colour and gets its own line style and marker. Runs in a comparison are told apart by
hatch (bars) or line style (lines), never by colour.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matplotlib.typing import LineStyleType

#: Models in the order the charts list them when no measurement orders them.
KNOWN_BACKENDS: Sequence[str] = (
    "sequential",
    "threads",
    "thread_pool",
    "processes",
    "process_pool",
    "generators",
    "greenlet",
    "gevent",
    "asyncio",
    "uvloop",
)

BACKEND_COLOURS: Mapping[str, str] = {
    "sequential": "#7f7f7f",
    "threads": "#1f77b4",
    "thread_pool": "#17becf",
    "processes": "#d62728",
    "process_pool": "#ff7f0e",
    "generators": "#8c564b",
    "greenlet": "#bcbd22",
    "gevent": "#2ca02c",
    "asyncio": "#9467bd",
    "uvloop": "#e377c2",
}

# Backends added later get one of these, picked by a stable hash of the name so the
# choice does not depend on which other backends a run holds.
_SPARE_COLOURS: Sequence[str] = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")

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


def colour(backend: str) -> str:
    """Return the fixed colour of `backend` (a registry key such as `gevent`)."""
    if backend in BACKEND_COLOURS:
        return BACKEND_COLOURS[backend]
    return _SPARE_COLOURS[zlib.crc32(backend.encode()) % len(_SPARE_COLOURS)]


def backend_rank(backend: str) -> tuple[int, str]:
    """Return a sort key that lists known backends in their usual order, others after."""
    if backend in KNOWN_BACKENDS:
        return (KNOWN_BACKENDS.index(backend), backend)
    return (len(KNOWN_BACKENDS), backend)


def series_styles(pairs: Iterable[tuple[str, str]]) -> dict[str, SeriesStyle]:
    """Map each series name to its style, given `(series, backend)` pairs.

    The first series of a backend (in name order, the plain backend first) gets a solid
    line and a circle, its other variants the next line styles and markers.
    """
    by_backend: dict[str, list[str]] = {}
    for series, backend in sorted(set(pairs)):
        by_backend.setdefault(backend, []).append(series)
    styles: dict[str, SeriesStyle] = {}
    for backend, names in by_backend.items():
        # The plain backend sorts before its variants ("processes" < "processes[fork]").
        for index, series in enumerate(sorted(names, key=lambda s: (s != backend, s))):
            styles[series] = SeriesStyle(
                colour=colour(backend),
                linestyle=VARIANT_LINESTYLES[index % len(VARIANT_LINESTYLES)],
                marker=VARIANT_MARKERS[index % len(VARIANT_MARKERS)],
            )
    return styles
