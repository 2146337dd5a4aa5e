"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the run keeps (``run.json``, a session's pytest-benchmark JSON, its
outcomes) is written the same way: to a temporary file beside the target, flushed
to the disk (``fsync``), then renamed over the target, and the directory synced so
the rename itself survives a crash. When the write fails (the disk is full, say),
the temporary file is removed and the target keeps what it held: nothing partial is
ever left behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class NotWritable(Exception):
    """A file of the run could not be written (the disk is full, say); the message says which and why."""


def temporary_path(path: Path) -> Path:
    """The temporary file :func:`write_atomic` writes before renaming it to ``path``.

    Hidden, and named after the writing process, so two writers never share one.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably; raise OSError, leaving no temporary file, if it fails."""
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_directory(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    """:func:`write_atomic` for text, encoded as UTF-8."""
    write_atomic(path, text.encode())


def _sync_directory(directory: Path) -> None:
    # The rename is durable once the directory's entry is; some systems cannot open
    # a directory for that, and the file itself is already safe there.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
