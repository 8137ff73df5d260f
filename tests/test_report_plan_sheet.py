"""The improvement plan as a spreadsheet: improvement_plan.xlsx and .csv in the report folder, HSEEP's
columns, one row per corrective action of the report, cells never formulas, CSV cells neutralised."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from sim import load_scenario
from sim.report.aar import PlanItem
from sim.report.generate import ReportRequest, make_report
from sim.report.plan_sheet import COLUMNS, csv_cell, plan_csv, plan_xlsx

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "nato-response-2022.yaml"
SLOW = ["forces.vjtf.notice_to_move_h=96"]
HSEEP = ["Capability", "Issue / area for improvement", "Corrective action", "Capability element",
         "Responsible organisation", "Point of contact", "Start date", "Completion date"]


@pytest.mark.slow
def test_the_report_folder_holds_the_plan(tmp_path):
    s = load_scenario(BASE, SLOW)
    make_report(ReportRequest(s, BASE, sets=SLOW, reps=6, seed=1, out=tmp_path))
    plan = json.loads((tmp_path / "data.json").read_text())["plan"]
    assert plan, "the slow VJTF gives at least one corrective action"
    rows = list(csv.reader(io.StringIO((tmp_path / "improvement_plan.csv").read_text())))
    assert set(HSEEP) <= set(rows[0]) and len(rows) == len(plan) + 1
    ws = openpyxl.load_workbook(tmp_path / "improvement_plan.xlsx").active
    head = [c.value for c in ws[1]]
    assert head == rows[0] and ws.freeze_panes == "A2"
    for i, p in enumerate(plan, 2):
        got = {name: ws.cell(row=i, column=j).value for j, (name, _, _) in enumerate(COLUMNS, 1)}
        assert got["corrective_action"] == p["corrective_action"] and got["responsible"] == p["responsible"]
        assert isinstance(got["start"], datetime) and got["start"].date().isoformat() == p["start"]
        assert got["completion"].date().isoformat() == p["completion"]
    assert "improvement_plan.xlsx" in (tmp_path / "aar.md").read_text()


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_no_cell_is_a_formula(tmp_path, lead):
    evil = f"{lead}HYPERLINK(\"http://x\",\"y\")"
    item = PlanItem(evil, evil, evil, evil, "Planning", evil, "", "2026-01-02", "2026-04-02")
    assert csv_cell(evil) == "'" + evil and csv_cell("fine") == "fine"
    row = next(r for r in csv.reader(io.StringIO(plan_csv([item]))) if r[0] != "Capability")
    assert all(c.startswith("'") for c in row[:4])
    book = plan_xlsx([item])
    assert book is not None
    f = tmp_path / "p.xlsx"
    f.write_bytes(book)
    ws = openpyxl.load_workbook(f).active
    for j in range(1, 5):
        cell = ws.cell(row=2, column=j)
        # text, not a formula (XML keeps a carriage return as a line feed)
        assert cell.data_type == "s" and cell.value == evil.replace("\r", "\n")
