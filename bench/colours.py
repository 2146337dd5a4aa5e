"""A model's colour when it declares none: a stable pick from a spare palette.

Kept free of imports beyond the standard library: the model protocol uses it for
its default, and the reports use it for runs whose manifest declares no colours.
"""

from __future__ import annotations

import zlib

#: Colours for models that declare none, distinct from the ones the built-in models declare.
SPARE_COLOURS: tuple[str, ...] = ("#5254a3", "#8ca252", "#bd9e39", "#ad494a", "#a55194", "#6baed6")


def stable_colour(name: str) -> str:
    """Return the spare colour of the model called ``name``, the same on every run and machine.

    The pick is a CRC-32 of the name, so it does not depend on which other models a
    run holds (Python's own ``hash`` of a string changes from process to process).
    """
    return SPARE_COLOURS[zlib.crc32(name.encode()) % len(SPARE_COLOURS)]
