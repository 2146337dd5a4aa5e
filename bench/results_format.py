"""The version of the results format (docs/results-format.md), written into every file.

A reader refuses a file whose major version it does not know, naming the file and the
versions it reads; a minor version only adds keys, which every reader may ignore.
Files without a version are format 1: one pytest-benchmark file per model, one
process each. Kept free of imports: gevent's interpreter imports it before patching.
"""

from __future__ import annotations

#: 3.0: each benchmark's extra_info lists its measurements (`MEASURED_KEY`); a 2.x reader
#: would take a new measurement for a case parameter, hence the major.
FORMAT_VERSION = "3.2"
#: The major versions this checkout's reports read.
READABLE_MAJORS = (1, 2, 3)
#: The key that holds the version in run.json, calibration.json and every benchmark file.
FORMAT_KEY = "format_version"
#: The model the speedups of format 1 and 2.0 divide by: runs before 2.1 declare no models,
#: and the harness of those versions always took this one as the baseline.
LEGACY_BASELINE = "sequential"
#: The extra_info key (3.0) that lists, sorted, which of a benchmark's other keys are
#: measurements; every key not listed that is not the case's identity is a parameter.
MEASURED_KEY = "measured"
#: The first major version whose benchmarks list their measurements.
MEASURED_SINCE = 3


def add_measured(extra: dict[str, object], *keys: str) -> None:
    """List those of ``keys`` that ``extra`` holds in its ``measured`` list, kept sorted."""
    listed = extra.get(MEASURED_KEY)
    known = [str(key) for key in listed] if isinstance(listed, list) else []
    extra[MEASURED_KEY] = sorted({*known, *(key for key in keys if key in extra)})


def major(version: object) -> int | None:
    """The major number of a version string such as "2.0" (None if it is not one)."""
    if version is None:
        return 1
    text = str(version)
    head = text.split(".", 1)[0]
    return int(head) if head.isdigit() else None
