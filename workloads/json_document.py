"""The deterministic JSON document that the local server serves and fetch_parse checks.

``document(n)`` is the same bytes in the server and the client, so the client can
check its parse against a total it computes itself.
"""

from __future__ import annotations

import functools
import json
from typing import Any


def _item(k: int) -> dict[str, Any]:
    return {"id": k, "name": f"item-{k}", "value": (k * 7919) % 1000, "tags": ["a", "b"] if k % 2 else ["c"]}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@functools.lru_cache(maxsize=16)
def document(n_bytes: int) -> bytes:
    """A JSON object ``{"items": [...]}`` of exactly ``n_bytes`` bytes (at least one item, so more if that is tiny).

    As many items as fit, then trailing spaces (valid JSON) up to the size.
    """
    frame = len(_dumps({"items": []}))
    parts: list[bytes] = []
    used = frame
    k = 0
    while True:
        item = _dumps(_item(k))
        extra = len(item) + (1 if parts else 0)
        if parts and used + extra > n_bytes:
            break
        parts.append(item)
        used += extra
        k += 1
    body = b'{"items":[' + b",".join(parts) + b"]}"
    return body + b" " * max(0, n_bytes - len(body))


def summarise(doc: Any) -> tuple[int, int]:
    """The small Python-level computation over a parsed document: (items, sum of values of items with a tag 'a')."""
    items = doc["items"]
    total = 0
    for item in items:
        if "a" in item["tags"]:
            total += item["value"] * (item["id"] % 7 + 1)
    return len(items), total
