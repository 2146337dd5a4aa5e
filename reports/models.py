"""The models a run measured, as its manifest declares them: order, colour, baseline and traits.

The runner writes a `models` section into `run.json` (format 2.1): for every model of
the run its place in the registry (`order`), its `colour`, its `summary`, whether it is
the `baseline` the speedup charts divide by, the modules it `requires`, and (format
2.6) its `traits`: how its tasks wait, whether it runs Python in parallel, whether its
tasks live in the parent process, on a pool of fixed size, in an interpreter of their
own. The reports know the models only from there, so a model added to the registry is
charted in its own colour and place, and checked by every claim its traits qualify it
for, without a line changed here.

`load_run` copies each row's model declarations into the tidy frame
(`MODEL_COLUMNS`), so every selection of the frame carries them: a chart, a table or
a comparison of several runs reads order, colour and baseline from the rows it draws.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bench.colours import stable_colour
from bench.results_format import LEGACY_BASELINE

#: The traits a model declares (`bench.models.Traits`), each a column `model_<trait>`.
TRAITS: tuple[str, ...] = ("waits", "parallel_python", "in_parent", "fixed_pool", "own_interpreter")
#: What a model's `waits` trait may say.
WAITS: tuple[str, ...] = ("cooperative", "thread", "process", "none")
#: Columns `load_run` adds to the tidy frame: each row's model's place, colour, baseline
#: and traits (None where the run's manifest declares none).
MODEL_COLUMNS: tuple[str, ...] = ("model_order", "model_colour", "model_baseline", *(f"model_{t}" for t in TRAITS))
#: A colour the manifest may declare: `#rrggbb` or `#rrggbbaa`.
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?")


@dataclass(frozen=True)
class Model:
    """One model of a run, as its manifest declares it (or as the fallback guesses it)."""

    name: str
    order: int
    colour: str
    baseline: bool
    summary: str | None = None
    requires: tuple[str, ...] = ()
    #: The declared traits by name; empty where the run declares none (before format 2.6).
    traits: Mapping[str, Any] = field(default_factory=dict)

    def columns(self) -> dict[str, Any]:
        """The model's `MODEL_COLUMNS` values, as every row of the model carries them."""
        return {
            "model_order": self.order,
            "model_colour": self.colour,
            "model_baseline": self.baseline,
            **{f"model_{t}": self.traits.get(t) for t in TRAITS},
        }


def declared_models(manifest: Mapping[str, Any] | None, names: Iterable[str]) -> dict[str, Model]:
    """Return the run's models by name, in chart order: the manifest's, else the fallback.

    `names` are the models the run's files hold; one the manifest does not declare
    (a session that predates its manifest entry) comes after the declared ones, in a
    colour of its own. A declared colour that is not a hex colour is replaced by the
    stable one.
    """
    section = (manifest or {}).get("models")
    if not isinstance(section, Mapping):
        return undeclared_models(names)
    models: dict[str, Model] = {}
    for position, (name, entry) in enumerate(section.items()):
        entry = entry if isinstance(entry, Mapping) else {}
        order = entry.get("order")
        colour = entry.get("colour")
        requires = entry.get("requires")
        models[str(name)] = Model(
            name=str(name),
            order=order if isinstance(order, int) and not isinstance(order, bool) else position,
            colour=colour if isinstance(colour, str) and HEX_COLOUR.fullmatch(colour) else stable_colour(str(name)),
            baseline=entry.get("baseline") is True,
            summary=str(entry["summary"]) if entry.get("summary") is not None else None,
            requires=tuple(str(r) for r in requires) if isinstance(requires, list) else (),
            traits=_traits(entry.get("traits")),
        )
    last = max((m.order for m in models.values()), default=-1)
    for offset, name in enumerate(sorted(set(names) - set(models))):
        models[name] = Model(name=name, order=last + 1 + offset, colour=stable_colour(name), baseline=False)
    return dict(sorted(models.items(), key=lambda item: (item[1].order, item[0])))


def _traits(declared: Any) -> dict[str, Any]:
    """The traits of a manifest entry that are well formed; a malformed one is left out."""
    if not isinstance(declared, Mapping):
        return {}
    traits: dict[str, Any] = {}
    for name in TRAITS:
        value = declared.get(name)
        if (name == "waits" and value in WAITS) or (name != "waits" and isinstance(value, bool)):
            traits[name] = value
    return traits


def undeclared_models(names: Iterable[str]) -> dict[str, Model]:
    """Guess the models of a run whose manifest has no `models` section (format 1.x and 2.0).

    Order: by name; colours: the stable pick by name; baseline: the model those
    versions of the harness always divided by, when the run has it.
    """
    return {
        name: Model(name=name, order=order, colour=stable_colour(name), baseline=name == LEGACY_BASELINE)
        for order, name in enumerate(sorted(set(names)))
    }


def add_model_columns(frame: pd.DataFrame, models: Mapping[str, Model]) -> pd.DataFrame:
    """Return `frame` with `MODEL_COLUMNS` filled from `models` by each row's model."""
    keys = frame["backend"].astype(str)
    fallback = undeclared_models(keys)
    chosen = [(models.get(key) or fallback[key]).columns() for key in keys]
    return frame.assign(**{column: [c[column] for c in chosen] for column in MODEL_COLUMNS})


def unify_models(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every row of a model the order and colour of the model's first row.

    Several runs stacked for a comparison may declare a model differently (an older
    run without declarations, a newer registry): the first run that has the model
    decides, so a model keeps one colour and one place in every chart. Each run keeps
    its own baseline.
    """
    first = frame.drop_duplicates("backend").set_index("backend")
    return frame.assign(
        model_order=frame["backend"].map(first["model_order"]).astype(int),
        model_colour=frame["backend"].map(first["model_colour"]),
    )


def with_models(rows: pd.DataFrame) -> pd.DataFrame:
    """Return `rows` with `MODEL_COLUMNS`, guessed as for an undeclared run where it lacks them."""
    return rows if all(c in rows.columns for c in MODEL_COLUMNS) else add_model_columns(rows, {})


def colours(rows: pd.DataFrame) -> dict[str, str]:
    """Map each model of `rows` to its colour."""
    first = with_models(rows).drop_duplicates("backend")
    return dict(zip(first["backend"].astype(str), first["model_colour"].astype(str), strict=True))


def ranks(rows: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """Map each model of `rows` to a sort key that lists the models in their declared order."""
    first = with_models(rows).drop_duplicates("backend")
    return {str(b): (int(o), str(b)) for b, o in zip(first["backend"], first["model_order"], strict=True)}


def baseline_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of the baseline model (of each run, when `rows` stacks several)."""
    rows = with_models(rows)
    return rows[rows["model_baseline"].astype(bool)]


def baseline_name(rows: pd.DataFrame) -> str | None:
    """Return the name of the baseline model of `rows`, or None when none of them is it."""
    base = baseline_rows(rows)
    return str(base["backend"].iloc[0]) if not base.empty else None


def baseline_colour(rows: pd.DataFrame) -> str:
    """Return the colour the baseline's reference line is drawn in (grey when there is none)."""
    base = baseline_rows(rows)
    return str(base["model_colour"].iloc[0]) if not base.empty else "#7f7f7f"
