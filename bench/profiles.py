"""Profiles: the task counts and timing policy, as data. ``smoke`` for CI, ``quick`` by default.

A workload's own parameters in each profile live in its module (``Workload.params``);
a profile holds only what is not a workload's: the ``n_tasks`` grid, the process
start methods, the rounds and the time budgets.

Every model runs in ``processes`` fresh interpreters, and every figure is judged
against the spread between them (``reports/stats.py``); the round budget below is
per process. In each process a case runs one warmup round (checked, untimed) when
``warmup`` is set, then as many timed rounds as fit ``target_case_s``, within
[``min_rounds``, ``max_rounds``]. A round of ``long_round_s`` or more (predicted, or
seen in the warmup) gets one timed round per process and, when predicted, no
warmup: its repetitions are the processes, where its variance is. A case whose
round is predicted to take longer than ``max_round_s`` (a sequential model waiting
N x T, say) is skipped with that reason instead of attempted, and so is one that
starts more than ``max_started_processes`` processes a round (a process per task at
1000 tasks takes seconds a round, in every process of the run).

After the profile's ``processes``, the runner gives every case whose interval is
still wider than the ``precision`` target another process (a session of those cases
only, interleaved across models as before), until each is precise enough, has
``max_processes``, or the run has spent ``budget_s``: the time goes where the noise
is (``reports.precision``), and a short budget goes first to the cases that one or
two more processes would resolve.

A workload parameter given as a tuple is a grid axis: every case runs once per value
(the minimal HTTP client, then the idiomatic library, say).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    """One task-count grid and its timing policy."""

    name: str
    n_tasks: tuple[int, ...]
    start_methods: tuple[str, ...]
    processes: int
    warmup: bool
    min_rounds: int
    max_rounds: int
    target_case_s: float
    long_round_s: float
    max_round_s: float
    max_started_processes: int | None
    case_timeout_s: float
    session_timeout_s: float
    #: Processes a noisy case may get in all: after ``processes``, a case whose interval
    #: is still wider than the precision target gets one more, up to this.
    max_processes: int = 1
    #: Wall seconds the whole run's sessions may take before no process is added.
    budget_s: float = 0.0
    #: The change a comparison of two such runs should resolve (0.05: ±5%).
    precision: float = 0.05
    #: A capacity climb (:mod:`bench.climb`): each model and workload runs its task
    #: counts in ascending order and stops at the first step that fails or would cross
    #: a cap, recording why; ``max_round_s`` is then the time cap of one step.
    climb: bool = False
    #: The profile whose workload parameters and micro-cost sizes apply where a
    #: workload or model states none for this one (None: none).
    params_from: str | None = None
    #: The workloads and micro-costs run when none are given (empty: every one).
    default_selection: tuple[str, ...] = ()


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        n_tasks=(1, 10),
        start_methods=("fork",),
        processes=1,
        warmup=False,
        min_rounds=1,
        max_rounds=1,
        target_case_s=0.0,
        long_round_s=5.0,
        max_round_s=5.0,
        max_started_processes=None,
        case_timeout_s=60.0,
        session_timeout_s=120.0,
    ),
    "quick": Profile(
        name="quick",
        n_tasks=(1, 10, 100, 1000),
        start_methods=("fork",),
        # Two processes for every case, then a third and more only for the cases still
        # too wide, nearest to the precision target first, while the budget lasts: on a
        # slow day a third process for all 13 models alone would take quick past 10
        # minutes on 2 cores (12.4 min measured), and a quiet case gains nothing by it.
        processes=2,
        warmup=True,
        min_rounds=3,
        max_rounds=4,
        target_case_s=0.25,
        # Rounds of 0.2 s or more (a pool's default size on 100 waits, a process per
        # task at 100) get one timed round per process: with 13 models, three rounds
        # of each would take the run past 10 minutes on 2 cores, and the processes,
        # not the rounds, are where such a case's variance is.
        long_round_s=0.2,
        # A case whose round takes 1.5 s or more (a scheduler's per-task cost at 1000
        # tasks) waits for the full profile: three such cases cost 18 s a process.
        max_round_s=1.5,
        max_started_processes=100,
        case_timeout_s=180.0,
        session_timeout_s=900.0,
        max_processes=8,
        # Sessions only: calibration, the report and a fresh clone's venv take the
        # rest of the 10 minutes.
        budget_s=450.0,
    ),
    "full": Profile(
        name="full",
        n_tasks=(1, 10, 100, 1000, 10_000),
        start_methods=("fork", "forkserver", "spawn"),
        processes=5,
        warmup=True,
        min_rounds=3,
        max_rounds=10,
        target_case_s=1.0,
        long_round_s=5.0,
        max_round_s=30.0,
        max_started_processes=None,
        case_timeout_s=600.0,
        session_timeout_s=5400.0,
        max_processes=12,
        budget_s=5400.0,
    ),
    # Where each model breaks: one process, one round a step, steps of about 3x (1k, 3k,
    # 10k, 30k, 100k) so that a stop is placed within a factor of 3 while a model's climb
    # takes five steps, not the eight of doubling: every model on three workloads fits
    # 15 minutes on 2 cores. A step predicted to take more than max_round_s is not started.
    "scale": Profile(
        name="scale",
        n_tasks=(1000, 3000, 10_000, 30_000, 100_000),
        start_methods=("fork",),
        processes=1,
        warmup=False,
        min_rounds=1,
        max_rounds=1,
        target_case_s=0.0,
        long_round_s=0.0,
        max_round_s=40.0,
        max_started_processes=None,
        case_timeout_s=150.0,
        session_timeout_s=900.0,
        climb=True,
        params_from="quick",
        default_selection=("sleep", "http_fetch", "memory"),
    ),
}

DEFAULT_PROFILE = "quick"

#: The most tasks ``--tasks`` takes for one case: past it a typo, not a question.
MAX_TASKS = 10_000_000


def parse_tasks(text: str) -> tuple[int, ...]:
    """``"1,10,1000"`` as task counts, ascending and without repeats; ValueError with the reason otherwise."""
    counts: list[int] = []
    for part in text.split(","):
        item = part.strip().replace("_", "")
        if not item.isdigit() or not 1 <= int(item) <= MAX_TASKS:
            raise ValueError(
                f"{part.strip()!r} in {text!r} is not a task count; give whole numbers from 1 to "
                f"{MAX_TASKS:,}, comma-separated, e.g. 1,100,10000"
            )
        counts.append(int(item))
    return tuple(sorted(set(counts)))


def with_tasks(profile: Profile, tasks: tuple[int, ...] | None) -> Profile:
    """``profile`` with its task counts replaced by ``tasks`` (None: as it is)."""
    return profile if not tasks else replace(profile, n_tasks=tuple(tasks))
