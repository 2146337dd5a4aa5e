"""Reports of concurrency-bench: results JSON -> pandas -> matplotlib PNGs + index.md.

`python -m reports build RUN_DIR` writes one run's report; `python -m reports compare
RUN_DIR...` puts several runs (of one or more machines) side by side with statistics.
The public surface is small: the loaders, the two builders and the errors.
"""

from reports.errors import ReportInputError, ResultFileError, RunDirError
from reports.load import RunData, load_manifest, load_run

__all__ = [
    "ReportInputError",
    "ResultFileError",
    "RunData",
    "RunDirError",
    "load_manifest",
    "load_run",
]
