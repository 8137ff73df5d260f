"""The improvement plan as a spreadsheet (``improvement_plan.xlsx``) and as CSV (``improvement_plan.csv``),
with HSEEP's improvement-plan columns, for tracking the corrective actions after the exercise.

Cells are never formulas: in the workbook every text cell is typed as text (``data_type = "s"``), and in
the CSV a cell that a spreadsheet would read as a formula (a leading ``=``, ``+``, ``-``, ``@``, tab or
carriage return) gets a leading ``'``. The workbook needs openpyxl (the ``sheets`` extra); without it
only the CSV is written.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from .aar import PlanItem

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("capability", "Capability", 24), ("issue", "Issue / area for improvement", 48),
    ("root_cause", "Root cause", 24), ("corrective_action", "Corrective action", 48),
    ("element", "Capability element", 16), ("responsible", "Responsible organisation", 22),
    ("poc", "Point of contact", 20), ("start", "Start date", 12), ("completion", "Completion date", 14))
DATES = ("start", "completion")
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
SHEET = "Improvement plan"


def csv_cell(value: str) -> str:
    """``value`` safe for a spreadsheet: a leading ``'`` before a character that would start a formula."""
    return "'" + value if value.startswith(FORMULA_LEAD) else value


def plan_csv(plan: Sequence[PlanItem]) -> str:
    """The plan as CSV: a header row of the column titles, one row per corrective action."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([title for _, title, _ in COLUMNS])
    for p in plan:
        w.writerow([csv_cell(str(getattr(p, name))) for name, _, _ in COLUMNS])
    return buf.getvalue()


def _date(v: str) -> date | None:
    try:
        return date.fromisoformat(v)
    except ValueError:
        return None


def plan_xlsx(plan: Sequence[PlanItem], title: str = "") -> bytes | None:
    """The plan as an .xlsx workbook (deterministic bytes), or None without openpyxl."""
    try:
        import openpyxl
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
    except ImportError:
        return None
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.title = SHEET
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F3864")
    wrap = Alignment(vertical="top", wrap_text=True)
    for j, (_, heading, width) in enumerate(COLUMNS, 1):
        c = ws.cell(row=1, column=j, value=heading)
        c.font, c.fill, c.alignment = head_font, head_fill, wrap
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, p in enumerate(plan, 2):
        for j, (name, _, _) in enumerate(COLUMNS, 1):
            value = str(getattr(p, name))
            cell = ws.cell(row=i, column=j)
            d = _date(value) if name in DATES else None
            if d is not None:
                cell.value, cell.number_format = d, "yyyy-mm-dd"
            else:
                cell.value = value
                cell.data_type = "s"   # text, even with a leading '=': never a formula
            cell.alignment = wrap
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(plan) + 1}"
    if title:
        ws.oddHeader.center.text = title.replace("&", "&&")
    wb.properties.creator = "crisis-sim"
    wb.properties.created = wb.properties.modified = datetime(2000, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_times(buf.getvalue())


def _fixed_times(book: bytes) -> bytes:
    """The workbook re-zipped with every member dated 1980-01-01 and a fixed "modified" property, so the
    same plan gives the same bytes (SOURCE_DATE_EPOCH reports are byte-identical)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":   # openpyxl stamps the save time as "modified"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            dst.writestr(fixed, data)
    return out.getvalue()
