"""The fact register: well formed, in our own words, and cited by the scenarios."""
import re

import pytest
from conftest import ROOT

from sim import ScenarioError
from sim.scenario.facts import load_register

ARTICLE_DIR = ROOT.parent / "shared" / "seeds"


def test_register_loads_with_unique_ids_and_sources():
    reg = load_register(str(ROOT / "seeds" / "facts.yaml"))
    ids = [f.id for f in reg.facts]
    assert len(ids) == len(set(ids)) >= 30
    assert all(f.source in {s.id for s in reg.sources} for f in reg.facts)
    assert all(f.time is None or f.time.tzinfo is not None for f in reg.facts)


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.skipif(not ARTICLE_DIR.is_dir(), reason="source article not beside the checkout")
def test_statements_are_not_copied_from_the_article():
    article = " ".join(words(" ".join(p.read_text() for p in ARTICLE_DIR.glob("*.txt"))))
    reg = load_register(str(ROOT / "seeds" / "facts.yaml"))
    for f in reg.facts:
        w = words(f.statement)
        for i in range(len(w) - 7):
            assert " ".join(w[i:i + 8]) not in article, f"{f.id} copies: {' '.join(w[i:i + 8])}"


def test_a_broken_register_is_reported(tmp_path):
    p = tmp_path / "facts.yaml"
    p.write_text("sources: [{id: a, title: T}]\nfacts:\n  - id: x\n    statement: s\n    source: b\n")
    with pytest.raises(ScenarioError) as info:
        load_register(str(p))
    assert str(info.value) == f"{p}:5: facts.0.source: unknown source 'b'"
