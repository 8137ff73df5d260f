"""Rendering the AAR data to a self-contained HTML file, Markdown and (optionally) PDF.

Templates live in ``templates/`` (Jinja2). Charts are embedded in the HTML as base64
``data:`` URIs, so the file fetches nothing. PDF goes through WeasyPrint, the optional
``pdf`` extra.
"""
from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..safetext import markdown as md_safe

if TYPE_CHECKING:   # the charts module imports matplotlib; rendering needs only the charts' bytes
    from jinja2 import BytecodeCache, Environment  # imported with the first template (the batch runs by then)
    from jinja2.bccache import Bucket

    from .charts import Chart

TEMPLATES = Path(__file__).parent / "templates"
PDF_HINT = "PDF needs the 'pdf' extra: pip install 'crisis-sim[pdf]'"


class PdfUnavailable(RuntimeError):
    pass


def _fmt(nd: int) -> Callable[[float | None], str]:
    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.{nd}f}"
    return f


def _val(x: float | None) -> str:
    return "never" if x is None else f"{x:.2f}"


def _cell(x: object) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def _css_string(x: object) -> Markup:
    """``x`` as a CSS string literal, every character but letters, digits and spaces as a CSS escape (so
    no text can close the string or the style element); the space after each escape ends it."""
    return Markup('"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):x} "
                                for c in str(x)) + '"')


@functools.cache
def _bytecode_cache() -> BytecodeCache | None:
    """Where compiled templates are kept between runs (compiling the two AAR templates takes about 0.4 s of CPU):
    Jinja2's own file cache, in its directory for this user under the temporary directory (made private to the
    user, and refused if anyone else owns it, since its files are code). Each entry is checked against its
    template's source and the Python version. None (compile every time) where that directory cannot be had;
    a cache that cannot be written is skipped. One per process, for both environments."""
    from jinja2 import FileSystemBytecodeCache

    class Cache(FileSystemBytecodeCache):
        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:   # a damaged entry (Jinja2 checks the marshalled code, not the checksum before it)
                bucket.reset()  # is compiled again

        def dump_bytecode(self, bucket: Bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:   # a full or read-only disk: the report does not need the cache
                pass

    try:
        return Cache()
    except (OSError, RuntimeError):   # no safe directory of this user's
        return None


@functools.cache
def _env(autoescape: bool) -> Environment:
    """The templates' environment (one of each kind per process: it keeps the templates it has compiled)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, keep_trailing_newline=True,
                      bytecode_cache=_bytecode_cache(),
                      autoescape=select_autoescape(["html.j2"]) if autoescape else False, trim_blocks=False,
                      # Markdown viewers render raw HTML: every value shown in Markdown has its tags neutralised
                      finalize=None if autoescape else (lambda v: md_safe(v) if isinstance(v, str) else v))
    env.filters.update(p3=_fmt(3), p4=_fmt(4), f2=_fmt(2), val=_val, cell=_cell, g=lambda x: f"{x:g}",
                       css_string=_css_string)
    return env


def _charts(charts: list[Chart], embed: bool) -> list[dict[str, str]]:
    return [{"name": c.name, "title": c.title,
             "uri": ("data:image/svg+xml;base64," + base64.b64encode(c.svg).decode("ascii")) if embed
             else f"charts/{c.name}.svg"} for c in charts]


def _numbers(data: dict[str, Any]) -> dict[str, int]:
    """Section id -> its number, from the report's own list of sections."""
    return {s["id"]: s["number"] for s in data["sections"]}


def prepare(formats: Sequence[str] = ("html", "md")) -> None:
    """Compile the templates ``formats`` will render (html for pdf too), ahead of the data they render."""
    if "html" in formats or "pdf" in formats:
        _env(True).get_template("aar.html.j2")
    if "md" in formats:
        _env(False).get_template("aar.md.j2")


def html(data: dict[str, Any], charts: list[Chart]) -> str:
    css = (TEMPLATES / "aar.css").read_text(encoding="utf-8")
    return _env(True).get_template("aar.html.j2").render(d=data, charts=_charts(charts, True), css=css,
                                                         n=_numbers(data))


def markdown(data: dict[str, Any], charts: list[Chart]) -> str:
    return _env(False).get_template("aar.md.j2").render(d=data, charts=_charts(charts, False), n=_numbers(data))


def pdf(html_text: str) -> bytes:
    try:
        from weasyprint import HTML
    except Exception:
        raise PdfUnavailable(PDF_HINT) from None
    return bytes(HTML(string=html_text).write_pdf())
