"""SIGTERM and SIGHUP are handled as Ctrl-C is: the same clean stop, another exit code.

A command stopped by ``kill`` (SIGTERM) or by its terminal closing (SIGHUP) raises
:class:`Terminated`, a ``KeyboardInterrupt``, in the main thread, so every path that
handles Ctrl-C (a batch marks itself interrupted, stops its workers and says how to
resume; a workshop says its log keeps every entry) handles these too. The exit code is
128 + the signal's number (143 for SIGTERM, 129 for SIGHUP), as a shell reports it.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: the signals that stop a command cleanly (SIGHUP is missing on Windows)
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_LIKE_CTRL_C = tuple(s for s in STOP_SIGNALS if s != signal.SIGINT)


class Terminated(KeyboardInterrupt):
    """The command received SIGTERM or SIGHUP."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name


def exit_code(exc: BaseException) -> int:
    """The exit code for an interrupt: 130 for Ctrl-C, 128 + N for signal N."""
    return exc.exit_code if isinstance(exc, Terminated) else 130


def describe(exc: BaseException) -> str:
    """``interrupted`` for Ctrl-C, ``interrupted by SIGTERM`` for a signal."""
    return f"interrupted by {exc.name}" if isinstance(exc, Terminated) else "interrupted"


def _raise(signum: int, frame: FrameType | None) -> None:
    # one clean stop: a second SIGTERM (some supervisors send two) must not cut the clean-up short
    for s in _LIKE_CTRL_C:
        signal.signal(s, signal.SIG_IGN)
    raise Terminated(signum)


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_outside_commands() -> None:
    """Before and after a command runs (parsing the command line, flushing its output at exit), SIGTERM
    and SIGHUP end the process quietly with 128 + N, its output flushed; ignored ones stay ignored."""
    if threading.current_thread() is threading.main_thread():
        for s in _LIKE_CTRL_C:
            if signal.getsignal(s) is signal.SIG_DFL:
                signal.signal(s, _exit_quietly)


@contextmanager
def stop_like_ctrl_c() -> Iterator[None]:
    """For the duration (in the main thread), SIGTERM and SIGHUP raise :class:`Terminated`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal already ignored stays so (``nohup`` ignores SIGHUP to keep a batch running)
    old = {s: signal.signal(s, _raise) for s in _LIKE_CTRL_C
           if signal.getsignal(s) in (signal.SIG_DFL, _exit_quietly)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
