"""The import direction: cli -> batch/report/workshop -> engine -> scenario, never the other way."""
import ast

from conftest import ROOT

RANK = {"scenario": 0, "engine": 1, "batch": 2, "report": 2, "workshop": 2, "cli": 3, "web": 3}
# the report reads batches and workshop logs; the workshop compares with batches
ALLOWED_SIDEWAYS = {("report", "batch"), ("report", "workshop"), ("workshop", "batch"), ("cli", "web")}
ENGINE_INSIDES = {"world", "forces", "adversary", "deconfliction", "escalation", "injects", "effects", "timing"}


def imports(path):
    tree = ast.parse(path.read_text())
    pkg = path.relative_to(ROOT / "sim").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(pkg[:-node.level]) if node.level <= len(pkg) - 1 else []
            yield base + (node.module.split(".") if node.module else [])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            yield node.module.split(".")[1:]


def test_no_module_imports_upwards_or_into_engine_internals():
    bad = []
    for path in (ROOT / "sim").rglob("*.py"):
        here = path.relative_to(ROOT / "sim").parts[0]
        if here not in RANK:
            continue
        for target in imports(path):
            there = target[0] if target else ""
            if there not in RANK or there == here:
                continue
            if RANK[there] > RANK[here] or (RANK[there] == RANK[here] and (here, there) not in ALLOWED_SIDEWAYS):
                bad.append(f"{path.relative_to(ROOT)} imports sim.{'.'.join(target)}")
            if here in ("batch", "report", "workshop") and there == "engine" and len(target) > 1 \
                    and target[1] in ENGINE_INSIDES:
                bad.append(f"{path.relative_to(ROOT)} reaches into sim.{'.'.join(target)}")
    assert not bad, "\n".join(bad)
