"""What a workload says in the report, declared as data: its claims, its readings, its tables.

Standard library only, and no import of any other module of the project: a workload
declares its :class:`ReportSpec` with these classes, the runner records
:meth:`ReportSpec.to_json` in ``run.json`` (its ``workloads`` section), and the
reports interpret that JSON without importing any workload.

Models are chosen by what they declare, never by a list: a :class:`Traits` selector
matches the traits every model records in ``run.json`` (how its tasks wait, whether
it runs pure Python in parallel, whether its tasks live in the parent process,
whether it uses a pool of fixed size, whether each task has an interpreter of its
own). A claim a tutorial makes about one named model is declared with
:class:`Named`, here, beside the workload it is about.

Text fields may hold ``{n}`` (the task count read), ``{models}`` (the models a claim
checked), ``{baseline}`` (the run's baseline model) and ``{threshold}`` (a claim's
threshold); the report fills them in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: How a model's tasks wait, as models declare it.
WAITS = ("cooperative", "thread", "process", "none")

#: A claim's or a table's figure: the model's speed-up over the run's baseline model
#: (baseline median / model median, above 1: faster).
SPEEDUP = "speedup"
#: The model's median over the case's ideal (1.0: as fast as any model could be).
TIMES_IDEAL = "times_ideal"
#: The model's median wall time.
MEDIAN = "median"

#: How a reading is shown.
UNITS = ("seconds", "cores", "count", "bytes", "flag", "text")


@dataclass(frozen=True)
class Traits:
    """Chooses the models whose declared traits match; a field left None matches any model.

    ``waits``: the model waits in one of these ways (see :data:`WAITS`).
    """

    waits: tuple[str, ...] | None = None
    parallel_python: bool | None = None
    in_parent: bool | None = None
    fixed_pool: bool | None = None
    own_interpreter: bool | None = None

    def __post_init__(self) -> None:
        unknown = [w for w in self.waits or () if w not in WAITS]
        if unknown:
            raise ValueError(f"unknown way to wait {unknown}; valid: {', '.join(WAITS)}")


@dataclass(frozen=True)
class Named:
    """Chooses models by their keys: for a claim made about one named model."""

    models: tuple[str, ...]


ModelChoice = Traits | Named

#: The models that give each task a wait of its own: on a loop or hub, or in an OS thread of the
#: parent process. A pool of fixed size caps how many wait at once, and a process per task is
#: dearer by design, so neither is in the claims that waits overlap.
A_WAIT_PER_TASK = Traits(waits=("cooperative", "thread"), in_parent=True, fixed_pool=False)
#: Process pools: pure Python runs on as many cores as the pool has workers.
PROCESS_POOLS = Traits(waits=("process",), fixed_pool=True)


@dataclass(frozen=True)
class Claim:
    """A claim about the workload's figures, judged on the run's 95% intervals.

    Every model ``models`` chooses must have its ``figure`` above ``above`` (or below
    ``below``) at the largest task count they all ran (up to ``at_most_n``). On a
    machine with fewer than ``min_cores`` cores the claim is not measured. The
    evidence adds, unjudged, the same figure of the chosen models on the workloads in
    ``beside`` and that of the models ``also`` chooses.

    ``without_gil`` is the claim judged in its place where the chosen models ran
    without the GIL (a free-threaded build), for a claim whose premise is the GIL.
    """

    id: str
    sentence: str
    models: ModelChoice
    figure: str = SPEEDUP
    above: float | None = None
    below: float | None = None
    at_most_n: int | None = None
    min_cores: int = 1
    beside: tuple[str, ...] = ()
    also: ModelChoice | None = None
    without_gil: Claim | None = None

    def __post_init__(self) -> None:
        if (self.above is None) == (self.below is None):
            raise ValueError(f"claim {self.id}: give exactly one of above and below")
        if self.figure not in (SPEEDUP, TIMES_IDEAL):
            raise ValueError(f"claim {self.id}: figure {self.figure!r}; valid: {SPEEDUP}, {TIMES_IDEAL}")


@dataclass(frozen=True)
class Reading:
    """A measurement a case records in its ``extra_info`` beside its parameters (per round, or over its rounds).

    A declared reading is never a case parameter: a new reading does not split the
    workload's charts. ``name`` heads its column; ``unit`` says how to show it.
    """

    key: str
    name: str
    unit: str = "seconds"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"reading {self.key}: unit {self.unit!r}; valid: {', '.join(UNITS)}")


@dataclass(frozen=True)
class Note:
    """A paragraph of text under its title."""

    title: str
    text: str


@dataclass(frozen=True)
class PairTable:
    """Each model's median with ``parameter`` at ``first`` and at ``second``, side by side.

    Read at the largest task count most models ran with both; ``difference`` heads
    the column of second minus first, and ``detail`` names a recorded column shown
    beside the second (the library it used, say), headed ``detail_name``. ``dearest`` is the sentence said of
    the model with the largest difference, among those whose ``detail`` does not
    start with ``same_detail`` (nothing is said without it).
    """

    title: str
    text: str
    parameter: str
    first: str
    second: str
    difference: str
    detail: str | None = None
    detail_name: str | None = None
    dearest: str | None = None
    same_detail: str | None = None


@dataclass(frozen=True)
class ReadingsTable:
    """Every series' declared ``readings`` at the largest task count that measured them, with its marks.

    ``reason`` names a reading that says why a case has no figure; ``flag`` names a
    reading whose true value marks a case (``flag_name`` in the text).
    """

    title: str
    text: str
    readings: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    reason: str | None = None
    flag: str | None = None
    flag_name: str | None = None


@dataclass(frozen=True)
class BesideTable:
    """This workload beside ``other``, at one task count both ran: each model's ``figure`` on both.

    ``other_where`` keeps the other workload's rows whose parameter has that value
    (its minimal client, say). With :data:`MEDIAN` the table gives both medians and
    their ratio; with :data:`SPEEDUP`, each median and its speed-up over the baseline model.
    """

    title: str
    text: str
    other: str
    figure: str = MEDIAN
    other_where: tuple[tuple[str, str], ...] = ()
    at_most_n: int | None = None


@dataclass(frozen=True)
class BaselineTable:
    """Each chosen model's median and speed-up over the baseline model, at the largest task count they share."""

    title: str
    text: str
    models: ModelChoice


