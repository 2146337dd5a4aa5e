"""Skip reasons that several models' hooks share, word for word, so their rows read alike."""

from __future__ import annotations

#: The start of every ipc skip: where ipc is measured instead.
NOT_IPC = (
    "ipc moves bytes between processes: the processes session measures queue, pipe and shared_memory, and "
    "the threads session queue.Queue as the in-process reference; "
)
#: The middle of the memory skip of a model whose tasks are work items, not live tasks.
NO_LIVE_TASKS = "keeps no task of its own alive while it waits: "
