"""The ``crisis-sim`` command line: parsing and printing only; the work is in the library."""
from __future__ import annotations

import functools

import typer

from .. import signals
from . import batch_cmd, msel_cmd, report_cmd, run_cmd, scenario_cmds, workshop_cmd
from .common import fail

app = typer.Typer(
    name="crisis-sim",
    help="Tabletop crisis scenario simulator: narrated runs, Monte Carlo batches, workshops and after-action reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
    return wrapper


for _info in app.registered_commands:
    _info.callback = _interruptible(_info.callback)


def main() -> None:
    signals.exit_outside_commands()
    app()
