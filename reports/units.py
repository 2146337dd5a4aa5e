"""Numbers with units, as they appear in chart labels and in the report's sentences.

Every value is printed with three significant figures and a unit chosen so that the
number reads between 1 and 1000 (or 1024 for bytes), e.g. `12.3 ms`, `4.00 KiB`,
`1.04x`. The same functions write the sentences and the tables, so a number in the
text is always the rounded form of one in `summary.csv`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter

TIME_UNITS: Sequence[tuple[str, float]] = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))
BYTE_UNITS: Sequence[tuple[str, float]] = (
    ("GiB", 1024.0**3),
    ("MiB", 1024.0**2),
    ("KiB", 1024.0),
    ("B", 1.0),
)


def significant(value: float, digits: int = 3) -> str:
    """Format `value` with `digits` significant figures and no exponent."""
    if not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    rounded = round(value, digits - 1 - magnitude)
    if rounded != 0:
        # Rounding can carry into the next power of ten (0.9996 -> 1.00, not 1.000).
        magnitude = math.floor(math.log10(abs(rounded)))
    if magnitude >= digits:
        # 184056 -> 184000: digits beyond the significant ones would be noise.
        return f"{round(value, digits - 1 - magnitude):.0f}"
    decimals = max(digits - 1 - magnitude, 0)
    return f"{value:.{decimals}f}"


def _with_unit(value: float, units: Sequence[tuple[str, float]], step: float) -> str:
    """Format `value` in the largest unit of `units` (largest first) that keeps it >= 1."""
    if not math.isfinite(value):
        return "n/a"
    for index, (unit, scale) in enumerate(units):
        if abs(value) >= scale or index == len(units) - 1:
            text = significant(value / scale)
            # Rounding can carry into the next unit (999.7 ms -> "1000 ms"): move up.
            if index > 0 and abs(float(text)) >= step:
                bigger, bigger_scale = units[index - 1]
                return f"{significant(value / bigger_scale)} {bigger}"
            return f"{text} {unit}"
    raise AssertionError("unreachable: the last unit always matches")


def fmt_seconds(value: float) -> str:
    """Format a duration in seconds as `1.23 s`, `45.6 ms`, `789 µs` or `12.0 ns`."""
    return _with_unit(value, TIME_UNITS, 1000.0)


def fmt_bytes(value: float) -> str:
    """Format a byte count with binary units: `64 B`, `4.00 KiB`, `1.50 MiB`."""
    if math.isfinite(value) and 0 <= value < 1000 and float(value).is_integer():
        return f"{int(value)} B"
    return _with_unit(value, BYTE_UNITS, 1024.0)


def fmt_rate(bytes_per_s: float) -> str:
    """Format a throughput in bytes per second: `1.23 GiB/s`."""
    return f"{fmt_bytes(bytes_per_s)}/s"


def fmt_ratio(value: float) -> str:
    """Format a ratio as `9.12x` (three significant figures).

    Every ratio here is of times or sizes, which are positive, so a value that is not
    finite or not positive is no ratio: it reads `n/a`, never `-1.00x` or `0x`.
    """
    if not math.isfinite(value) or value <= 0:
        return "n/a"
    return f"{significant(value)}x"


def _pick(values: Iterable[float], units: Sequence[tuple[str, float]]) -> tuple[str, float]:
    """Pick the unit in which the largest finite value of `values` reads >= 1."""
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    top = max(finite, default=1.0)
    for unit, scale in units:
        if top >= scale:
            return unit, scale
    return units[-1]


def time_unit(values: Iterable[float]) -> tuple[str, float]:
    """Return `(unit, seconds per unit)` that suits an axis showing `values` seconds."""
    return _pick(values, TIME_UNITS)


def byte_unit(values: Iterable[float]) -> tuple[str, float]:
    """Return `(unit, bytes per unit)` that suits an axis showing `values` bytes."""
    return _pick(values, BYTE_UNITS)


def _compact(text: str) -> str:
    """Drop trailing zeros from a formatted tick: `10.0 µs` -> `10 µs`, `2.00x` -> `2x`."""
    number, space, unit = text.partition(" ")
    if not space and number.endswith("x"):
        number, unit = number[:-1], "x"
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number}{space}{unit}"


def tick_formatter(fmt: Callable[[float], str], axis: Axis) -> None:
    """Label the ticks of `axis` with units, e.g. `10 µs`, `4 KiB`, `2x`.

    Major ticks always get a label. Minor ticks get one only where the axis spans
    less than about a decade and a half, where matplotlib would otherwise show few or
    no major labels: those at 2 and 5 times a power of ten, or all of them on an axis
    narrower than 3x.
    """

    def major(value: float, _pos: int | None) -> str:
        if value == 0:
            return "0"
        return _compact(fmt(value)) if value > 0 else ""

    def minor(value: float, _pos: int | None) -> str:
        low, high = sorted(axis.get_view_interval())
        if value <= 0 or low <= 0 or high / low > 30:
            return ""
        lead = round(value / 10 ** math.floor(math.log10(value)), 6)
        return _compact(fmt(value)) if high / low < 3 or lead in (2.0, 5.0) else ""

    axis.set_major_formatter(FuncFormatter(major))
    axis.set_minor_formatter(FuncFormatter(minor))
