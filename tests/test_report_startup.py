"""What a report loads before its batch starts: no matplotlib, no scipy.stats (they cost seconds of one core
while the other waits); the charts are imported beside the batch's workers, the summary's intervals come
from scipy.special. Nor the templates, the AAR's model or the workshop package: what the pages need is
imported once the batch runs, and the workshop's commands import it when they run."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import BASELINE, ROOT


def _modules_after(code: str) -> dict[str, bool]:
    probe = (code + "\nimport json, sys\n"
             "print(json.dumps({m: m in sys.modules for m in ('matplotlib', 'scipy.stats', 'openpyxl', 'jinja2', "
             "'sim.report.aar', 'sim.workshop')}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_report_command_and_its_library_start_without_matplotlib_or_scipy_stats():
    got = _modules_after("import sim.cli.app, sim.cli.report_cmd, sim.report.generate, sim.report.render\n"
                         f"from sim.scenario.load import load_scenario; load_scenario({str(BASELINE)!r})")
    assert not any(got.values()), got


def test_a_report_summary_does_not_import_scipy_stats(tmp_path):
    # a whole report on one process (no forked child), to its files: the charts need matplotlib, nothing
    # needs scipy.stats
    code = ("import sys\nfrom sim.cli.app import main\n"
            f"sys.argv = ['crisis-sim', 'report', {str(BASELINE)!r}, '--reps', '6', '--workers', '1', "
            f"'--out', {str(tmp_path / 'r')!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code")
    got = _modules_after(code)
    assert got["matplotlib"] and got["jinja2"] and not got["scipy.stats"]
    assert (tmp_path / "r" / "data.json").is_file() and (tmp_path / "r" / "aar.html").is_file()
