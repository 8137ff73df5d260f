"""sim.scenario.yamlsrc on libyaml: the caps hold before composing, problems stay located and named."""
from __future__ import annotations

import pytest

from sim.scenario import yamlsrc
from sim.scenario.errors import ScenarioError
from sim.scenario.yamlsrc import MAX_BYTES, MAX_DEPTH, MAX_NODES, parse_value, parse_yaml


def problem(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_yaml(text, "f.yaml")
    (p,) = info.value.problems
    return str(p)


# where PyYAML's pure-Python composer stopped (the columns of the first node past the limit, the root being
# depth 1), checked against the loader before libyaml
@pytest.mark.parametrize("opening, column", [("[", 43), ("{", 43), ("{a: ", 166), ("[{a: ", 103), ("- ", 85)])
def test_half_a_megabyte_of_openings_is_the_nesting_problem_not_a_crash(opening, column):
    # libyaml's scanner would read ahead through flow openings to its own limit of 1,000 levels and call that
    # a syntax error; the C composer recurses: neither may reach the user
    text = opening * ((MAX_BYTES - 10) // len(opening))
    assert problem(text) == f"f.yaml:1:{column}: nested deeper than {MAX_DEPTH} levels"


def test_block_nesting_and_the_limit_where_it_was():
    assert parse_yaml("a: " + "[" * 40 + "]" * 40 + "\n", "f")[0]["a"] is not None
    assert problem("a: " + "[" * 42 + "]" * 42 + "\n") == f"f.yaml:1:45: nested deeper than {MAX_DEPTH} levels"
    blocks = "".join("  " * i + "- \n" for i in range(60))
    assert problem(blocks) == f"f.yaml:43:85: nested deeper than {MAX_DEPTH} levels"


def test_the_node_cap_stops_at_the_first_node_past_it():
    # root mapping, the key, the list: the list's items are nodes 4, 5, ...; item j (line j + 1) is node j + 3
    text = "items:\n" + "- 1\n" * (MAX_NODES + 10)
    assert len(text) < MAX_BYTES
    first_past = MAX_NODES + 1 - 3
    assert problem(text) == f"f.yaml:{first_past + 1}:3: document too large (more than {MAX_NODES} values)"


def test_values_keep_their_lines_and_yaml_1_2_floats():
    data, lines = parse_yaml("a: 1e-3\nb:\n  - 2.5E6\n  - {c: x}\nd: 0x1f\n", "f")
    assert data == {"a": 0.001, "b": [2500000.0, {"c": "x"}], "d": 31}
    assert lines[("a",)] == ("f", 1) and lines[("b", 0)] == ("f", 3) and lines[("b", 1, "c")] == ("f", 4)
    assert parse_value("1e-3") == 0.001 and parse_value("[1, 2e2]") == [1, 200.0]


def test_characters_yaml_refuses_are_located_by_character():
    assert problem("name: é\ntitle: aé\x07b\n") == ("f.yaml:2:10: YAML syntax error: character '\\x07' (#x0007) "
                                                     "is not allowed in YAML text")
    # a --set value from a command line that was not UTF-8 (surrogate escapes) is refused, not a traceback
    with pytest.raises(ScenarioError) as info:
        parse_value("\udcff")
    assert "character '\\udcff' (#xdcff) is not allowed in YAML text" in str(info.value.problems[0])


@pytest.mark.parametrize("text, where, what", [
    ("a: *nope\n", "1:4", "found undefined alias 'nope'"),
    ("a: &x 1\nb: &x 2\n", "2:4", "found duplicate anchor 'x'"),
    ("a:\n\tb: 1\n", "2:1", "found character '\\t' that cannot start any token"),
    ('a: "\\q"\n', "1:5", "found unknown escape character 'q'"),
    ("name: x\ntitle: [a\n", "3:1", "while parsing a flow sequence"),
    ("a: 1\n---\nb: 2\n", "2:1", "expected a single document in the stream"),
])
def test_syntax_errors_are_located_and_name_what_is_wrong(text, where, what):
    msg = problem(text)
    assert msg.startswith(f"f.yaml:{where}: YAML syntax error: ") and what in msg


def test_composed_by_libyaml():
    import yaml
    assert issubclass(yamlsrc._CappedLoader, yaml.CSafeLoader)


def test_without_libyaml_the_same_data_lines_and_caps():
    """PyYAML built without libyaml has no CSafeLoader: its own loader then gives the same data and line map
    for the baseline scenario, and the same nesting problem, located at the same column."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import json, sys, yaml\n"
            "del yaml.CSafeLoader\n"
            "from sim.scenario import yamlsrc\n"
            "from sim.scenario.errors import ScenarioError\n"
            "assert yamlsrc._FAST is yaml.SafeLoader\n"
            "data, lines = yamlsrc.parse_yaml(open(sys.argv[1]).read(), 'b')\n"
            "try:\n    yamlsrc.parse_yaml('[' * 5000, 'f.yaml')\n"
            "except ScenarioError as e:\n    deep = str(e.problems[0])\n"
            "print(json.dumps([data, sorted([list(map(str, k)), v] for k, v in lines.items()), deep], default=str))\n")
    baseline = root / "scenarios" / "nato-response-2022.yaml"
    out = subprocess.run([sys.executable, "-c", code, str(baseline)], capture_output=True, text=True, check=True,
                         cwd=root, env={**os.environ, "PYTHONPATH": str(root)}).stdout
    data, lines, deep = json.loads(out)
    here, here_lines = parse_yaml(baseline.read_text(), "b")
    assert data == json.loads(json.dumps(here, default=str))
    assert lines == json.loads(json.dumps(sorted([list(map(str, k)), list(v)] for k, v in here_lines.items())))
    assert deep == f"f.yaml:1:43: nested deeper than {MAX_DEPTH} levels"
