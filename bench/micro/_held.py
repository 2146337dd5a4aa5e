"""How a model holds N tasks alive at once, and releases them: the memory micro-cost's shared parts.

Each model's module makes its own :class:`Holder` (its memory hook); what is here is
shared: the holder's shape and the ballast. A :class:`Holder` pairs ``hold(n)``, which
creates N tasks and returns once every one is blocked the model's own way, with
``release(held)``, which unblocks them, waits for every one to finish and returns how
many finished normally.

The in-process holders take a ``ballast``: bytes each held task keeps alive in a
``bytearray`` of its own (zero-filled, so its pages are resident). It is 0 in every
measurement; a known ballast is how the tests prove that the memory figure sees
what a task holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

H = TypeVar("H")


@dataclass
class Holder(Generic[H]):
    """How one model holds N tasks: ``hold`` makes and parks them, ``release`` ends them.

    ``hold`` releases whatever it made when it fails halfway. ``release`` returns how
    many tasks finished normally and leaves none running, also when it raises.
    ``footprint``, where given, is the bytes the held tasks occupy outside this
    process (the children's total ``uss`` and ``pss``); otherwise RSS growth is measured.
    """

    hold: Callable[[int], H]
    release: Callable[[H], int]
    footprint: Callable[[H], dict[str, int]] | None = None
    recorded: dict[str, Any] = field(default_factory=dict)


def ballast_bytes(size: int) -> bytearray | None:
    """What a held task keeps alive besides itself: ``size`` zero bytes, or nothing."""
    return bytearray(size) if size else None
