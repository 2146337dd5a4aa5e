"""sqlite_query: N tasks each open their own SQLite connection and run one query.

An example of a workload of your own: run it with
``python -m bench --workloads examples/sqlite_query.py`` (or
``make bench WORKLOADS=examples/sqlite_query.py``).

Before each case, outside the timed region, ``prepare`` builds a database of
``rows`` rows in a new temporary directory (removed after the case). Task ``i``
opens its own connection and sums the values of the rows in its group; the check
compares every sum with the closed form. sqlite3 releases the GIL while SQLite runs
a query, so threads can overlap the queries. The coroutine form is the idiomatic
``asyncio.to_thread``; there is no generator form, so the yield scheduler and the
greenlet hub skip it with that reason. No ideal is given: the case records
``ideal_s`` as null.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from workloads import Workload, WrongAnswer

#: The rows of a database are spread over this many groups; task i queries group i % GROUPS.
GROUPS = 64


def query(i: int, params: Mapping[str, Any]) -> int:
    """Open a connection, sum the values of group ``i % GROUPS``, close it."""
    connection = sqlite3.connect(params["database"])
    try:
        (total,) = connection.execute("SELECT SUM(value) FROM items WHERE grp = ?", (i % GROUPS,)).fetchone()
    finally:
        connection.close()
    return int(total)


async def query_async(i: int, params: Mapping[str, Any]) -> int:
    """The same query on the loop's default thread pool."""
    return await asyncio.to_thread(query, i, params)


def expected(i: int, rows: int) -> int:
    """The right sum of task ``i``'s group: rows k with k % GROUPS == group have value k."""
    group = i % GROUPS
    return sum(range(group, rows, GROUPS))


def check(results: list[Any], n_tasks: int, params: Mapping[str, Any]) -> None:
    """Fail unless every task returned its group's sum."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"sqlite_query: {len(results)} results for {n_tasks} tasks")
    for i, total in enumerate(results):
        if total != expected(i, params["rows"]):
            raise WrongAnswer(f"sqlite_query: task {i} returned {total}, expected {expected(i, params['rows'])}")


@contextlib.contextmanager
def prepare(params: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Build the database in a new temporary directory; remove that directory afterwards."""
    directory = tempfile.mkdtemp(prefix="sqlite_query-")
    try:
        database = os.path.join(directory, "items.db")
        with contextlib.closing(sqlite3.connect(database)) as connection, connection:
            connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, grp INTEGER, value INTEGER)")
            connection.execute("CREATE INDEX items_grp ON items (grp)")
            connection.executemany(
                "INSERT INTO items VALUES (?, ?, ?)", ((k, k % GROUPS, k) for k in range(params["rows"]))
            )
        yield {"database": database}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


WORKLOAD = Workload(
    name="sqlite_query",
    summary="each task opens its own SQLite connection and sums one group of rows",
    blocking=query,
    coroutine=query_async,
    check=check,
    prepare=prepare,
    fds_per_task=1,
    params={"smoke": {"rows": 2_000}, "quick": {"rows": 20_000}, "full": {"rows": 200_000}},
)
