"""An MSEL edited in a spreadsheet, back into a scenario: ``crisis-sim msel SCENARIO --import FILE``.

Facilitators rework the MSEL in a spreadsheet: reword an inject, move it to another hour,
send it to another team, add one, drop one. :func:`import_msel` reads the edited file (the
``.xlsx`` that ``--format xlsx`` writes, or the ``.csv`` of ``--format csv``), compares each
row with the MSEL the scenario gives for the same seed, and returns the scenario's data with
its injects changed accordingly:

- a changed title, text, sender, recipient or expected action replaces the inject's field;
- a changed ``sim_h`` fixes the inject at that hour (``at_h``), replacing how it was scheduled;
- a row with a new id (or no id) adds an inject at its ``sim_h`` (a contingency row: a library
  inject);
- an inject of the MSEL whose row is gone is dropped (a library inject: when its contingency row
  is gone);
- decision rows: a changed title or text (the prompt) replaces the decision's; decision points
  are not added or dropped here.

An unchanged file gives back the scenario's own data, so its MSEL is the same. Problems are
reported one per line, located by sheet, row and column (CSV: line and column).
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..scenario.model import ID
from .msel import CSV_FIELDS, Msel
from .msel_sheet import SHEET_ABOUT, SHEET_CONTINGENCY, SHEET_MSEL, require_openpyxl

TEXT_FIELDS = ("title", "text", "sender", "recipient", "expected_action")
REQUIRED = ("type", "id", "title", "text")
MAX_ROWS = 10_000


class MselImportError(ValueError):
    """The edited MSEL cannot be read back; ``problems`` holds one located line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Row:
    where: str                 # "msel.xlsx: sheet MSEL, row 5" or "msel.csv:5"
    cells: dict[str, str]

    def at(self, column: str) -> str:
        return f"{self.where}, column {column}" if "sheet" in self.where else f"{self.where}: column {column}"


@dataclass(frozen=True)
class EditedMsel:
    rows: list[Row]
    about: dict[str, str]


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _header(cells: list[str], where: str, problems: list[str]) -> list[str]:
    names = [c.strip().lower() for c in cells]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        problems.append(f"{where}: missing column(s) {', '.join(missing)}; the header is: "
                        f"{', '.join(n for n in names if n)}")
    return names


def _read_xlsx(path: Path, label: str, problems: list[str]) -> EditedMsel:
    openpyxl = require_openpyxl()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise MselImportError([f"{label}: not a readable .xlsx workbook ({type(exc).__name__})"]) from None
    rows: list[Row] = []
    about: dict[str, str] = {}
    if SHEET_MSEL not in wb.sheetnames:
        raise MselImportError([f"{label}: no sheet named {SHEET_MSEL!r} (sheets: {', '.join(wb.sheetnames)})"])
    for sheet in (SHEET_MSEL, SHEET_CONTINGENCY):
        if sheet not in wb.sheetnames:
            continue
        it = wb[sheet].iter_rows(values_only=True)
        head = next(it, None)
        if head is None:
            continue
        names = _header([_cell_text(c) for c in head], f"{label}: sheet {sheet}, row 1", problems)
        for i, values in enumerate(it, 2):
            if i > MAX_ROWS:
                raise MselImportError([f"{label}: sheet {sheet}: more than {MAX_ROWS} rows"])
            cells = {n: _cell_text(v).strip() for n, v in zip(names, values) if n}
            if any(cells.values()):
                rows.append(Row(f"{label}: sheet {sheet}, row {i}", cells))
    if SHEET_ABOUT in wb.sheetnames:
        for k, v, *_ in wb[SHEET_ABOUT].iter_rows(values_only=True, max_col=2):
            if k:
                about[_cell_text(k)] = _cell_text(v)
    wb.close()
    return EditedMsel(rows, about)


def _read_csv(path: Path, label: str, problems: list[str]) -> EditedMsel:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MselImportError([f"{label}: not UTF-8 text"]) from None
    reader = csv.reader(io.StringIO(text))
    head = next(reader, None)
    if head is None:
        raise MselImportError([f"{label}: empty file"])
    names = _header(head, f"{label}:1", problems)
    rows = []
    for values in reader:
        if reader.line_num > MAX_ROWS:
            raise MselImportError([f"{label}: more than {MAX_ROWS} lines"])
        cells = {n: _unquote(v).strip() for n, v in zip(names, values) if n}
        if any(cells.values()):
            rows.append(Row(f"{label}:{reader.line_num}", cells))
    return EditedMsel(rows, {})


def read_edited(path: Path) -> EditedMsel:
    """Read an edited MSEL (.xlsx or .csv)."""
    label = str(path)
    problems: list[str] = []
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        edited = _read_xlsx(path, label, problems)
    elif suffix == ".csv":
        edited = _read_csv(path, label, problems)
    else:
        raise MselImportError([f"{label}: an MSEL to import is a .xlsx or .csv file"])
    if problems:
        raise MselImportError(problems)
    return edited


