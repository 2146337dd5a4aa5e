"""Errors a user can cause when building or comparing reports.

Every one of them means "the input is not what the report needs": the command line
prints the message and exits with status 2. Nothing measured is deleted or rewritten
when one is raised.
"""

from __future__ import annotations

from pathlib import Path


class ReportInputError(Exception):
    """Raise when the input of a report (a directory, a file, an option) is unusable.

    The message says what is wrong and what to do about it; the command line prints it
    as is and exits with status 2.
    """


class RunDirError(ReportInputError):
    """Raise when a run directory is missing, is not a directory, or holds no results."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


class ResultFileError(ReportInputError):
    """Raise when a results file (a benchmark JSON or run.json) cannot be read.

    `path` names the file, so the user knows which one to re-create or remove.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")
