"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

All three expose the same small interface, :func:`unordered`: submit tasks from an
iterator, keeping at most ``window`` in flight, and yield ``(tag, result)`` as they
finish, in any order (the runner puts results back in replication order). The
window keeps memory flat however many replications a batch has.
"""
from __future__ import annotations

import multiprocessing
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol


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
    """Pool initializer: each worker receives the sweep points' scenarios once, not with every task.

    Workers ignore SIGINT: Ctrl-C reaches the whole process group, and a worker interrupted in the
    middle of the pool's queue protocol can leave the pool unable to shut down (the batch then hangs
    after saying it was interrupted). Only the main process handles Ctrl-C; it stops handing out
    chunks, stores what finished and shuts the pool down, which lets each worker end its chunk."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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


def _hold_sigint():
    """Block SIGINT in this thread (the main thread: where Python handles it); the old mask, or None."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _release_sigint(held) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def ignoring_sigint():
    """Ignore Ctrl-C for the duration (in the main thread): for the clean-up after an interrupt, so a
    second Ctrl-C (an impatient user; some tools signal twice) cannot cut a pool's shut-down short
    and leave a worker nobody tells to stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


class LocalPool:
    """A pool of worker processes on this machine."""

    def __init__(self, scenarios: list, workers: int):
        self.scenarios = scenarios
        self.workers = workers
        self.method = start_method()
        ctx = multiprocessing.get_context(self.method)
        if self.method == "forkserver":
            ctx.set_forkserver_preload(["sim.batch.replicate"])
        # Ctrl-C is held back while the workers start: an interrupt between forking a worker and the
        # pool recording it (or starting its manager thread) leaves a worker nobody tells to stop,
        # and the process then hangs at exit waiting for it. It is delivered once the pool is whole.
        # The pool is shut down here if that raises (the caller never gets it to close): a pool left
        # to the interpreter's exit hooks may hang the exit.
        held = _hold_sigint()
        self.pool = None
        try:
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_install,
                                            initargs=(scenarios,))
            self.pool.submit(int).result()  # start the workers now, before the caller opens files or threads
            _release_sigint(held)  # raises KeyboardInterrupt if Ctrl-C came meanwhile
            held = None
        except BaseException:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            _release_sigint(held)

    def unordered(self, fn, tasks, window):
        def submit(si, chunk):
            return self.pool.submit(_call_installed, fn, si, chunk)

        def waiter(futs):
            done, _ = wait(futs, return_when=FIRST_COMPLETED)
            return [f for f in futs if f in done]  # submission order among the finished: deterministic enough

        yield from _drain(submit, waiter, tasks, window)

    def close(self) -> None:
        with ignoring_sigint():
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
