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

The staging directory (`.NAME-new-XXXXXXXX`) holds the same record from its first
moment, naming the process that builds it. A build stopped by a signal removes its
own; one killed outright (SIGKILL, a power cut) leaves it, and the next build beside
it removes it, provided its record says this tool made it, its builder is gone, and it
holds nothing but the kinds of files a report is made of (or it is empty and has been
for a minute: killed before its record was written). Running out of space while
writing is one `OutputDirError`, the staging directory removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import psutil
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
#: What a staging directory may hold for a later build to remove it: a report's files.
_STAGED_SUFFIXES = (".png", ".csv", ".md")
#: The name `staged_dir` gives a staging directory: `.<target>-new-<8 hex digits>`.
_STAGING_NAME = re.compile(r"^\..+-new-[0-9a-f]{8}$")
#: How long an empty staging directory must have been left alone before it is taken for abandoned.
_EMPTY_STAGING_AGE_S = 60.0
#: The signals held back while a report is swapped in (two renames).
_DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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


def _process_identity() -> dict[str, Any]:
    """This process as a staging record names it: pid and start time (a reused pid differs)."""
    return {"pid": os.getpid(), "pid_started": psutil.Process().create_time()}


def _builder_gone(record: dict[str, Any]) -> bool:
    """Whether the process a staging record names has ended; unreadable: not provably gone."""
    try:
        pid, started = int(record["pid"]), float(record["pid_started"])
    except (KeyError, TypeError, ValueError):
        return False
    try:
        return abs(psutil.Process(pid).create_time() - started) > 1.0
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def _abandoned_staging(directory: Path, kind: str) -> bool:
    """Whether `directory` is a `kind` staging directory this tool made and nobody builds any more.

    One still empty (killed between making it and writing its record) is taken once
    it has been left alone for `_EMPTY_STAGING_AGE_S`: removing it loses nothing, and a
    build that has just made one writes its record at once.
    """
    if directory.is_symlink() or not directory.is_dir() or not _STAGING_NAME.match(directory.name):
        return False
    try:
        entries = list(directory.iterdir())
        if not entries:
            return time.time() - directory.stat().st_mtime > _EMPTY_STAGING_AGE_S
        record = json.loads((directory / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict) or record.get("tool") != OWNER_TOOL or record.get("kind") != kind:
        return False
    if not isinstance(record.get("staging"), dict) or not _builder_gone(record["staging"]):
        return False
    return all(
        entry.is_file() and not entry.is_symlink() and (entry.name == OWNER_FILE or entry.suffix in _STAGED_SUFFIXES)
        for entry in entries
    )


def remove_abandoned_staging(parent: Path, kind: str) -> list[Path]:
    """Remove the `kind` staging directories in `parent` left by builds that were killed; return them.

    Only what `_abandoned_staging` proves is this tool's own is removed; anything else
    that looks like one is left as it is.
    """
    removed = []
    for candidate in sorted(parent.glob(".*-new-*")):
        if _abandoned_staging(candidate, kind):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _write_staging_record(staging: Path, kind: str) -> None:
    record = {"tool": OWNER_TOOL, "kind": kind, "files": {}, "staging": _process_identity()}
    (staging / OWNER_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _unwritable(target: Path, exc: OSError) -> OutputDirError:
    why = exc.strerror or str(exc)
    return OutputDirError(
        target,
        f"could not be written ({why}); nothing was changed: free some space or give a writable directory",
    )


@contextmanager
def staged_dir(target: Path, kind: str) -> Iterator[Path]:
    """Yield an empty directory beside `target`; on success it replaces `target`.

    `kind` is `report` or `comparison`. Raises `OutputDirError` before yielding if the
    tool may not write there (see `not_replaceable`) or cannot create the staging
    directory. If the body raises (an interrupt included), the staged directory is
    removed and `target` is untouched; an `OSError` in the body (no space left, say)
    becomes an `OutputDirError`, as the body only writes. Staging directories that
    killed builds left beside `target` are removed first.
    """
    target = Path(os.path.abspath(target))
    check_target(target, kind)
    if target.parent.is_dir():
        remove_abandoned_staging(target.parent, kind)
    # mkdir, not mkdtemp: the report gets the usual permissions (umask), not 0700.
    staging = target.with_name(f".{target.name}-new-{uuid.uuid4().hex[:8]}")
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            _write_staging_record(staging, kind)
        except OSError as exc:
            raise OutputDirError(
                target, f"cannot be written ({exc.strerror or exc}); give a writable directory"
            ) from exc
        try:
            yield staging
            _write_owner_record(staging, kind)
        except OSError as exc:
            raise _unwritable(target, exc) from exc
        # Checked again: the target may have changed while the report was built.
        check_target(target, kind)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with interrupts_deferred():
        swap_in(staging, target)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT (Ctrl-C) and SIGTERM back while the block runs, then deliver the first.

    A swap is two renames; an interrupt between them would leave no report at all. In
    the main thread a signal is recorded and handed to the handler it would have met
    (for Python's default SIGINT handler, a `KeyboardInterrupt`) once the block is done,
    or raised again where that handler is the operating system's. Elsewhere, where no
    handler can be set, the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, FrameType | None]] = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: caught.append((signum, frame)))
        for signum in _DEFERRED_SIGNALS
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if caught:
            first, frame = caught[0]
            waiting = previous[signal.Signals(first)]
            if callable(waiting):
                waiting(first, frame)
            elif waiting != signal.SIG_IGN:
                signal.raise_signal(first)


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
