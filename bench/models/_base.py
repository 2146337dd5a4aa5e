"""The model interface: one concurrency model that runs N tasks to completion."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from bench.colours import stable_colour
from workloads.protocol import Form, Option
from workloads.report_spec import WAITS

if TYPE_CHECKING:
    from bench.micro.hooks import MicroHooks

Task = Callable[[int], Any]


@dataclass(frozen=True)
class Traits:
    """What a model is, in the terms the report's claims choose their models by.

    A claim such as "coroutines overlap their waits" is about every model whose
    tasks wait cooperatively in the parent process, not about a list of names: a
    model added through the registry is checked by every claim its traits qualify
    it for. The runner records the traits in ``run.json``'s ``models`` section.
    """

    #: How a task waits: ``cooperative`` (it yields to a loop, hub or scheduler in
    #: its own thread), ``thread`` (an OS thread blocks and the OS switches),
    #: ``process`` (it blocks in a process of its own or a worker process), or
    #: ``none`` (one task after another: nothing else runs while it waits).
    waits: str
    #: Whether pure-Python CPU work of several tasks runs in parallel on several
    #: cores (processes, interpreters with a GIL each), on a build with the GIL.
    parallel_python: bool
    #: Whether the tasks run inside the parent (benchmark) process.
    in_parent: bool
    #: Whether the tasks run on a pool of fixed size (by default one worker per
    #: core), so at most that many wait at once.
    fixed_pool: bool
    #: Whether each task (or worker) runs in an interpreter of its own: a process,
    #: or a subinterpreter with its own GIL.
    own_interpreter: bool = False

    def __post_init__(self) -> None:
        if self.waits not in WAITS:
            raise ValueError(f"Traits.waits is {self.waits!r}; valid: {', '.join(WAITS)}")

    def as_record(self) -> dict[str, Any]:
        """The traits as ``run.json`` records them."""
        return asdict(self)


class Model:
    """Runs N tasks of one workload form and returns their results in task order.

    A model owns its pool, loop or hub: ``__enter__`` sets it up (outside the
    timed region), ``run`` is what gets timed, ``__exit__`` tears it down and must
    leave no child process or thread behind, also after an error.
    """

    name: ClassVar[str]
    form: ClassVar[Form]
    summary: ClassVar[str]

    # -- what the run records about a model --
    # run.json's `models` section and the machine info are read from these; reading
    # them must not import the model's library (see `bench.models.unavailable`).

    #: The model's colour in every chart (hex). A model that declares none gets a
    #: stable pick from a spare palette by the hash of its name (``__init_subclass__``).
    colour: ClassVar[str] = stable_colour("")
    #: Whether this is the model the speedup charts divide by (one per registry).
    baseline: ClassVar[bool] = False
    #: Importable modules the model needs beyond the core dependencies; missing ones
    #: make it unavailable, with the reason, rather than failing its session.
    requires: ClassVar[tuple[str, ...]] = ()
    #: Distributions whose installed versions the machine info records.
    packages: ClassVar[tuple[str, ...]] = ()
    #: What the model is, for the claims (see :class:`Traits`). A model that declares
    #: none is in no claim that selects by trait.
    traits: ClassVar[Traits | None] = None

    @classmethod
    def not_here(cls) -> str | None:
        """Why this interpreter cannot run the model at all (too old a Python), or None.

        Checked before :attr:`requires`; like it, it must not import the model's library.
        """
        return None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each model gets its own default colour, not the one of the class it extends.
        if "colour" not in cls.__dict__:
            cls.colour = stable_colour(str(cls.__dict__.get("name", cls.__name__)))

    # -- end of what the run records about a model --

    def __init__(self, variant: str | None = None) -> None:
        self.variant = variant

    @classmethod
    def variants(cls, start_methods: tuple[str, ...]) -> tuple[str | None, ...]:
        """The variants a profile runs (process start methods); (None,) for most."""
        return (None,)

    @classmethod
    def applies(cls, variant: str | None, workload: str) -> bool:
        """Whether ``variant`` runs ``workload`` at all (a pool sized for all tasks runs only I/O)."""
        return True

    def setup(self, n_tasks: int) -> None:
        """Make what a case of ``n_tasks`` needs (a pool of the right size), outside timing."""

    def capacity(self, n_tasks: int) -> int | None:
        """How many tasks can wait at once (pool size, 1 for sequential); None: all."""
        return None

    def limit(self, n_tasks: int) -> str | None:
        """Why ``n_tasks`` cannot be run on this machine, or None when it can."""
        return None

    def processes_started(self, n_tasks: int) -> int:
        """How many processes a round of ``n_tasks`` starts inside the timed region (0 for most)."""
        return 0

    def parameters(self) -> Mapping[str, Any]:
        """The model's own recorded parameters (pool size, start method)."""
        return {}

    def __enter__(self) -> Model:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the pool, loop or hub."""

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        """Run ``task(0) .. task(n_tasks - 1)`` to completion; return the results."""
        raise NotImplementedError

    # -- micro-cost hooks --

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        """What the micro-costs (spawn, switch, ipc, memory) run on this model; see :mod:`bench.micro.hooks`.

        A model states its loops, mechanisms and sizes here, in its own module; a
        micro-cost it leaves out is skipped with a reason naming the model and the
        missing hook. The default states none. Called once per process; keep the
        model's library imports inside the functions a hook names.
        """
        from bench.micro.hooks import MicroHooks

        return MicroHooks()

    # -- session --
    # What a model needs around a whole session, with defaults that need nothing:
    # its own command-line options, a check before the run, something entered once
    # per session (a cluster), and what that adds to the machine facts and cores.

    #: Options this model adds to ``python -m bench`` (a scheduler's address, say); their
    #: values reach :meth:`preflight` and :meth:`session` by ``Option.dest``.
    options: ClassVar[tuple[Option, ...]] = ()
    #: What :meth:`session` yielded, set on every instance by :meth:`for_session`.
    session_state: Any = None
    #: ``module:function`` that this model's interpreters (its sessions, its memory
    #: holds) call first, before anything else is imported: gevent's monkey-patching.
    #: The runner writes it into the session description, which is read with ``json``
    #: alone, so nothing the function must precede has been imported yet.
    prelude: ClassVar[str | None] = None

    @classmethod
    def preflight(cls, options: Mapping[str, Any]) -> str | None:
        """Why this model cannot run with ``options`` (an unreachable scheduler), or None.

        Called by the runner before any session; a string ends the run (exit 2) with it.
        """
        return None

    @classmethod
    def session(cls, options: Mapping[str, Any]) -> AbstractContextManager[Any]:
        """A context the session enters once, before any case (a cluster); it yields the session's state."""
        return nullcontext(None)

    @classmethod
    def for_session(cls, variant: str | None, state: Any) -> Model:
        """The model of one case in a session whose :meth:`session` yielded ``state``.

        By default ``cls(variant)`` with ``session_state`` set; a model whose
        constructor needs the state overrides this.
        """
        model = cls(variant)
        model.session_state = state
        return model

    @classmethod
    def isolation_facts(cls) -> Mapping[str, Any]:
        """What this interpreter shows of this model's patching, read without importing its library.

        Every session records the facts of every model (``isolation`` in its JSON), so
        that a run proves no other model's interpreter imported or patched what this
        model patches. A model that patches nothing shows nothing: the default.
        """
        return {}

    @classmethod
    def machine_info(cls, state: Any) -> Mapping[str, Any]:
        """Facts merged into the session's ``machine_info`` (a cluster's workers and cores)."""
        return {}

    @classmethod
    def cores(cls, state: Any) -> int | None:
        """The cores this model can use, which ideals then count; None: the machine's."""
        return None
