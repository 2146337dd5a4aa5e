"""Writing a report directory: stage it beside its final place, then swap it in.

A report is built in a fresh hidden directory next to the target and renamed into
place only once every file is written, so a build that fails half-way, or is
interrupted, leaves the previous report exactly as it was.

The tool only ever replaces a directory it wrote itself. Every directory it writes
holds a small record, `OWNER_FILE`, naming what wrote it and each file with its
SHA-256. An existing target is replaced only if it is empty, or holds exactly the files
that record lists, unchanged (a directory written before the record existed is
recognised by its files alone: `index.md` under the tool's heading, CSV and PNG files
and nothing else). Anything else there, a file, a directory of someone's data, a
report with a file added or edited by hand, is refused with an `OutputDirError`, and
nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from matplotlib.figure import Figure

from reports.errors import ReportInputError

DPI = 100
#: The record of what the tool wrote in a directory (hidden, beside the report's files;
#: JSON, but not named `*.json`, so that no reader takes it for a results file).
OWNER_FILE = ".written-by-concurrency-bench"
OWNER_TOOL = "concurrency-bench reports"
#: The first line of the `index.md` of each kind of directory, for those written before
#: the record existed.
HEADINGS = {"report": "# concurrency-bench report", "comparison": "# concurrency-bench comparison"}
_LEGACY_SUFFIXES = (".png", ".csv")


class OutputDirError(ReportInputError):
    """Raise when a report's target is not a place the tool may write or replace."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


def save_figure(fig: Figure, path: Path) -> None:
    """Write `fig` to `path` as a PNG and release its drawing state.

    The figures of this package are made without pyplot, so no registry keeps them
    alive; clearing the figure frees its artists as soon as it is saved.
    """
    fig.savefig(path, dpi=DPI, format="png")
    fig.clear()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded_files(directory: Path, kind: str) -> dict[str, str] | None:
    """Return the files the owner record of `directory` lists, or None without a valid one."""
    try:
        record = json.loads((directory / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("tool") != OWNER_TOOL or record.get("kind") != kind:
        return None
    files = record.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return None
    return {str(name): digest for name, digest in files.items()}


def _looks_written_before_records(directory: Path, entries: list[Path], kind: str) -> bool:
    """Tell whether `entries` are those of a `kind` directory written before owner records."""
    index = directory / "index.md"
    if not all(e.is_file() and not e.is_symlink() for e in entries):
        return False
    if not all(e.name == "index.md" or e.suffix in _LEGACY_SUFFIXES for e in entries):
        return False
    try:
        first = index.read_text(encoding="utf-8").split("\n", 1)[0]
    except (OSError, UnicodeDecodeError):
        return False
    return first.startswith(HEADINGS[kind])


def not_replaceable(target: Path, kind: str) -> str | None:
    """Say why the tool may not write a `kind` directory at `target`, or None if it may.

    It may where nothing is, in an empty directory, and over a `kind` directory it
    wrote that nobody has changed since.
    """
    if target.is_symlink():
        return "is a symbolic link; give the path of a new directory"
    if not target.exists():
        return None
    if not target.is_dir():
        return "is a file, not a directory; give the path of a new directory (nothing was written)"
    if Path.cwd().resolve().is_relative_to(target.resolve()):
        return "is the current directory or holds it; give the path of a new directory"
    entries = sorted(target.iterdir())
    if not entries:
        return None
    recorded = _recorded_files(target, kind)
    if recorded is None:
        if _looks_written_before_records(target, entries, kind):
            return None
        return (
            f"is not empty and is not a {kind} written by this tool; give a new or empty directory "
            "(nothing was written; the tool never replaces what it did not write)"
        )
    for entry in entries:
        if entry.name == OWNER_FILE:
            continue
        if entry.name not in recorded or not entry.is_file() or entry.is_symlink():
            return f"holds {entry.name}, which this tool did not write; move it away or give another directory"
        if _digest(entry) != recorded[entry.name]:
            return f"{entry.name} was changed since this tool wrote it; move it away or give another directory"
    return None


def check_target(target: Path, kind: str) -> None:
    """Raise `OutputDirError` if the tool may not write a `kind` directory at `target`."""
    problem = not_replaceable(target, kind)
    if problem:
        raise OutputDirError(target, problem)


def _write_owner_record(directory: Path, kind: str) -> None:
    files = {p.name: _digest(p) for p in sorted(directory.iterdir()) if p.is_file() and p.name != OWNER_FILE}
    record = {"tool": OWNER_TOOL, "kind": kind, "files": files}
    (directory / OWNER_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


@contextmanager
def staged_dir(target: Path, kind: str) -> Iterator[Path]:
    """Yield an empty directory beside `target`; on success it replaces `target`.

    `kind` is `report` or `comparison`. Raises `OutputDirError` before yielding if the
    tool may not write there (see `not_replaceable`) or cannot create the staging
    directory. If the body raises (an interrupt included), the staged directory is
    removed and `target` is untouched.
    """
    target = Path(os.path.abspath(target))
    check_target(target, kind)
    # mkdir, not mkdtemp: the report gets the usual permissions (umask), not 0700.
    staging = target.with_name(f".{target.name}-new-{uuid.uuid4().hex[:8]}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise OutputDirError(target, f"cannot be written ({exc.strerror or exc}); give a writable directory") from exc
    try:
        yield staging
        _write_owner_record(staging, kind)
        # Checked again: the target may have changed while the report was built.
        check_target(target, kind)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with interrupts_deferred():
        swap_in(staging, target)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back while the block runs, then deliver it.

    A swap is two renames; an interrupt between them would leave no report at all. In
    the main thread the signal is recorded and handed to the previous handler (for
    Python's default, a `KeyboardInterrupt`) once the block is done, or raised again
    where that handler is the operating system's. Elsewhere, where
    no handler can be set, the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, FrameType | None]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(*caught[0])
        elif caught and previous != signal.SIG_IGN:
            signal.raise_signal(signal.SIGINT)


def swap_in(staging: Path, target: Path) -> None:
    """Put the directory `staging` at `target`, replacing what was there.

    An empty `target` directory is replaced in one rename. Otherwise the old directory
    is renamed aside first and deleted only after the new one is in place; if the second
    rename fails, the old one is put back.
    """
    old: Path | None = None
    if target.exists() and any(target.iterdir()):
        old = target.with_name(f".{target.name}-old-{uuid.uuid4().hex[:8]}")
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
