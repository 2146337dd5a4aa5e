"""Micro-costs: spawn, switch, ipc and memory per task, for every model that has them."""

from __future__ import annotations

from dataclasses import dataclass

from bench.profiles import Profile

MICROS: tuple[str, ...] = ("spawn", "switch", "ipc", "memory")


@dataclass(frozen=True)
class MicroCase:
    """One backend measuring one micro-cost at one size."""

    backend: str
    variant: str | None
    micro: str
    n_tasks: int | None = None
    payload_bytes: int | None = None
    channel: str | None = None

    @property
    def id(self) -> str:
        """The pytest id of this case."""
        label = f"{self.backend}[{self.variant}]" if self.variant else self.backend
        parts = [label, self.micro]
        if self.channel:
            parts.append(self.channel)
        if self.payload_bytes is not None:
            parts.append(f"{self.payload_bytes}B")
        if self.n_tasks is not None:
            parts.append(f"n{self.n_tasks}")
        return "-".join(parts)


def micro_cases(profile: Profile, backend: str, micros: list[str]) -> list[MicroCase]:
    """Every micro-cost case of ``backend`` in ``profile``."""
    return [MicroCase(backend, None, micro) for micro in micros]