Table = Note | PairTable | ReadingsTable | BesideTable | BaselineTable
#: Each table kind by the name ``to_json`` records it under.
TABLE_KINDS: dict[str, type] = {
    "note": Note,
    "pair": PairTable,
    "readings": ReadingsTable,
    "beside": BesideTable,
    "baseline": BaselineTable,
}


@dataclass(frozen=True)
class ReportSpec:
    """What a workload says in the report beyond its charts: its claims, its readings and its tables.

    ``heading`` titles the workload's tables in the report.
    """

    heading: str = ""
    claims: tuple[Claim, ...] = ()
    readings: tuple[Reading, ...] = ()
    tables: tuple[Table, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The declaration as JSON values, as ``run.json`` records it (tables tagged by ``kind``)."""
        kinds = {cls: name for name, cls in TABLE_KINDS.items()}
        return {
            "heading": self.heading,
            "claims": [_claim_json(claim) for claim in self.claims],
            "readings": [dataclasses.asdict(reading) for reading in self.readings],
            "tables": [{"kind": kinds[type(table)], **_plain(table)} for table in self.tables],
        }


def choice_json(choice: ModelChoice) -> dict[str, Any]:
    """A model choice as JSON: ``{"traits": {...}}`` (the fields given) or ``{"models": [...]}``."""
    if isinstance(choice, Named):
        return {"models": list(choice.models)}
    given = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(choice).items()}
    return {"traits": {k: v for k, v in given.items() if v is not None}}


def _claim_json(claim: Claim) -> dict[str, Any]:
    found = _plain(claim)
    found["models"] = choice_json(claim.models)
    found["also"] = choice_json(claim.also) if claim.also is not None else None
    found["without_gil"] = _claim_json(claim.without_gil) if claim.without_gil is not None else None
    return found


def _plain(item: Any) -> dict[str, Any]:
    """A dataclass's fields as JSON values: tuples become lists, a model choice its JSON."""
    found: dict[str, Any] = {}
    for spec in dataclasses.fields(item):
        value = getattr(item, spec.name)
        if isinstance(value, (Traits, Named)):
            value = choice_json(value)
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        found[spec.name] = value
    return found
