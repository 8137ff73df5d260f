"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

All three expose the same small interface, :func:`unordered`: submit tasks from an
iterator, keeping at most ``window`` in flight, and yield ``(tag, result)`` as they
finish, in any order (the runner puts results back in replication order). The
window keeps memory flat however many replications a batch has.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..signals import STOP_SIGNALS


class BackendError(Exception):
    """The requested backend cannot be used (e.g. the cluster cannot be reached)."""


class WorkerLost(BackendError):
    """A worker process died in the middle of the batch (kill -9, the out-of-memory killer)."""


class Backend(Protocol):
    workers: int

    def unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, int, Any]], window: int
                  ) -> Iterator[tuple[Any, Any]]:
        """``tasks``: (tag, scenario index, chunk); yields (tag, fn(scenario, chunk))."""

    def close(self) -> None: ...


class Serial:
    """Run each task when asked, in this process (``--workers 1``)."""

    workers = 1

    def __init__(self, scenarios: list[Any]):
        self.scenarios = scenarios

    def unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, int, Any]], window: int
                  ) -> Iterator[tuple[Any, Any]]:
        for tag, si, chunk in tasks:
            yield tag, fn(self.scenarios[si], chunk)

    def close(self) -> None:
        pass


def _drain(submit: Callable[[int, Any], Future[Any]], waiter: Callable[[list[Future[Any]]], list[Future[Any]]],
           tasks: Iterable[tuple[Any, int, Any]], window: int) -> Iterator[tuple[Any, Any]]:
    it = iter(tasks)
    pending: dict[Future[Any], Any] = {}
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


_INSTALLED: list[Any] = []
PARENT_CHECK_S = 0.5  # how often a worker looks whether the process that started it is still there


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie does not: it has died, and waits to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc: the signal test is all there is


def _watch_parent(parent: int, main: int) -> None:
    """Exit this worker once the batch's process is gone (killed with SIGKILL, say): nobody would read its
    results, and a worker left behind keeps its memory for ever. A daemon thread in each worker. ``parent``
    is this worker's parent (the batch's process, or the forkserver, which lives as long as its workers);
    ``main`` the batch's process."""
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent or not _running(main):
            os._exit(1)


def _install(scenarios: list[Any], main: int | None = None) -> None:
    """Pool initializer: each worker receives the sweep points' scenarios once, not with every task.

    Workers ignore SIGINT and SIGHUP: Ctrl-C and a closing terminal reach the whole process group, and
    a worker interrupted in the middle of the pool's queue protocol can leave the pool unable to shut
    down (the batch then hangs after saying it was interrupted). Only the main process handles them; it
    stops handing out chunks, stores what finished and shuts the pool down, which lets each worker end
    its chunk. SIGTERM gets its default back (a forked worker inherits the main process's handler): the
    pool itself stops the workers of a broken pool with it. A worker whose parent dies exits by itself
    within PARENT_CHECK_S."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_DFL if s == signal.SIGTERM else signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held them back (see LocalPool)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(STOP_SIGNALS))
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent, main or parent), name="watch-parent", daemon=True).start()
    _INSTALLED[:] = scenarios


def _call_installed(fn: Callable[..., Any], si: int, chunk: Any) -> Any:
    return fn(_INSTALLED[si], chunk)


def start_method() -> str:
    """``fork`` (workers start in milliseconds, the engine already imported) while this process has
    no other threads; otherwise ``forkserver`` with the engine preloaded (safe with threads, ~1 s)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _hold_sigint() -> set[int | signal.Signals] | None:
    """Block SIGINT, SIGTERM and SIGHUP in this thread (the main thread: where Python handles them); the
    old mask, or None."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, set(STOP_SIGNALS))


def _release_sigint(held: set[int | signal.Signals] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def ignoring_sigint() -> Iterator[None]:
    """Ignore Ctrl-C (and SIGTERM, SIGHUP) for the duration (in the main thread): for the clean-up after
    an interrupt, so a second Ctrl-C (an impatient user; some tools signal twice) cannot cut a pool's
    shut-down short and leave a worker nobody tells to stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


