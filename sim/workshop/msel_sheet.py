"""The MSEL as a spreadsheet (xlsx), the way facilitators keep one during an exercise.

Sheet ``MSEL``: one row per inject delivered and decision point reached (the columns of the
CSV, :data:`~sim.workshop.msel.CSV_FIELDS`, and a ``status`` column with a drop-down list),
the header frozen, columns sized to their content and text wrapped. Sheet ``Contingency``:
the library injects. Sheet ``About``: the scenario, its hash, the seed and the pace the MSEL
was built with, which ``crisis-sim msel --import`` reads back.

Every cell is written as text or a number, never as a formula: a title starting with ``=``
stays the text it is (the cell's type is forced to string), so an edited MSEL cannot run
anything when opened.

Needs openpyxl (the ``sheets`` extra); :func:`require_openpyxl` says so in one line.
"""
from __future__ import annotations

import io
from typing import Any

from .msel import CSV_FIELDS, Msel, csv_rows

STATUSES = ("planned", "delivered", "modified", "skipped", "deferred")
SHEET_MSEL, SHEET_CONTINGENCY, SHEET_ABOUT = "MSEL", "Contingency", "About"
COLUMNS = (*CSV_FIELDS, "status")
# widths in characters: the long free-text columns wrap within these
_WIDTH = {"number": 6, "type": 11, "id": 20, "sim_h": 8, "sim_time": 18, "turn": 6, "exercise_time": 17,
          "title": 30, "text": 60, "sender": 22, "recipient": 22, "expected_action": 45, "options": 18,
          "default": 12, "trigger": 30, "facts": 22, "status": 11}
_NUMERIC = {"number", "turn", "sim_h"}


class MissingExtra(RuntimeError):
    """openpyxl is not installed."""


def require_openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - the test extra has it
        raise MissingExtra("spreadsheets need openpyxl: pip install 'crisis-sim[sheets]'") from None
    return openpyxl


def _put(ws: Any, row: int, col: int, name: str, value: str) -> None:
    """Write one cell: numbers as numbers, everything else as literal text (never a formula)."""
    cell = ws.cell(row=row, column=col)
    if name in _NUMERIC and value != "":
        cell.value = int(value) if name != "sim_h" else float(value)
        return
    cell.value = value
    cell.data_type = "s"  # a leading '=' is text, not a formula


def _table(ws: Any, rows: list[dict[str, str]], status: bool) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = COLUMNS if status else CSV_FIELDS
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F3864")
    for j, name in enumerate(cols, 1):
        c = ws.cell(row=1, column=j, value=name)
        c.font, c.fill = head_font, head_fill
        c.alignment = Alignment(vertical="top", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = _WIDTH.get(name, 14)
    wrap = Alignment(vertical="top", wrap_text=True)
    for i, r in enumerate(rows, 2):
        for j, name in enumerate(cols, 1):
            _put(ws, i, j, name, r.get(name, "planned" if name == "status" else ""))
            ws.cell(row=i, column=j).alignment = wrap
    ws.freeze_panes = "B2" if status else "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(len(rows) + 1, 1)}"
    if status:
        from openpyxl.worksheet.datavalidation import DataValidation

        j = cols.index("status") + 1
        dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Status",
                            error="Choose one of: " + ", ".join(STATUSES))
        letter = get_column_letter(j)
        dv.add(f"{letter}2:{letter}{max(len(rows) + 1, 200)}")
        ws.add_data_validation(dv)


def render_xlsx(m: Msel) -> bytes:
    """The MSEL as an .xlsx workbook (bytes), deterministic for the same MSEL."""
    openpyxl = require_openpyxl()
    wb = openpyxl.Workbook()
    all_rows = csv_rows(m)
    scheduled = [r for r in all_rows if r["type"] != "contingency"]
    contingency = [r for r in all_rows if r["type"] == "contingency"]
    ws = wb.active
    ws.title = SHEET_MSEL
    _table(ws, scheduled, status=True)
    _table(wb.create_sheet(SHEET_CONTINGENCY), contingency, status=False)
    about = wb.create_sheet(SHEET_ABOUT)
    meta = [("scenario", m.scenario), ("title", m.title), ("scenario_hash", m.scenario_hash),
            ("seed", str(m.seed)), ("turn_h", f"{m.turn_h:g}"), ("minutes_per_turn", f"{m.minutes_per_turn:g}"),
            ("start", m.start.isoformat(timespec="minutes") if m.start else ""),
            ("overrides", "; ".join(m.overrides)),
            ("note", "Edit titles, texts, senders, recipients, expected actions and sim_h on the MSEL sheet; "
                     "add a row for a new inject; delete a row to drop an inject. Then: crisis-sim msel SCENARIO "
                     "--import THIS.xlsx --out NEW.yaml")]
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 18, 90
    for i, (k, v) in enumerate(meta, 1):
        _put(about, i, 1, "key", k)
        _put(about, i, 2, "value", v)
    # fixed document properties, so the same MSEL gives the same bytes
    from datetime import datetime

    wb.properties.creator = "crisis-sim"
    wb.properties.created = wb.properties.modified = datetime(2000, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["COLUMNS", "SHEET_ABOUT", "SHEET_CONTINGENCY", "SHEET_MSEL", "STATUSES", "MissingExtra", "render_xlsx",
           "require_openpyxl"]
