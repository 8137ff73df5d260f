"""The ``crisis-sim`` command line: parsing and printing only; the work is in the library."""
from __future__ import annotations

import functools
import gc
import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer vendors click (its own exception classes) since 0.2x
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover - an older typer on the real click
    from click import exceptions as cx  # type: ignore[no-redef]

from .. import signals
from ..engine.run import EncounterBudgetExceeded
from ..scenario.suggest import did_you_mean
from . import batch_cmd, msel_cmd, report_cmd, run_cmd, scenario_cmds, workshop_cmd
from .common import clean, fail


class _OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, a bad value, a missing argument) as one line ``error: ...`` and
    exit code 2, instead of a multi-line box; the usage itself is on ``--help``."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except cx.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except cx.UsageError as exc:
            msg = " ".join(exc.format_message().split())
            command = exc.ctx.command_path if exc.ctx is not None else "crisis-sim"
            if exc.ctx is not None and hasattr(exc.ctx.command, "list_commands") and \
                    msg.startswith("No such command") and "Did you mean" not in msg:
                typed = msg.split("'")[1] if msg.count("'") >= 2 else ""
                msg = msg.rstrip(".") + did_you_mean(typed, exc.ctx.command.list_commands(exc.ctx))
            print(f"error: {clean(msg)} ({command} --help shows the usage)", file=sys.stderr)
            sys.exit(2)
        except cx.ClickException as exc:
            print(f"error: {clean(' '.join(exc.format_message().split()))}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("error: aborted", file=sys.stderr)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    name="crisis-sim",
    help="Tabletop crisis scenario simulator: narrated runs, Monte Carlo batches, workshops and after-action reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_OneLineErrors,
)
app.command("run")(run_cmd.run)
app.command("validate")(scenario_cmds.validate)
app.command("schema")(scenario_cmds.schema)
app.command("list")(scenario_cmds.list_)
app.command("metrics")(scenario_cmds.metrics)
batch_cmd.register(app)
report_cmd.register(app)
workshop_cmd.register(app)
msel_cmd.register(app)


def _interruptible(callback):
    """Ctrl-C in any command: one line and exit code 130 (Typer exits 130 silently); SIGTERM and SIGHUP
    do the same as Ctrl-C, with exit codes 143 and 129 (see sim.signals)."""
    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            with signals.stop_like_ctrl_c():
                return callback(*args, **kwargs)
        except KeyboardInterrupt as exc:
            fail(signals.describe(exc), code=signals.exit_code(exc))
        except EncounterBudgetExceeded as exc:   # raised by a run (here or in a worker): one line, exit 2
            fail(str(exc))
    return wrapper


for _info in app.registered_commands:
    _info.callback = _interruptible(_info.callback)


def main() -> None:
    signals.exit_outside_commands()
    try:
        app()
    finally:
        # The process ends here: its objects go to the cycle collector's permanent generation, so that the
        # collector's last passes at exit do not walk the whole heap (about 0.3 s after a report, matplotlib's
        # and pydantic's objects). What reference counting frees at exit is still freed; the cycles, the OS takes.
        gc.freeze()
