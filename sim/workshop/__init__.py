"""Workshop mode: a facilitator steps a crisis turn by turn with the teams.

The session's state is rebuilt by replay (:mod:`.session`), every action is kept in an
append-only, fsynced log (:mod:`.log`), commands are parsed in :mod:`.commands`, the
situation board is built and rendered in :mod:`.board`, the console loop is in
:mod:`.console`, and :mod:`.summary` turns a log into what the after-action report needs.
"""
from .log import LogError, LogLocked, read_log
from .session import Play, Session, WorkshopError
from .summary import compare_to_batch, percentile_rank, session_summary

__all__ = [
           "LogError",
           "LogLocked",
           "Play",
           "Session",
           "WorkshopError",
           "compare_to_batch",
           "percentile_rank",
           "read_log",
           "session_summary",
]
