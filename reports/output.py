"""Writing a report directory: stage it beside its final place, then swap it in.

A report is built in a fresh hidden directory next to the target and renamed into
place only once every file is written, so a build that fails half-way leaves the
previous report exactly as it was.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from matplotlib.figure import Figure

DPI = 100


def save_figure(fig: Figure, path: Path) -> None:
    """Write `fig` to `path` as a PNG and release its drawing state.

    The figures of this package are made without pyplot, so no registry keeps them
    alive; clearing the figure frees its artists as soon as it is saved.
    """
    fig.savefig(path, dpi=DPI, format="png")
    fig.clear()


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty directory beside `target`; on success it replaces `target`.

    If the body raises, the staged directory is removed and `target` is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkdir, not mkdtemp: the report gets the usual permissions (umask), not 0700.
    staging = target.with_name(f".{target.name}-new-{uuid.uuid4().hex[:8]}")
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_in(staging, target)


def swap_in(staging: Path, target: Path) -> None:
    """Put the directory `staging` at `target`, replacing what was there.

    The old directory is renamed aside first and deleted only after the new one is in
    place; if the second rename fails, the old one is put back.
    """
    old: Path | None = None
    if target.exists():
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
