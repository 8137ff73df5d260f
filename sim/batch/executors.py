"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

All three expose the same small interface, :func:`unordered`: submit tasks from an
iterator, keeping at most ``window`` in flight, and yield ``(tag, result)`` as they
finish, in any order (the runner puts results back in replication order). The
window keeps memory flat however many replications a batch has.
"""
from __future__ import annotations

import multiprocessing
import socket
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterable, Iterator, Protocol


class BackendError(Exception):
    """The requested backend cannot be used (e.g. the cluster cannot be reached)."""


class Backend(Protocol):
    workers: int

    def unordered(self, fn: Callable, tasks: Iterable[tuple[Any, int, Any]], window: int) -> Iterator[tuple[Any, Any]]:
        """``tasks``: (tag, scenario index, chunk); yields (tag, fn(scenario, chunk))."""

    def close(self) -> None: ...


class Serial:
    """Run each task when asked, in this process (``--workers 1``)."""

    workers = 1

    def __init__(self, scenarios: list):
        self.scenarios = scenarios

    def unordered(self, fn, tasks, window):
        for tag, si, chunk in tasks:
            yield tag, fn(self.scenarios[si], chunk)

    def close(self) -> None:
        pass


def _drain(submit: Callable[[Any, int, Any], Any], waiter: Callable, tasks, window: int):
    it = iter(tasks)
    pending: dict[Any, Any] = {}
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                tag, si, chunk = next(it)
            except StopIteration:
                exhausted = True
                break
            pending[submit(si, chunk)] = tag
        if not pending:
            return
        for fut in waiter(list(pending)):
            yield pending.pop(fut), fut.result()


_INSTALLED: list = []


def _install(scenarios: list) -> None:
    """Pool initializer: each worker receives the sweep points' scenarios once, not with every task."""
    _INSTALLED[:] = scenarios


def _call_installed(fn: Callable, si: int, chunk: Any) -> Any:
    return fn(_INSTALLED[si], chunk)


def start_method() -> str:
    """``fork`` (workers start in milliseconds, the engine already imported) while this process has
    no other threads; otherwise ``forkserver`` with the engine preloaded (safe with threads, ~1 s)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class LocalPool:
    """A pool of worker processes on this machine."""

    def __init__(self, scenarios: list, workers: int):
        self.scenarios = scenarios
        self.workers = workers
        self.method = start_method()
        ctx = multiprocessing.get_context(self.method)
        if self.method == "forkserver":
            ctx.set_forkserver_preload(["sim.batch.replicate"])
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_install,
                                        initargs=(scenarios,))
        self.pool.submit(int).result()  # start the workers now, before the caller opens files or threads

    def unordered(self, fn, tasks, window):
        def submit(si, chunk):
            return self.pool.submit(_call_installed, fn, si, chunk)

        def waiter(futs):
            done, _ = wait(futs, return_when=FIRST_COMPLETED)
            return [f for f in futs if f in done]  # submission order among the finished: deterministic enough

        yield from _drain(submit, waiter, tasks, window)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _probe(address: str, timeout: float = 3) -> None:
    """Fail fast on a tcp:// address nobody listens at (dask itself retries until its timeout)."""
    if not address.startswith("tcp://"):
        return
    host, _, port = address[len("tcp://"):].rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except ValueError:
        raise BackendError(f"--cluster {address}: expected tcp://HOST:PORT") from None
    except OSError as exc:
        raise BackendError(f"cannot reach the Dask cluster at {address}: {exc.strerror or exc}") from None


class DaskCluster:
    """An existing dask.distributed cluster, reached at ``address`` (extra ``cluster``)."""

    def __init__(self, scenarios: list, address: str, timeout: float = 10):
        try:
            from distributed import Client
        except ImportError:
            raise BackendError("--cluster needs dask.distributed: pip install 'crisis-sim[cluster]'") from None
        _probe(address)
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BackendError(f"cannot reach the Dask cluster at {address}: {exc}") from None
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))
        self.scenarios = self.client.scatter(scenarios, broadcast=True)

    def unordered(self, fn, tasks, window):
        from distributed import as_completed

        it = iter(tasks)
        tags: dict[Any, Any] = {}
        ac = as_completed(loop=self.client.loop)

        def top_up() -> None:
            while len(tags) < window:
                try:
                    tag, si, chunk = next(it)
                except StopIteration:
                    return
                fut = self.client.submit(fn, self.scenarios[si], chunk, pure=False)
                tags[fut] = tag
                ac.add(fut)

        top_up()
        while tags:
            fut = next(ac)
            tag = tags.pop(fut)
            result = fut.result()
            top_up()
            yield tag, result

    def close(self) -> None:
        self.client.close()
