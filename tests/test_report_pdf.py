"""PDF output through the optional 'pdf' extra (skipped where WeasyPrint is not installed)."""
import pytest
from conftest import BASELINE
from typer.testing import CliRunner

from sim.cli.app import app

weasyprint = pytest.importorskip("weasyprint")


def test_pdf_is_written_beside_html(tmp_path):
    r = CliRunner().invoke(app, ["report", str(BASELINE), "--reps", "10", "--format", "html,pdf",
                                 "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    pdf = (tmp_path / "aar.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 50_000
    assert (tmp_path / "aar.html").exists()
