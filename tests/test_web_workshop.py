"""The workshop in the room: the server's checks (httpx) and the pages in a real browser (Playwright
driving Debian's Chromium)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from sim.scenario.load import load_scenario  # noqa: E402
from sim.web.serve import start  # noqa: E402
from sim.workshop.live import LiveSession  # noqa: E402
from sim.workshop.session import Session  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "nato-response-2022.yaml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
def served(tmp_path):
    sess = Session.start(load_scenario(BASELINE), seed=3, log_path=tmp_path / "s.jsonl",
                         scenario_path=str(BASELINE))
    live = LiveSession(sess)
    server = start(live, "127.0.0.1", 0, "4321")
    try:
        yield live, server
    finally:
        server.stop()
        sess.close()


def _client(server, **kw) -> httpx.Client:
    return httpx.Client(base_url=server.base, timeout=10, follow_redirects=False, **kw)


def _facilitator(server) -> httpx.Client:
    c = _client(server)
    r = c.get(f"/facilitator?token={server.secrets.token}")
    assert r.status_code == 303 and "cs_fac" in r.headers["set-cookie"] and "samesite=strict" in \
        r.headers["set-cookie"].lower()
    return c


def _team(server, team: str) -> httpx.Client:
    c = _client(server)
    assert c.get(f"/team/{team}?pin=4321").status_code == 303
    return c


def _post(c: httpx.Client, path: str, data, csrf: str | None, **headers):
    h = {"X-CSRF-Token": csrf} if csrf is not None else {}
    return c.post(path, content=json.dumps(data) if not isinstance(data, bytes) else data, headers={**h, **headers})


def test_console_and_team_pages_are_refused_without_their_secrets(served):
    live, server = served
    c = _client(server)
    assert c.get("/facilitator").status_code == 403
    assert c.get("/facilitator?token=wrong").status_code == 403
    assert c.get("/api/state/facilitator").status_code == 403
    assert c.get("/team/blue").status_code == 401
    assert c.get("/team/blue?pin=0000").status_code == 401
    assert c.get("/api/state/team/blue").status_code == 401
    assert c.get("/team/purple").status_code == 404
    assert c.get("/team/blue?key=" + server.secrets.team_key("red")).status_code == 401   # another team's link
    assert c.get("/api/state/room").status_code == 200                                     # the room is open
    assert c.get("/room").headers["content-security-policy"].startswith("default-src 'self'")


def test_bad_requests_get_a_4xx_and_never_change_the_session(served):
    live, server = served
    fac = _facilitator(server)
    csrf = server.secrets.csrf
    before = list(live.session.entries)
    assert _post(fac, "/api/facilitator/command", {"line": "next"}, None).status_code == 403          # no CSRF
    assert _post(fac, "/api/facilitator/command", {"line": "next"}, "nope").status_code == 403
    assert _post(fac, "/api/facilitator/command", {"line": "next"}, csrf,
                 Origin="http://evil.example").status_code == 403
    assert _post(fac, "/api/facilitator/command", b"{not json", csrf).status_code == 400
    assert _post(fac, "/api/facilitator/command", [1, 2], csrf).status_code == 400
    assert _post(fac, "/api/facilitator/command", {"line": 5}, csrf).status_code == 400
    assert _post(fac, "/api/facilitator/command", {"line": "x" * 5000}, csrf).status_code in (400, 413)
    r = _post(fac, "/api/facilitator/command", {"line": "decide nrf_deploy hold"}, csrf)
    assert r.status_code == 409 and "not pending" in r.json()["items"][0]["text"]
    team = _team(server, "blue")
    assert _post(team, "/api/team/red/decide", {"decision": "x", "option": "y"}, csrf).status_code == 401
    r = _post(team, "/api/team/blue/decide", {"decision": "nrf_deploy", "option": "deploy"}, csrf)
    assert r.status_code == 409
    assert _post(team, "/api/facilitator/confirm", {"submission": 1}, csrf).status_code == 403
    assert live.session.entries == before


def _until_pending(fac, csrf, live, decision):
    for _ in range(40):
        p = live.session.pending
        if p and p["decision"] == decision:
            return
        _post(fac, "/api/facilitator/command", {"line": f"decide {p['decision']} {p['default']}"
                                                 if p else "next"}, csrf)
    raise AssertionError(f"{decision} never came up")


def test_team_submission_is_confirmed_by_the_facilitator_and_logged_with_who_sent_it(served):
    live, server = served
    fac, csrf = _facilitator(server), server.secrets.csrf
    _until_pending(fac, csrf, live, "nrf_deploy")
    red = _team(server, "red")
    r = _post(red, "/api/team/red/decide", {"decision": "nrf_deploy", "option": "hold"}, csrf)
    assert r.status_code == 409 and "not for team red" in r.json()["error"]     # NATO's decision, not Russia's
    blue = _team(server, "blue")
    assert blue.get("/api/state/team/blue").json()["my_decision"] is True
    r = _post(blue, "/api/team/blue/decide", {"decision": "nrf_deploy", "option": "hold",
                                              "rationale": "<b>avoid</b> provocation"}, csrf)
    assert r.status_code == 200
    state = fac.get("/api/state/facilitator").json()
    (sub,) = state["submissions"]
    assert sub["team"] == "blue" and sub["option"] == "hold"
    assert live.session.pending["decision"] == "nrf_deploy"           # not decided until confirmed
    assert _post(fac, "/api/facilitator/confirm", {"submission": sub["n"]}, csrf).status_code == 200
    assert live.session.pending is None or live.session.pending["decision"] != "nrf_deploy"
    entries = [json.loads(x) for x in live.session.log_path.read_text().splitlines()]
    submit = next(e for e in entries if e["kind"] == "submit")
    decide = next(e for e in entries if e["kind"] == "decide" and e["decision"] == "nrf_deploy")
    assert submit["by"] == "team:blue" and decide["by"] == "facilitator" and decide["submission"] == submit["n"]
    assert decide["rationale"] == "<b>avoid</b> provocation" and decide["team"] == "blue"
    assert {"wall", "sim_h"} <= set(decide)


def test_injects_for_another_team_stay_off_a_team_page_and_expected_actions_off_the_room_board(served):
    live, server = served
    fac, csrf = _facilitator(server), server.secrets.csrf
    _post(fac, "/api/facilitator/command", {"line": 'inject "Hotline silent" --recipient SACEUR --title T1'}, csrf)
    room = _client(server).get("/api/state/room").json()
    blue = _team(server, "blue").get("/api/state/team/blue").json()
    red = _team(server, "red").get("/api/state/team/red").json()
    assert any(i["title"] == "T1" for i in blue["injects"])           # SACEUR is played by blue
    assert not any(i["title"] == "T1" for i in red["injects"])        # not another team's page
    assert any(i["title"] == "T1" for i in room["injects"])           # the room is the common picture
    text = json.dumps(room)
    assert "expected_action" not in text and "default" not in text and "ahead" not in text
    fac_state = fac.get("/api/state/facilitator").json()
    assert any("expected_action" in i for i in fac_state["injects"]) and fac_state["ahead"]


# --- in a real browser ----------------------------------------------------------------------
def _browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("browser tests need Debian's Chromium: apt-get install -y chromium")
    return sync_api.sync_playwright()


def _guard(context, base: str, stray: list[str]) -> None:
    """Every request must go to this server: anything else (a CDN) fails the test."""
    def handle(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            stray.append(route.request.url)
            route.abort()
    context.route("**/*", handle)


@pytest.mark.browser
def test_room_facilitator_and_two_teams_in_a_browser(served, tmp_path):
    live, server = served
    base = server.base
    stray: list[str] = []
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            contexts = {name: browser.new_context(viewport={"width": 1280, "height": 720}) for name in
                        ("room", "fac", "blue", "red")}
            for c in contexts.values():
                _guard(c, base, stray)
            room = contexts["room"].new_page()
            room.goto(f"{base}/room")
            fac = contexts["fac"].new_page()
            fac.goto(f"{base}/facilitator?token={server.secrets.token}")
            blue = contexts["blue"].new_page()
            blue.goto(f"{base}/team/blue")
            assert blue.locator("input[name=pin]").count() == 1                   # asked for the PIN
            blue.fill("input[name=pin]", "4321")
            blue.click("button[type=submit]")
            red = contexts["red"].new_page()
            red.goto(f"{base}/team/red?key={server.secrets.team_key('red')}")   # the per-team link
            for page in (room, fac, blue, red):
                page.wait_for_selector("#conn.live", timeout=10_000)
            # a facilitator's inject reaches the room and the addressed team within a second, not the other
            fac.fill("#command", 'inject "Drone seen over the port" --title "Drone alert" --recipient SACEUR')
            t0 = time.monotonic()
            fac.press("#command", "Enter")
            blue.wait_for_selector("article.card >> text=Drone alert", timeout=1000)
            room.wait_for_selector("article.card >> text=Drone alert", timeout=1000)
            assert time.monotonic() - t0 < 1.0
            fac.fill("#command", 'inject "Statement to the press" --title "Press line" --recipient "Press and public"')
            fac.press("#command", "Enter")
            room.wait_for_selector("article.card >> text=Press line", timeout=1000)
            red.wait_for_selector("article.card >> text=Press line", timeout=1000)
            assert red.locator("text=Drone alert").count() == 0
            assert room.locator("text=Expected action").count() == 0
            # the teams' decision reaches the console and, once confirmed, the board
            for _ in range(30):
                p_ = live.session.pending
                if p_ and p_["decision"] == "nrf_deploy":
                    break
                v = live.version
                fac.fill("#command", f"decide {p_['decision']} {p_['default']}" if p_ else "next")
                fac.press("#command", "Enter")
                deadline = time.monotonic() + 5
                while live.version == v and time.monotonic() < deadline:
                    time.sleep(0.02)
            blue.wait_for_selector("#decide-form:not([hidden])", timeout=2000)
            assert red.locator("#decide-form:not([hidden])").count() == 0
            blue.fill("#decide-rationale", "<script>alert(1)</script> avoid provocation")
            blue.click("button[data-option=hold]")
            fac.wait_for_selector("#submissions li[data-submission] >> text=hold", timeout=2000)
            fac.screenshot(path=str(tmp_path / "facilitator-1280.png"), full_page=True)
            fac.click("#submissions li[data-submission] button >> text=Confirm")
            room.wait_for_function("() => !document.querySelector('#decision-title').textContent.includes('NRF')"
                                   " || document.querySelector('#decision-panel').hidden", timeout=2000)
            assert any(e["kind"] == "decide" and e["option"] == "hold" and e.get("by") == "facilitator"
                       for e in live.session.entries)
            assert blue.locator("script:not([src])").count() == 0         # the rationale stayed text
            # a team's response to an inject reaches the console
            card = blue.locator("article.card", has_text="Drone alert")
            card.locator("textarea").fill("Scramble the QRA pair")
            card.locator("button").click()
            fac.wait_for_selector("#responses >> text=Scramble the QRA pair", timeout=2000)
            # what a player is typing survives the live update another command brings
            draft = blue.locator("article.card", has_text="Press line").locator("textarea")
            draft.fill("half-typed answer")
            v = live.version
            fac.fill("#command", 'note "room is quiet"')
            fac.press("#command", "Enter")
            blue.wait_for_function(f"() => document.body.dataset.version > {v}", timeout=2000)
            assert draft.input_value() == "half-typed answer"
            # a reload keeps the state
            h_before = room.locator("#h").text_content()
            room.reload()
            room.wait_for_selector("#conn.live")
            assert room.locator("#h").text_content() == h_before
            room.screenshot(path=str(tmp_path / "room-1280.png"))
            blue.screenshot(path=str(tmp_path / "team-1280.png"), full_page=True)
            big = browser.new_context(viewport={"width": 1920, "height": 1080})
            _guard(big, base, stray)
            pg = big.new_page()
            pg.goto(f"{base}/room")
            pg.wait_for_selector("#conn.live")
            pg.screenshot(path=str(tmp_path / "room-1920.png"))
        finally:
            browser.close()
    assert stray == []
    shots = os.environ.get("CRISIS_SIM_SHOTS")
    if shots:
        for f in tmp_path.glob("*.png"):
            shutil.copy(f, Path(shots) / f.name)


def _spawn(args: list[str], cwd: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    p = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=cwd, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.match(r"(room|facilitator|team PIN):\s+(\S+)", line)
        if m:
            urls[m.group(1)] = m.group(2)
        if "team PIN" in urls:
            return p, urls
    p.kill()
    raise AssertionError(f"server did not start: {p.stderr.read()}")


def test_a_killed_server_resumes_with_its_state(tmp_path):
    log = tmp_path / "s.jsonl"
    p, urls = _spawn(["workshop", str(BASELINE), "--web", "--port", "0", "--pin", "1234", "--session", str(log)],
                     tmp_path)
    try:
        base = urls["room"].removesuffix("/room")
        c = httpx.Client(base_url=base, timeout=10)
        c.get(urls["facilitator"].replace(base, ""))
        csrf = re.search(r'name="cs-csrf" content="([^"]+)"', c.get("/facilitator").text).group(1)
        for _ in range(3):
            assert c.post("/api/facilitator/command", json={"line": "next"},
                          headers={"X-CSRF-Token": csrf}).status_code == 200
        before = c.get("/api/state/room").json()
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)
    p, urls = _spawn(["workshop", "--resume", str(log), "--web", "--port", "0"], tmp_path)
    try:
        base = urls["room"].removesuffix("/room")
        after = httpx.Client(base_url=base, timeout=10).get("/api/state/room").json()
        for k in ("h", "time", "tension", "rung", "forces", "injects", "pending"):
            assert after[k] == before[k], k
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(10)


def test_end_writes_the_hotwash_and_the_room_shows_the_scoreboard(served):
    live, server = served
    fac, csrf = _facilitator(server), server.secrets.csrf
    _until_pending(fac, csrf, live, "nrf_deploy")
    _post(fac, "/api/facilitator/command", {"line": "decide nrf_deploy hold keep it calm"}, csrf)
    room = _client(server)
    assert room.get("/api/state/room").json()["scoreboard"] is None          # not before the end
    r = _post(fac, "/api/facilitator/command", {"line": "end"}, csrf)
    assert r.status_code == 200 and "HOT-WASH" in r.json()["items"][0]["text"]
    board = room.get("/api/state/room").json()
    rows = {x["id"]: x for x in board["scoreboard"]}
    expected = live.session.final_result().objectives
    assert {k: v["met"] for k, v in rows.items()} == {k: o.met for k, o in expected.items()}
    assert rows["vjtf_in_place"]["met"] is False            # the NRF was held: the VJTF never deploys
    entries = [json.loads(x) for x in live.session.log_path.read_text().splitlines()]
    hw = next(e for e in entries if e["kind"] == "hotwash")
    assert hw["summary"]["decisions"][-1]["option"] == "hold" and entries[-1]["kind"] == "close"


def test_room_map_draws_forces_at_their_places(served):
    live, server = served
    c = _client(server)
    base = c.get("/api/map/base.svg")
    assert base.status_code == 200 and base.headers["content-type"].startswith("image/svg+xml")
    assert base.text.startswith("<svg") and 'class="country"' in base.text
    state = c.get("/api/state/room").json()
    key = {k["force"]: k for k in state["map"]["key"] if k["layer"] == "forces"}
    s = live.session.scenario
    assert set(key) == {f for f, spec in s.forces.items() if spec.origin_place and spec.destination_place}
    assert key["vjtf"]["state"] == "standby" or "at Paris" in key["vjtf"]["label"]
    fac, csrf = _facilitator(server), server.secrets.csrf
    for _ in range(60):   # until a placed force is in transit or in place, then check where it is drawn
        states = live.session.view().state["forces"]
        if any(states[f] in ("deploying", "in_place") for f in key):
            break
        p = live.session.pending
        _post(fac, "/api/facilitator/command", {"line": f"decide {p['decision']} {p['default']}" if p else "next"},
              csrf)
    state = c.get("/api/state/room").json()
    for k in (k for k in state["map"]["key"] if k["layer"] == "forces"):
        if k["state"] == "in_place":
            assert k["share"] == 1.0 and "in place at" in k["label"]
        elif k["state"] == "deploying":
            assert 0.0 <= k["share"] <= 1.0 and "in transit" in k["label"]
        else:
            assert k["share"] == 0.0
    assert "<script" not in state["map"]["overlay"]


# every visible panel of the room, the map key, the jump causes and the inject cards inside the viewport,
# and no panel whose content is clipped (overflow hidden with more content than shows)
_CUT = """() => { const out = [];
  const vw = window.innerWidth, vh = window.innerHeight;
  for (const el of document.querySelectorAll('header, section.panel:not([hidden]), .mapkey li, #jumps li, .card')) {
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    if (r.right > vw + 1 || r.bottom > vh + 1) out.push(`${el.className || el.tagName} ends at ${r.right}x${r.bottom}`);
    if (el.matches('section.panel') && el.scrollHeight > el.clientHeight + 2) out.push(`${el.className} clipped`);
  }
  return out; }"""


@pytest.mark.browser
def test_room_board_fits_1280x720_and_1920x1080_with_nothing_cut(served, tmp_path):
    """A decision pending, many injects, several tension jumps: at both sizes the room shows the whole map
    key, whole inject cards (older ones left out with a line saying so), the jumps with their causes, in
    large type; the timeline marks the decisions taken."""
    live, server = served
    for k in range(40):
        p = live.session.pending
        if p and p["decision"] == "nrf_deploy":
            break
        if p:
            live.execute(f"decide {p['decision']} {p['default']} because", "facilitator")
        live.execute("next", "facilitator")
        if k == 2:
            for n in range(5):
                live.execute(f'inject "Public statement number {n}: allied leaders speak at length about '
                             f'the situation on the eastern flank and what comes next" --title "Statement {n}"',
                             "facilitator")
    assert live.session.pending, "the nrf_deploy decision came up"
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for w, h, px in ((1280, 720, 20), (1920, 1080, 26)):
                ctx = browser.new_context(viewport={"width": w, "height": h})
                page = ctx.new_page()
                page.goto(f"{server.base}/room")
                page.wait_for_selector("#conn.live", timeout=10_000)
                page.wait_for_function("document.body.dataset.version !== undefined")
                assert page.evaluate(_CUT) == [], (w, h)
                assert page.locator("#decision-panel").is_visible()
                assert page.locator("#map-key li").count() >= 3 and page.locator("#jumps li").count() >= 2
                assert page.locator(".card").count() >= 1
                if page.locator("#injects .older").count():
                    assert re.fullmatch(r"\d+ older injects? not shown", page.locator("#injects .older").inner_text())
                size = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
                assert size >= px                                    # large type for the back of the room
                assert page.locator("#timeline .tick.decision").count() == len(live.session.play.choices) >= 1
                page.screenshot(path=str(tmp_path / f"room-{w}-decision.png"))
                ctx.close()
        finally:
            browser.close()
    shots = os.environ.get("CRISIS_SIM_SHOTS")
    if shots:
        for f in tmp_path.glob("room-*-decision.png"):
            shutil.copy(f, Path(shots) / f.name)


def test_a_map_layer_is_one_function_added_to_the_list(served, monkeypatch):
    """The overlay draws LAYERS bottom first; a new layer (the axes, the incidents) adds its marks and key
    entries, numbered after those below it, without touching the others."""
    from sim.web import theatre

    def places_layer(d: theatre.Drawing) -> None:           # each placed force's destination, once more
        for f in d.room.forces:
            n = d.add("places", f.destination_name, "#000000", place=f.destination_name)
            d.m.marker(f.destination, str(n), colour="#000000", r=6, shape="circle", title=f.destination_name)

    live, server = served
    monkeypatch.setattr(theatre, "LAYERS", [*theatre.LAYERS, places_layer])
    state = _client(server).get("/api/state/room").json()
    layers = [k["layer"] for k in state["map"]["key"]]
    n_forces, n_axes = layers.count("forces"), layers.count("axes")
    assert n_forces >= 2 and layers == ["axes"] * n_axes + ["forces"] * n_forces + ["places"] * n_forces
    assert state["map"]["overlay"].count("<title>") >= 3 * n_forces + 2 * n_axes  # the new marks are drawn too
    assert [k["n"] for k in state["map"]["key"]] == list(range(1, len(layers) + 1))


def test_the_map_draws_each_axis_where_its_head_stands_and_the_incidents_at_their_area(tmp_path):
    from sim.engine.trace import IncidentRecord
    from sim.web.theatre import RoomMap
    from sim.workshop import Session
    from sim.workshop.commands import execute

    # every encounter graded above routine, so that incidents happen within a few turns
    s = load_scenario(BASELINE, ["deconfliction.p_incident=1"])
    sess = Session.start(s, seed=3, log_path=tmp_path / "ws.jsonl", scenario_path=str(BASELINE))
    room = RoomMap(s)
    routed = [aid for aid, a in s.adversary.axes.items() if a.route]
    assert len(room.axes) == len(routed) >= 5
    for _ in range(8):
        execute(sess, "next")
        if sess.pending:
            execute(sess, f"decide {sess.pending['decision']} {sess.pending['default']}")
    svg, key = room.overlay(sess)
    axes = [k for k in key if k["layer"] == "axes"]
    assert [k["axis"] for k in axes] == routed
    state = sess.view().state["axes"]
    for k in axes:
        if k["committed"]:
            assert f"{state[k['axis']]['km_along']:,.0f} km in" in k["label"] or " at " in k["label"]
        else:
            assert k["label"].endswith("not committed")
    placed = [r for r in sess.view().trace if isinstance(r, IncidentRecord) and r.place]
    assert placed, "the turns met no incident"
    shown = [k for k in key if k["layer"] == "incidents"]
    assert sum(k["count"] for k in shown) == len(placed)
    assert {k["place"] for k in shown} == {r.place for r in placed}
    assert all(f"<title>{k['label']}" in svg or k["label"].split(":")[0] in svg for k in shown)
    sess.close()