class LocalPool:
    """A pool of worker processes on this machine."""

    def __init__(self, scenarios: list[Any], workers: int):
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
        pool: ProcessPoolExecutor | None = None
        try:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_install,
                                       initargs=(scenarios, os.getpid()))
            pool.submit(int).result()  # start the workers now, before the caller opens files or threads
            _release_sigint(held)  # raises KeyboardInterrupt if Ctrl-C came meanwhile
            held = None
        except BaseException:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            _release_sigint(held)
        self.pool: ProcessPoolExecutor = pool

    def unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, int, Any]], window: int
                  ) -> Iterator[tuple[Any, Any]]:
        def submit(si: int, chunk: Any) -> Future[Any]:
            return self.pool.submit(_call_installed, fn, si, chunk)

        def waiter(futs: list[Future[Any]]) -> list[Future[Any]]:
            done, _ = wait(futs, return_when=FIRST_COMPLETED)
            return [f for f in futs if f in done]  # submission order among the finished: deterministic enough

        try:
            yield from _drain(submit, waiter, tasks, window)
        except BrokenProcessPool:
            raise WorkerLost(f"a worker process died{self._how_it_died()}") from None

    def _how_it_died(self) -> str:
        """`` (killed by SIGKILL ...)`` from a dead worker's exit status, while the pool still lists it."""
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        self.close()  # the pool joins its workers: their exit status is known after that
        codes = [p.exitcode for p in procs]
        # the pool stops the other workers with SIGTERM once one has died: look past those first
        for code in sorted((c for c in codes if c is not None and c < 0), key=lambda c: c == -signal.SIGTERM):
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f" (killed by {name}" + (": kill -9, or the out-of-memory killer" if -code == 9 else "") + ")"
        return " (killed, perhaps by the out-of-memory killer)"

    def close(self) -> None:
        with ignoring_sigint():
            self.pool.shutdown(wait=True, cancel_futures=True)


SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")
DEFAULT_CLUSTER_TIMEOUT = 10.0


def _check_address(address: str) -> None:
    """One line for an address that is not SCHEME://HOST:PORT (or inproc://...), before dask sees it."""
    scheme, sep, rest = address.partition("://")
    if not sep or scheme not in SCHEMES or not rest:
        raise BackendError(f"--cluster {address}: expected tcp://HOST:PORT (the Dask scheduler's address)")
    if scheme == "inproc":
        return
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BackendError(f"--cluster {address}: expected {scheme}://HOST:PORT with a port from 1 to 65535")


def _probe(address: str, timeout: float) -> None:
    """Fail fast, in one line, on a tcp:// address nobody listens at (dask itself retries until its timeout),
    or where something listens that is not a Dask scheduler: a scheduler speaks first (its handshake), so a
    listener that stays silent for ``timeout`` seconds (an HTTP server, a stuck process) is refused."""
    if not address.startswith("tcp://"):
        return
    host, _, port = address[len("tcp://"):].rpartition(":")
    start = time.monotonic()
    try:
        conn = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except OSError as exc:
        raise BackendError(f"cannot reach the Dask cluster at {address}: {exc.strerror or exc}") from None
    try:
        conn.settimeout(max(0.1, timeout - (time.monotonic() - start)))
        if not conn.recv(1):
            raise BackendError(f"the Dask cluster at {address} closed the connection at once (is it a Dask "
                               "scheduler?)")
    except TimeoutError:
        raise BackendError(f"no Dask scheduler answered at {address} within {timeout:g} s (something listens "
                           "there but says nothing; --cluster-timeout waits longer)") from None
    except OSError as exc:
        raise BackendError(f"cannot reach the Dask cluster at {address}: {exc.strerror or exc}") from None
    finally:
        conn.close()


def _quiet_client(address: str, timeout: float) -> Any:
    """A dask Client, or BackendError in one line. A Client whose start failed would try to close itself
    when collected, wait 20 s and print a traceback (``Client.__del__``): this one stops its loop instead."""
    from distributed import Client

    class _Client(Client):
        _failed_start = False

        def start(self, **kwargs: Any) -> Any:
            try:
                return super().start(**kwargs)
            except BaseException:
                self._failed_start = True
                try:
                    self._loop_runner.stop()
                except Exception:
                    pass
                raise

        def __del__(self) -> None:
            if not self._failed_start:
                super().__del__()

    try:
        return _Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BackendError(f"cannot reach the Dask cluster at {address} within {timeout:g} s: {exc}") from None


class DaskCluster:
    """An existing dask.distributed cluster, reached at ``address`` (extra ``cluster``) within ``timeout``
    seconds, or BackendError in one line."""

    def __init__(self, scenarios: list[Any], address: str, timeout: float = DEFAULT_CLUSTER_TIMEOUT):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise BackendError("--cluster needs dask.distributed: pip install 'crisis-sim[cluster]'") from None
        if not (math.isfinite(timeout) and timeout > 0):
            raise BackendError(f"--cluster-timeout: give a positive number of seconds, got {timeout:g}")
        _check_address(address)
        _probe(address, timeout)
        self.client = _quiet_client(address, timeout)
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))
        self.scenarios = self.client.scatter(scenarios, broadcast=True)

    def unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, int, Any]], window: int
                  ) -> Iterator[tuple[Any, Any]]:
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
