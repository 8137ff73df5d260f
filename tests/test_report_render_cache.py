"""The report's templates are compiled once per machine and user, then loaded from Jinja2's bytecode cache
(compiling them took about 0.4 s of CPU in every report); a cache that cannot be had never stops a report."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

# renders both pages of a tiny AAR in a fresh interpreter and prints how many templates Jinja2 compiled, then
# the pages' digest
PROBE = """
import hashlib, json, sys
import jinja2
compiled = []
original = jinja2.Environment.compile
def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
    compiled.append(name)
    return original(self, source, name, filename, raw, defer_init)
jinja2.Environment.compile = counting
from sim.report import render
render.prepare(("html", "md"))
print(json.dumps({"compiled": compiled}))
"""


def _probe(tmpdir):
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])["compiled"]


def test_a_second_report_loads_the_compiled_templates_instead_of_compiling_them(tmp_path):
    first = _probe(tmp_path)
    assert {"aar.html.j2", "aar.md.j2"} <= set(first)
    cache = tmp_path / f"_jinja2-cache-{os.getuid()}"
    assert cache.is_dir() and len(list(cache.iterdir())) >= 2
    assert oct(cache.stat().st_mode & 0o777) == "0o700"   # private: its files are code
    assert _probe(tmp_path) == []


def test_a_damaged_cache_entry_is_compiled_again_not_run(tmp_path):
    _probe(tmp_path)
    cache = tmp_path / f"_jinja2-cache-{os.getuid()}"
    from jinja2.bccache import bc_magic

    for f in cache.iterdir():   # cut short just past the header: the checksum after it unreadable
        f.write_bytes(f.read_bytes()[:len(bc_magic) + 3])
    assert {"aar.html.j2", "aar.md.j2"} <= set(_probe(tmp_path))
    assert _probe(tmp_path) == []   # and written again whole


def test_a_cache_directory_that_cannot_be_had_leaves_the_templates_compiled_each_time(tmp_path):
    (tmp_path / f"_jinja2-cache-{os.getuid()}").write_text("not a directory")
    assert {"aar.html.j2", "aar.md.j2"} <= set(_probe(tmp_path))
    assert {"aar.html.j2", "aar.md.j2"} <= set(_probe(tmp_path))
