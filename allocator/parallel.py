"""Work that outgrows one process, on Dask: a local cluster on this machine's cores by default,
or an existing cluster by its scheduler address. The one mechanism for parallel sweeps (and for
Monte Carlo draws): no home-made scheduler.

:func:`run_tasks` calls a top-level function on every item and yields ``(index, result)`` as
results arrive, so callers can stream them to disk and show progress. With one worker, or one
item, it runs in this process and Dask is not even imported.

Local workers are started by forking this process (Dask's ``multiprocessing-method: fork``), so
they begin with the modules already imported: a local cluster is ready in about 0.3 s instead of
the 5–8 s that spawned workers take to start and import PuLP and pandas again (measured on this
2-core machine). Python warns that forking a process with threads may deadlock the child, and
it can: Dask forks from a thread of its own while its event loop thread keeps running, and a
lock that another thread holds at that instant stays held in the child for good. Logging's own
locks are reset at a fork, the lock inside a buffered file is not, so the danger is a log record
being written while a worker is forked. In ``allocate`` none is: Dask's records go to its own
stderr handler, which ``silence_logs`` below limits to errors, and the main thread only waits.
A program with a handler on the root logger before Dask is first imported (``logging.basicConfig``,
or pytest, where a worker was seen to hang at its first log record) gets Dask's INFO records
written through that handler by the event loop thread; it should set
``ALLOCATOR_WORKER_START=forkserver`` (workers forked from a fresh single-threaded server: about
6-8 s for the first cluster, then about 1 s) or ``spawn`` (6-8 s every cluster), as the tests do.
Each worker keeps what a task caches in its own module globals (a built model, for instance) for
the next task it runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from allocator.errors import UsageError


def default_workers() -> int:
    """The cores this process may use (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers: int | None) -> int:
    """``workers`` or the default; raises UsageError for less than 1."""
    if workers is None:
        return default_workers()
    if workers < 1:
        raise UsageError("--workers", f"{workers} is not a number of workers", "give 1 or more")
    return workers


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: on an existing cluster at ``scheduler`` (``tcp://host:8786``), or on a
    local cluster of ``workers`` single-threaded worker processes that is shut down on exit.

    Raises
    ------
    UsageError
        If the scheduler cannot be reached.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                "--scheduler",
                f"no Dask scheduler answers at {scheduler} ({exc})",
                "start one with dask-scheduler, or leave --scheduler out to use this machine",
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    start = os.environ.get("ALLOCATOR_WORKER_START", "fork")
    if start not in ("fork", "spawn", "forkserver"):
        raise UsageError(
            "ALLOCATOR_WORKER_START",
            f"{start!r} is not a start method",
            "fork, spawn or forkserver",
        )
    with (
        dask.config.set(
            {
                "distributed.worker.multiprocessing-method": start,
                "distributed.worker.daemon": False,
                "distributed.admin.tick.limit": "1h",
            }
        ),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", message=".*use of fork\\(\\) may lead to deadlocks")
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # the local cluster listens on loopback only
            dashboard_address="127.0.0.1:0",  # its HTTP routes on a free port, not 8787
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def run_tasks(
    fn: Callable[..., Any],
    items: Sequence[Any],
    *,
    shared: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[tuple[int, Any]]:
    """``fn(shared, item)`` for every item, as ``(index, result)`` in the order they finish.

    ``shared`` (a plan, say) is sent to each worker once. ``fn`` must be a module-level
    function (workers import it by name). With ``workers == 1`` and no ``scheduler``, or a
    single item, everything runs here, in order.

    Raises
    ------
    UsageError
        For fewer than one worker or an unreachable scheduler.
    """
    n = check_workers(workers)
    if scheduler is None and (n == 1 or len(items) <= 1):
        for i, item in enumerate(items):
            yield i, fn(shared, item)
        return
    from distributed import as_completed

    with dask_client(min(n, len(items)), scheduler) as client:
        shared_future = client.scatter(shared, broadcast=True) if shared is not None else None
        futures = {
            client.submit(fn, shared_future, item, pure=False): i for i, item in enumerate(items)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def stream_tasks(
    fn: Callable[..., Any],
    items: Sequence[Any],
    *,
    shared: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    window: int | None = None,
) -> Iterator[tuple[int, Any]]:
    """``fn(shared, item)`` for every item, yielded **in item order** as ``(index, result)``,
    with at most ``window`` items submitted beyond the first one not yet yielded.

    The window is the backpressure that keeps memory flat however many items there are: no
    more than ``window`` results are ever held here (those that finished ahead of a slower one
    wait for it), and the cluster is never handed more than ``window`` tasks at once, so a
    caller appending each result to a file as it comes writes the file in order and can stop
    at any point with every earlier item written. Default window: four tasks per worker.
    With one worker and no scheduler everything runs here, in order.

    Raises
    ------
    UsageError
        For fewer than one worker, a window below 1, or an unreachable scheduler.
    """
    n = check_workers(workers)
    if window is not None and window < 1:
        raise UsageError("window", f"{window} is not a number of tasks", "give 1 or more")
    if scheduler is None and (n == 1 or len(items) <= 1):
        for i, item in enumerate(items):
            yield i, fn(shared, item)
        return
    from distributed import as_completed

    with dask_client(min(n, max(1, len(items))), scheduler) as client:
        if window is None:
            cores = sum(client.nthreads().values()) if scheduler is not None else n
            window = 4 * max(1, cores)
        shared_future = client.scatter(shared, broadcast=True) if shared is not None else None
        running: dict[Any, int] = {}
        done: dict[int, Any] = {}
        next_submit = 0
        next_yield = 0
        pending = as_completed()

        def submit_up_to(limit: int) -> None:
            nonlocal next_submit
            while next_submit < min(limit, len(items)):
                future = client.submit(fn, shared_future, items[next_submit], pure=False)
                running[future] = next_submit
                pending.add(future)
                next_submit += 1

        submit_up_to(window)
        while next_yield < len(items):
            future = next(pending)
            done[running.pop(future)] = future.result()
            while next_yield in done:
                yield next_yield, done.pop(next_yield)
                next_yield += 1
                submit_up_to(next_yield + window)
