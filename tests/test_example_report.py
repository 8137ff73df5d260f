"""The example report in reports/example matches the scenarios it was written from."""
import re

from conftest import ROOT

from sim import load_scenario

EXAMPLE = ROOT / "reports" / "example"


def test_example_report_is_of_the_current_scenarios():
    md = (EXAMPLE / "aar.md").read_text(encoding="utf-8")
    shown = re.search(r"scenario hash `([0-9a-f]+)`", md).group(1)
    assert shown == load_scenario(ROOT / "scenarios" / "vjtf-slip.yaml").content_hash, (
        "scenarios/vjtf-slip.yaml changed since reports/example was written: run the command in "
        "reports/example.md again")
    assert "## 7. Comparison: vjtf-slip against nato-response-2022" in md  # after the executive summary (issue 13)


def test_example_report_charts_are_all_there():
    md = (EXAMPLE / "aar.md").read_text(encoding="utf-8")
    charts = re.findall(r"\]\((charts/[^)]+)\)", md)
    assert len(charts) >= 6
    for c in charts:
        assert (EXAMPLE / c).is_file(), c
