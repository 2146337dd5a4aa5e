"""The version of the results format (docs/results-format.md), written into every file.

A reader refuses a file whose major version it does not know, naming the file and the
versions it reads; a minor version only adds keys, which every reader may ignore.
Files without a version are format 1: one pytest-benchmark file per backend, one
process each. Kept free of imports: gevent's interpreter imports it before patching.
"""

FORMAT_VERSION = "2.6"
#: The major versions this checkout's reports read.
READABLE_MAJORS = (1, 2)
#: The key that holds the version in run.json, calibration.json and every benchmark file.
FORMAT_KEY = "format_version"
#: The model the speedups of format 1 and 2.0 divide by: runs before 2.1 declare no models,
#: and the harness of those versions always took this one as the baseline.
LEGACY_BASELINE = "sequential"


def major(version: object) -> int | None:
    """The major number of a version string such as "2.0" (None if it is not one)."""
    if version is None:
        return 1
    text = str(version)
    head = text.split(".", 1)[0]
    return int(head) if head.isdigit() else None
