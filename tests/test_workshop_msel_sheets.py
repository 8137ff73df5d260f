"""The MSEL as a workbook (xlsx), as printable inject cards (html), and an edited MSEL read back
into a scenario (``msel --import``)."""
from __future__ import annotations

import csv
import io
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import cli_in_process

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return cli_in_process(*args, cwd=cwd)


def rows_of(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("msel") / "msel.xlsx"
    r = cli("msel", str(BASELINE), "--seed", "7", "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_workbook_has_the_msel_rows_a_status_list_and_a_frozen_header(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == ["MSEL", "Contingency", "About"]
    ws = wb["MSEL"]
    head = [c.value for c in ws[1]]
    assert head[:4] == ["number", "type", "id", "sim_h"] and head[-1] == "status"
    assert ws.freeze_panes == "B2"
    expected = rows_of(cli("msel", str(BASELINE), "--seed", "7", "--format", "csv").stdout)
    scheduled = [r for r in expected if r["type"] != "contingency"]
    got = [dict(zip(head, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert [g["id"] for g in got] == [r["id"] for r in scheduled]
    assert all(g["status"] == "planned" for g in got)
    assert [g["number"] for g in got] == list(range(1, len(got) + 1))          # numbers, not text
    assert all(abs(g["sim_h"] - float(r["sim_h"])) < 1e-9 for g, r in zip(got, scheduled, strict=True))
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and "delivered" in dv.formula1 and str(dv.sqref).startswith(
        f"{openpyxl.utils.get_column_letter(len(head))}2:")
    assert ws.column_dimensions["I"].width > ws.column_dimensions["A"].width   # text is wider than number
    contingency = wb["Contingency"]
    assert [c.value for c in contingency["C"][1:]] == [r["id"] for r in expected if r["type"] == "contingency"]
    about = {k: v for k, v in wb["About"].iter_rows(values_only=True)}
    assert about["seed"] == "7" and about["scenario"] == "nato-response-2022"


def test_xlsx_needs_an_out_file():
    r = cli("msel", str(BASELINE), "--format", "xlsx")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "--out" in r.stderr, r.stderr


def test_formula_text_stays_text_in_the_workbook(tmp_path):
    text = BASELINE.read_text().replace("title: Full-scale invasion", "title: '=HYPERLINK(\"http://x\",\"y\")'", 1)
    assert text != BASELINE.read_text()
    bad = tmp_path / "scenarios" / "evil.yaml"
    bad.parent.mkdir()
    bad.write_text(text.replace("name: nato-response-2022", "name: evil", 1))
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "facts.yaml").write_text((ROOT / "seeds" / "facts.yaml").read_text())
    (tmp_path / "seeds" / "gazetteer.yaml").write_text((ROOT / "seeds" / "gazetteer.yaml").read_text())
    out = tmp_path / "evil.xlsx"
    r = cli("msel", str(bad), "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    cell = openpyxl.load_workbook(out)["MSEL"]["H2"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"  # a string, not a formula


def test_unchanged_workbook_imports_to_the_same_msel(workbook, tmp_path):
    # beside seeds/ as scenarios/ is (the same register), not in scenarios/: tests in other workers list it
    (tmp_path / "seeds").symlink_to(ROOT / "seeds")
    (tmp_path / "scenarios").mkdir()
    out = tmp_path / "scenarios" / f".test-import-{tmp_path.name}.yaml"
    try:
        r = cli("msel", str(BASELINE), "--seed", "7", "--import", str(workbook), "--out", str(out))
        assert r.returncode == 0, r.stderr
        before = cli("msel", str(BASELINE), "--seed", "7").stdout
        after = cli("msel", str(out), "--seed", "7").stdout
        assert after == before   # every row, and the scenario hash too (same folder, same register)
    finally:
        out.unlink(missing_ok=True)


def test_unchanged_csv_imports_to_the_same_rows(tmp_path):
    src = tmp_path / "msel.csv"
    assert cli("msel", str(BASELINE), "--format", "csv", "--out", str(src)).returncode == 0
    out = tmp_path / "back.yaml"
    r = cli("msel", str(BASELINE), "--import", str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert cli("msel", str(out), "--format", "csv").stdout == src.read_text()


def _edit(workbook: Path, tmp_path: Path, change) -> Path:
    wb = openpyxl.load_workbook(workbook)
    change(wb)
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    return path


def _col(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name) + 1


def _row_of(ws, iid: str) -> int:
    col = _col(ws, "id")
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == iid)


def test_edits_come_back_as_injects(workbook, tmp_path):
    def change(wb):
        ws = wb["MSEL"]
        r = _row_of(ws, "finland_statement")
        ws.cell(r, _col(ws, "title")).value = "Helsinki speaks"
        ws.cell(r, _col(ws, "recipient")).value = "NATO HQ"
        r = _row_of(ws, "founding_act")
        ws.cell(r, _col(ws, "sim_h")).value = 30.5
        ws.delete_rows(_row_of(ws, "partners_support"))
        n = ws.max_row + 1
        for name, value in {"type": "inject", "sim_h": 12, "title": "Cyber attack on a port", "text": "Systems down.",
                            "sender": "Port authority", "recipient": "JFC Naples"}.items():
            ws.cell(n, _col(ws, name)).value = value

    edited = _edit(workbook, tmp_path, change)
    out = tmp_path / "edited.yaml"
    r = cli("msel", str(BASELINE), "--seed", "7", "--import", str(edited), "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = {x["id"]: x for x in rows_of(cli("msel", str(out), "--seed", "7", "--format", "csv").stdout)}
    assert rows["finland_statement"]["title"] == "Helsinki speaks"
    assert rows["finland_statement"]["recipient"] == "NATO HQ"
    assert float(rows["founding_act"]["sim_h"]) == 30.5 and rows["founding_act"]["trigger"] == "at H+30.5"
    assert "partners_support" not in rows
    new = rows["cyber_attack_on_a_port"]
    assert float(new["sim_h"]) == 12 and new["text"] == "Systems down." and new["sender"] == "Port authority"
    # the rest is as it was
    before = {x["id"]: x for x in rows_of(cli("msel", str(BASELINE), "--seed", "7", "--format", "csv").stdout)}
    assert rows["invasion"] == before["invasion"]


def test_bad_cells_are_located_by_sheet_row_and_column(workbook, tmp_path):
    def change(wb):
        ws = wb["MSEL"]
        ws.cell(_row_of(ws, "founding_act"), _col(ws, "sim_h")).value = "soon"
        ws.cell(_row_of(ws, "summit"), _col(ws, "type")).value = "memo"
        ws.cell(_row_of(ws, "invasion"), _col(ws, "id")).value = "9lives"

    edited = _edit(workbook, tmp_path, change)
    r = cli("msel", str(BASELINE), "--seed", "7", "--import", str(edited), "--out", str(tmp_path / "x.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    wb = openpyxl.load_workbook(workbook)["MSEL"]
    assert any(f"sheet MSEL, row {_row_of(wb, 'founding_act')}, column sim_h" in ln and "'soon'" in ln for ln in lines)
    assert any(f"row {_row_of(wb, 'summit')}, column type" in ln for ln in lines)
    assert any("column id" in ln and "'9lives'" in ln for ln in lines)
    assert not (tmp_path / "x.yaml").exists()


def test_dropping_an_inject_others_wait_on_is_a_located_error(workbook, tmp_path):
    edited = _edit(workbook, tmp_path, lambda wb: wb["MSEL"].delete_rows(_row_of(wb["MSEL"], "summit")))
    out = tmp_path / "x.yaml"
    r = cli("msel", str(BASELINE), "--seed", "7", "--import", str(edited), "--out", str(out))
    assert r.returncode == 2 and "summit" in r.stderr and str(out) in r.stderr and "Traceback" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".x.yaml*"))


def test_import_refuses_what_is_not_an_msel(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    r = cli("msel", str(BASELINE), "--import", str(junk), "--out", str(tmp_path / "x.yaml"))
    assert r.returncode == 2 and "not a readable .xlsx" in r.stderr
    txt = tmp_path / "m.txt"
    txt.write_text("x")
    r = cli("msel", str(BASELINE), "--import", str(txt), "--out", str(tmp_path / "x.yaml"))
    assert r.returncode == 2 and ".xlsx or .csv" in r.stderr
    wrong = tmp_path / "w.csv"
    wrong.write_text("a,b\n1,2\n")
    r = cli("msel", str(BASELINE), "--import", str(wrong), "--out", str(tmp_path / "x.yaml"))
    assert r.returncode == 2 and "missing column(s) type, id, title, text" in r.stderr


class _Cards(HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        cls = dict(attrs).get("class") or ""
        if "card" in cls.split():
            self.classes.append(cls)


def test_cards_one_player_and_one_facilitator_card_per_item(tmp_path):
    out = tmp_path / "cards.html"
    assert cli("msel", str(BASELINE), "--seed", "7", "--format", "html", "--out", str(out)).returncode == 0
    html = out.read_text()
    p = _Cards()
    p.feed(html)
    n = len(rows_of(cli("msel", str(BASELINE), "--seed", "7", "--format", "csv").stdout))
    assert p.classes.count("card player") == n and p.classes.count("card facilitator") == n
    assert "script" not in p.tags and "http" not in html.split("<body>")[1]   # nothing loaded
    # the expected action is on the facilitator's card only
    first_player = html.split('class="card player"')[1].split("</section>")[0]
    assert "Expected action" not in first_player
    assert "break-inside: avoid" in html


def test_cards_escape_scenario_text(tmp_path):
    text = BASELINE.read_text().replace("title: Full-scale invasion", "title: '<img src=x onerror=alert(1)>'", 1)
    bad = tmp_path / "scenarios" / "evil.yaml"
    bad.parent.mkdir()
    bad.write_text(text)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "facts.yaml").write_text((ROOT / "seeds" / "facts.yaml").read_text())
    (tmp_path / "seeds" / "gazetteer.yaml").write_text((ROOT / "seeds" / "gazetteer.yaml").read_text())
    r = cli("msel", str(bad), "--format", "html")
    assert r.returncode == 0, r.stderr
    assert "<img" not in r.stdout and "&lt;img src=x onerror=alert(1)&gt;" in r.stdout