def _same_text(cell: str, value: Any) -> bool:
    """A cell holds the scenario's text: equal up to spacing and line ends (spreadsheets rewrap and
    turn line ends into CR LF)."""
    return " ".join(cell.split()) == " ".join(str(value or "").split())


def _unquote(cell: str) -> str:
    """Undo the leading quote a CSV writer puts before a cell that would read as a formula."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r" else cell


def _slug(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40] or "inject"
    if not base[0].isalpha():
        base = "inject_" + base
    k, out = 1, base
    while out in taken:
        k += 1
        out = f"{base}_{k}"
    return out


def _hours(row: Row, problems: list[str]) -> float | None:
    raw = row.cells.get("sim_h", "")
    if raw == "":
        return None
    try:
        v = float(raw)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v >= 0):
        problems.append(f"{row.at('sim_h')}: expected hours after H-hour (a number >= 0), got {raw!r}")
        return None
    return v


def _set_timing(inj: dict, at_h: float) -> None:
    for k in ("at_h", "at_time", "when"):
        inj.pop(k, None)
    inj.pop("library", None)
    inj["at_h"] = at_h


def apply_edits(data: dict, original: Msel, edited: EditedMsel) -> dict:
    """The scenario ``data`` (plain, as read from YAML, extends resolved) with the edits of ``edited``
    (compared against ``original``, the MSEL of that scenario for the same seed and pace) applied."""
    problems: list[str] = []
    injects: dict[str, dict] = data.setdefault("injects", {}) or {}
    data["injects"] = injects
    decisions: dict[str, dict] = data.get("decisions") or {}
    orig = {(r.type, r.id): r for r in (*original.rows, *original.contingency)}
    seen: set[tuple[str, str]] = set()
    taken = set(injects)
    for row in edited.rows:
        c = row.cells
        kind = c.get("type", "").lower() or ("contingency" if not c.get("sim_h") else "inject")
        iid = c.get("id", "").strip("` ")
        if kind not in ("inject", "decision", "contingency"):
            problems.append(f"{row.at('type')}: expected inject, decision or contingency, got {c.get('type')!r}")
            continue
        if iid and not re.match(ID, iid):
            problems.append(f"{row.at('id')}: {iid!r} is not an id (a letter, then letters, digits, - or _)")
            continue
        if (kind, iid) in seen:
            problems.append(f"{row.at('id')}: {kind} {iid!r} appears twice")
            continue
        seen.add((kind, iid))
        if kind == "decision":
            if iid not in decisions:
                problems.append(f"{row.at('id')}: no decision point {iid!r} in the scenario (decision points are "
                                "edited in the scenario file, not added from an MSEL)")
                continue
            d = decisions[iid]
            if c.get("title") and not _same_text(c["title"], d.get("title")):
                d["title"] = c["title"]
            if "text" in c and not _same_text(c["text"], d.get("prompt")):
                d["prompt"] = c["text"]
            continue
        n_problems = len(problems)
        at_h = _hours(row, problems)
        if len(problems) > n_problems:
            continue
        if kind == "inject" and at_h is None:
            problems.append(f"{row.at('sim_h')}: a scheduled inject needs its hour (or type contingency)")
            continue
        base = orig.get((kind, iid))
        if iid and iid in injects:
            inj = injects[iid]
            for f in TEXT_FIELDS:
                if f in c and _same_text(c[f], inj.get(f)) is False:
                    inj[f] = c[f]
            if kind == "inject" and at_h is not None and (base is None or base.sim_h is None
                                                          or abs(base.sim_h - at_h) > 1e-6):
                _set_timing(inj, at_h)
            elif kind == "contingency" and not inj.get("library"):
                for k in ("at_h", "at_time", "when"):
                    inj.pop(k, None)
                inj["library"] = True
            continue
        if not c.get("title") or not c.get("text"):
            problems.append(f"{row.at('title' if not c.get('title') else 'text')}: a new inject needs a title and "
                            "a text")
            continue
        new_id = iid or _slug(c["title"], taken)
        taken.add(new_id)
        seen.add((kind, new_id))
        inj = {f: c[f] for f in TEXT_FIELDS if c.get(f)}
        if kind == "inject":
            inj["at_h"] = at_h
        else:
            inj["library"] = True
        injects[new_id] = inj
    # an inject of the original MSEL whose row is gone is dropped
    for (kind, iid) in orig:
        if kind in ("inject", "contingency") and (kind, iid) not in seen and iid in injects:
            del injects[iid]
    if problems:
        raise MselImportError(problems)
    return data


def dump_yaml(data: dict, header: str) -> str:
    import yaml

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + body


__all__ = ["EditedMsel", "MselImportError", "Row", "apply_edits", "dump_yaml", "read_edited", "CSV_FIELDS"]
