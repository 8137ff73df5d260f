// crisis-sim workshop board: renders the server's state into the page and keeps it live.
// Every text from the scenario or from people goes in through textContent, never as HTML.
"use strict";

(function () {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const VIEW = meta("cs-view"), API = meta("cs-api"), CSRF = meta("cs-csrf");
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  async function post(path, data) {
    const r = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
      body: JSON.stringify(data),
    });
    let body = {};
    try { body = await r.json(); } catch (e) { body = { error: r.statusText }; }
    return { ok: r.ok, status: r.status, body };
  }

  // --- drawing -------------------------------------------------------------------------
  function curve(svg, points, rungs, jumps, horizon) {
    const W = 600, H = 220, L = 34, B = 20;
    const top = Math.max(100, ...points.map((p) => p[1]), ...rungs.map((r) => r.threshold)) * 1.05;
    const xmax = Math.max(horizon, 1);
    const x = (t) => L + (W - L - 6) * (t / xmax), y = (v) => (H - B) - (H - B - 6) * (v / top);
    const ns = "http://www.w3.org/2000/svg";
    const mk = (tag, attrs) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
    svg.replaceChildren();
    rungs.forEach((r, i) => {
      if (i === 0) return;
      svg.append(mk("line", { x1: L, x2: W - 6, y1: y(r.threshold), y2: y(r.threshold), class: "rungline" }));
      const t = mk("text", { x: W - 8, y: y(r.threshold) - 3, class: "runglabel", "text-anchor": "end" });
      t.textContent = r.name;
      svg.append(t);
    });
    svg.append(mk("line", { x1: L, x2: L, y1: 4, y2: H - B, class: "axis" }));
    svg.append(mk("line", { x1: L, x2: W - 6, y1: H - B, y2: H - B, class: "axis" }));
    for (let k = 0; k <= 4; k++) {
      const t = mk("text", { x: x(xmax * k / 4), y: H - 4, class: "tick", "text-anchor": k === 4 ? "end" : k === 0 ? "start" : "middle" });
      t.textContent = `H+${Math.round(xmax * k / 4)}`;
      svg.append(t);
    }
    if (points.length) {
      svg.append(mk("polyline", { points: points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" "), class: "tline" }));
    }
    jumps.forEach((j, i) => {
      svg.append(mk("circle", { cx: x(j.h), cy: y(j.after), r: 5, class: j.after > j.before ? "up" : "down" }));
      const n = mk("text", { x: Math.min(x(j.h) + 6, W - 16), y: y(j.after) - 6, class: "jumpno" });
      n.textContent = String(i + 1);
      svg.append(n);
    });
  }

  function render(s) {
    $("time").textContent = s.time;
    $("h").textContent = `${s.h} of H+${s.horizon_h}`;
    $("turn").textContent = `turn ${s.turn}`;
    $("rung").textContent = `Rung ${s.rung}: ${s.rung_name}`;
    $("rung").className = `rung r${Math.min(s.rung, 5)}`;
    $("tension").textContent = `tension ${s.tension.toFixed(1)}`;
    // the jumps worth a label (half a point or more), numbered the same on the curve and in the list
    const jumps = s.jumps.filter((j) => Math.abs(j.after - j.before) >= 0.5);
    curve($("curve"), s.tension_curve, s.rungs, jumps, Math.max(s.clock_h, s.turn_h));
    const first = Math.max(0, jumps.length - (VIEW === "room" ? 3 : 8));
    const items = jumps.slice(first).map((j, k) => {
      const li = el("li", {}, `H+${j.h.toFixed(1)}: ${j.before.toFixed(1)} → ${j.after.toFixed(1)}, ${j.cause}`);
      li.value = first + k + 1;
      return li;
    });
    $("jumps").replaceChildren(...items);
    // forces
    $("forces").tBodies[0].replaceChildren(...s.forces.map((f) => el("tr", { class: `st-${f.state}` },
      el("td", {}, f.name), el("td", {}, f.side), el("td", { class: "num" }, `${Math.round(f.strength).toLocaleString("en")} ${f.unit}`),
      el("td", {}, f.state.replace("_", " ")))));
    const mp = $("map-panel");
    mp.hidden = !s.map;
    document.body.classList.toggle("has-map", Boolean(s.map));
    if (s.map) {
      if (!$("map-base").getAttribute("src")) $("map-base").src = "/api/map/base.svg";
      $("map-overlay").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(s.map.overlay);
      $("map-key").replaceChildren(...s.map.key.map((k) => {
        const li = el("li", {}, el("span", { class: "dot" }, ""), k.label);
        li.value = k.n;
        li.firstChild.style.background = k.colour;
        return li;
      }));
    }
    $("stats").textContent = `encounters ${s.encounters} · incidents ${s.incidents} · troops committed ${Math.round(s.committed_troops).toLocaleString("en")}`;
    // injects
    const cards = (s.injects || []).slice().reverse().map((i) => {
      const card = el("article", { class: "card", "data-inject": i.id },
        el("div", { class: "meta" }, `${i.h} · from ${i.sender || "-"} · to ${i.recipient || "-"}`),
        el("h3", {}, i.title), el("p", {}, i.text));
      if (i.expected_action !== undefined) card.append(el("p", { class: "expected" }, `Expected action: ${i.expected_action || "-"}`));
      if (VIEW === "team") card.append(responseBox(i, s));
      return card;
    });
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.draft : undefined;
    const caret = focused !== undefined ? document.activeElement.selectionStart : 0;
    $("injects").replaceChildren(...(cards.length ? cards : [el("p", { class: "hint" }, "No injects yet.")]));
    if (focused !== undefined) {
      const again = document.querySelector(`textarea[data-draft="${CSS.escape(focused)}"]`);
      if (again) { again.focus(); again.setSelectionRange(caret, caret); }
    }
    // decision
    const p = s.pending, panel = $("decision-panel");
    panel.hidden = !p;
    if (p) {
      $("decision-title").textContent = `Decision for ${p.team}: ${p.title}`;
      $("decision-prompt").textContent = p.prompt;
      $("decision-options").replaceChildren(...p.options.map((o) => el("li", {},
        el("strong", {}, o.label), o.description ? el("span", { class: "desc" }, ` — ${o.description}`) : null,
        p.default === o.id ? el("em", { class: "default" }, " (scenario default)") : null)));
      const form = $("decide-form");
      const mine = VIEW === "team" && s.my_decision;
      form.hidden = !mine;
      if (mine) {
        $("decide-buttons").replaceChildren(...p.options.map((o) => {
          const b = el("button", { type: "button", "data-option": o.id }, `Choose: ${o.label}`);
          b.addEventListener("click", async () => {
            const r = await post(`/api/${API}/decide`, { decision: p.decision, option: o.id, rationale: $("decide-rationale").value });
            $("submitted").textContent = r.ok ? "Sent to the facilitator." : (r.body.error || "refused");
            if (r.ok) $("decide-rationale").value = "";
          });
          return b;
        }));
      }
      if (VIEW === "team") $("submitted").textContent = (s.submitted || []).map((x) => `Sent: ${x.option}`).join("; ");
    }
    // timeline
    const span = Math.max(s.horizon_h, 1);
    $("timeline").replaceChildren(...s.timeline.map((t) => el("span", { class: `tick ${t.kind || "inject"}`, title: `${t.kind === "decision" ? "Decision" : "Inject"} at H+${t.h.toFixed(1)}: ${t.title}` }, "")));
    [...$("timeline").children].forEach((c, k) => { c.style.left = `${(100 * s.timeline[k].h / span).toFixed(2)}%`; });
    const now = el("span", { class: "now" }, "");
    now.style.left = `${(100 * s.clock_h / span).toFixed(2)}%`;
    $("timeline").append(now);
    const h0 = el("span", { class: "end" }, "H+0"), h1 = el("span", { class: "end" }, `H+${s.horizon_h}`);
    h0.style.left = ".3rem"; h1.style.right = ".3rem";
    $("timeline").append(h0, h1);
    const sb = $("scoreboard-panel");
    sb.hidden = !s.scoreboard;
    if (s.scoreboard) {
      $("scoreboard").replaceChildren(...s.scoreboard.map((r) => el("li", { class: r.met ? "met" : "missed" },
        el("strong", {}, r.met ? "MET " : "NOT MET "), `${r.title}: ${r.value_text} (target ${r.target})`)));
    }
    document.body.classList.toggle("has-decision", Boolean(p || s.scoreboard));
    if (VIEW === "room") {
      fit($("injects"), [...$("injects").querySelectorAll(".card")], false, "inject");
      fit($("jumps"), [...$("jumps").children], true, "jump");
    }
    if (VIEW === "facilitator") renderFacilitator(s);
    if (s.closed) $("conn").textContent = "session closed";
  }

  const drafts = {};   // what a player is typing survives the live updates that redraw the cards

  // the room shows whole items only: those that do not fit are left out (the oldest first), and said so
  function fit(box, items, oldestFirst, what) {
    const panel = box.closest(".panel");
    const list = oldestFirst ? items.slice() : items.slice().reverse();   // oldest first
    let hidden = 0, note = null;
    while (list.length > 1 && panel.scrollHeight > panel.clientHeight + 1) {
      list.shift().remove();
      hidden += 1;
      if (!note) { note = el(box.tagName === "OL" ? "li" : "p", { class: "older" }, ""); box.append(note); }
      note.textContent = `${hidden} older ${what}${hidden > 1 ? "s" : ""} not shown`;
    }
    if (list.length && panel.scrollHeight > panel.clientHeight + 1) list[0].classList.add("compact");
  }

  function responseBox(i, s) {
    const done = (s.responses || []).filter((r) => r.inject === i.id);
    const box = el("form", { class: "respond" });
    const area = el("textarea", { rows: 2, maxLength: 2000, placeholder: "What your team does about this",
                                  "data-draft": i.id, value: drafts[i.id] || "" });
    area.addEventListener("input", () => { drafts[i.id] = area.value; });
    const btn = el("button", { type: "submit" }, "Send response");
    const said = el("div", { class: "said" }, ...done.map((r) => el("p", {}, `Sent: ${r.text}`)));
    box.append(said, area, btn);
    box.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const r = await post(`/api/${API}/respond`, { inject: i.id, text: area.value });
      if (r.ok) delete drafts[i.id];
      else said.append(el("p", { class: "refused" }, r.body.error || "refused"));
    });
    return box;
  }

  function renderFacilitator(s) {
    $("submissions").replaceChildren(...(s.submissions.length ? s.submissions.map((x) => {
      const ok = el("button", { type: "button" }, "Confirm"), no = el("button", { type: "button" }, "Reject");
      ok.addEventListener("click", () => post("/api/facilitator/confirm", { submission: x.n }).then(show));
      no.addEventListener("click", () => post("/api/facilitator/reject", { submission: x.n, reason: "" }).then(show));
      return el("li", { "data-submission": String(x.n) }, `${x.team}: ${x.decision} = ${x.option}${x.rationale ? ` (${x.rationale})` : ""} `, ok, " ", no);
    }) : [el("li", { class: "hint" }, "none waiting")]));
    $("responses").replaceChildren(...s.responses.map((r) => el("li", {}, `${r.team} on ${r.inject}: ${r.text}`)));
    $("ahead").textContent = s.ahead.join("\n");
    const pc = s.pace;
    $("pace").textContent = `STARTEX ${pc.startex}; ${pc.minutes_per_turn} min per turn; planned +${pc.planned_min} min, actual +${pc.actual_min} min (${pc.behind_min >= 0 ? "behind" : "ahead"} by ${Math.abs(pc.behind_min)} min)`;
    $("links").replaceChildren(...s.links.map((l) => el("figure", {},
      l.qr ? el("img", { src: l.qr, alt: `QR code for team ${l.team}` }) : null,
      el("figcaption", {}, el("a", { href: l.url, target: "_blank" }, `team ${l.team}`)))));
  }

  function show(r) {
    const items = r.body.items || (r.body.error ? [{ kind: "error", text: r.body.error }] : []);
    $("output").textContent = items.map((i) => (i.kind === "error" ? "error: " : "") + i.text).join("\n");
  }

  function wireFacilitator() {
    $("command-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const line = $("command").value;
      if (!line.trim()) return;
      show(await post("/api/facilitator/command", { line }));
      $("command").value = "";
    });
    document.querySelectorAll("button[data-cmd]").forEach((b) =>
      b.addEventListener("click", async () => show(await post("/api/facilitator/command", { line: b.dataset.cmd }))));
  }

  // --- live updates ---------------------------------------------------------------------
  let shown = -1;
  function accept(s) {
    if (s.version >= shown) { shown = s.version; render(s); document.body.dataset.version = String(s.version); }
  }

  function connect() {
    const es = new EventSource(`/api/events/${API}`);
    es.onopen = () => { $("conn").textContent = "live"; $("conn").className = "conn live"; };
    es.onmessage = (ev) => accept(JSON.parse(ev.data));
    es.onerror = () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn lost"; };
  }

  document.addEventListener("DOMContentLoaded", async () => {
    if (VIEW === "facilitator") wireFacilitator();
    const r = await fetch(`/api/state/${API}`, { credentials: "same-origin" });
    if (r.ok) accept(await r.json());
    connect();
  });
})();
