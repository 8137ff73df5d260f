"""PDF output through the optional 'pdf' extra (skipped where WeasyPrint is not installed)."""
import pytest
from conftest import BASELINE
from typer.testing import CliRunner

from sim.cli.app import app

weasyprint = pytest.importorskip("weasyprint")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One report in HTML and PDF (WeasyPrint's layout is the slow part), marked EXERCISE ONLY; made once."""
    out = tmp_path_factory.mktemp("pdf")
    r = CliRunner().invoke(app, ["report", str(BASELINE), "--reps", "10", "--format", "html,pdf", "--out",
                                 str(out), "--classification", "EXERCISE ONLY"])
    assert r.exit_code == 0, r.output
    return out


def test_pdf_is_written_beside_html(made):
    tmp_path = made
    pdf = (tmp_path / "aar.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 50_000
    assert (tmp_path / "aar.html").exists()


def test_the_first_two_pages_are_the_executive_summary(made):
    """Page 1 opens the summary, page 3 the exercise overview (the summary fills at most two pages), and
    the classification marking is in every page's header and footer."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils) to read the pages back")
    tmp_path = made

    def page(n: int) -> str:
        return subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(tmp_path / "aar.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout

    first, third = page(1), page(3)
    assert "1. Executive summary" in first and "Bottom line." in first
    assert "2. Exercise overview" not in first + page(2) and "2. Exercise overview" in third
    for text in (first, third):
        lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
        assert "EXERCISE ONLY" in lines[0] and "EXERCISE ONLY" in lines[-1]
