"""Work done in a forked child process while this one goes on (a chart drawn on the other core:
matplotlib holds the GIL, so a thread would not run beside this process's own work)."""
from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Aside(Generic[T]):
    """What :func:`aside` returns: called, the result; :meth:`discard`, the child ended unread (a report that
    fails before it needs the result leaves no child behind, blocked on writing it)."""

    def __init__(self, make: Callable[[], T], fork: bool, daemon: bool = True) -> None:
        self.make = make
        self.proc: Any = None
        if not fork or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
            return
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe(duplex=False)

        def child() -> None:
            here.close()   # so that the parent's end is the only reader: gone with it, the send fails
            try:
                there.send(make())
            except BaseException:   # the parent computes it again and raises it there
                try:
                    there.send(None)
                except OSError:
                    pass
            there.close()

        self.here = here
        self.proc = ctx.Process(target=child, name="report-aside", daemon=daemon)
        self.proc.start()
        there.close()

    def __call__(self) -> T:
        if self.proc is None:
            return self.make()
        try:
            got = self.here.recv()
        except (EOFError, OSError):
            got = None
        finally:
            self.here.close()
            self.proc.join()
            self.proc = None
        return got if got is not None else self.make()

    def discard(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.here.close()
            self.proc.join()
            self.proc = None


def aside(make: Callable[[], T], fork: bool = True, daemon: bool = True) -> Aside[T]:
    """``make()`` computed in a forked child process while this one goes on (a chart drawn on the other core:
    matplotlib holds the GIL, so a thread would not run beside this process's own work); calling what is
    returned gives its result (pickled back), once. Without ``fork``, where fork is unsafe (other threads
    running) or not there, or when the child fails, ``make()`` runs here, when the result is asked for: the
    same result. ``daemon``: the child is ended with this process; a child that starts asides of its own
    must not be one (a daemonic process may not have children), and is ended by :meth:`Aside.discard`
    or read before this process ends."""
    return Aside(make, fork, daemon)
