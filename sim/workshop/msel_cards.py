"""Printable inject cards: the MSEL as one self-contained HTML page, a card per inject.

Each inject gets two cards: the **player card** (number, times, sender, recipient and the
text the players are told, nothing else) to hand to the team, and the **facilitator card**
(expected action, trigger, contingency notes, facts) kept by the controller. Decision points
get a player card with the prompt and the options (the default is marked only on the
facilitator card). Cards are sized so that four fit on an A4 or Letter page and never split
across pages. Every text from the scenario is HTML-escaped.
"""
from __future__ import annotations

from html import escape

from ..narrative import h_label
from .msel import Msel, MselRow, _calendar_cell, _exercise_text

_CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 11pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
header { margin: 0 0 6mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
.meta { font-size: 9pt; color: #333; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 5mm; }
.card { border: 1.5pt solid #1f3864; border-radius: 3mm; padding: 4mm; break-inside: avoid;
        page-break-inside: avoid; min-height: 60mm; }
.card.facilitator { border-style: dashed; border-color: #7f4f00; background: #fffaf0; }
.card h2 { font-size: 12pt; margin: 0 0 2mm; }
.tag { display: inline-block; font-size: 8pt; font-weight: bold; letter-spacing: .05em; text-transform: uppercase;
       padding: .5mm 2mm; border-radius: 1.5mm; background: #1f3864; color: #fff; }
.facilitator .tag { background: #7f4f00; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .5mm 3mm; margin: 2mm 0; font-size: 9.5pt; }
dt { font-weight: bold; color: #333; }
dd { margin: 0; }
.message { font-size: 11.5pt; white-space: pre-wrap; border-top: .5pt solid #999; padding-top: 2mm; }
.pair { display: contents; }
@media screen { body { max-width: 210mm; margin: 8mm auto; } }
"""


def _dl(items: list[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items if v) + "</dl>"


def _times(m: Msel, r: MselRow) -> list[tuple[str, str]]:
    if r.sim_h is None:
        return [("When", "when the facilitator decides (contingency)")]
    return [("Scenario time", f"{h_label(r.sim_h)}, {_calendar_cell(r.sim_time)}"), ("Turn", str(r.turn)),
            ("Exercise time", _exercise_text(m, r.exercise_min, "%a %d %b %H:%M"))]


def _label(r: MselRow) -> str:
    return f"#{r.number}" if r.number is not None else "C"


def _player_card(m: Msel, r: MselRow) -> str:
    kind = "Decision" if r.type == "decision" else "Inject"
    body = escape(r.text)
    if r.type == "decision" and r.options:
        body += "<ul>" + "".join(f"<li>{escape(label)}</li>" for _, label in r.options) + "</ul>"
    return (f'<section class="card player"><span class="tag">{kind} {escape(_label(r))} - player</span>'
            f"<h2>{escape(r.title)}</h2>"
            + _dl([*_times(m, r), ("From", r.sender), ("To", r.recipient)])
            + f'<div class="message">{body}</div></section>')


def _facilitator_card(m: Msel, r: MselRow) -> str:
    items = [("Id", r.id), *_times(m, r), ("Expected action", r.expected_action), ("Trigger", r.trigger),
             ("Facts", ", ".join(r.facts))]
    if r.type == "decision":
        items.append(("Default", r.default))
    return (f'<section class="card facilitator"><span class="tag">{escape(_label(r))} - facilitator only</span>'
            f"<h2>{escape(r.title)}</h2>" + _dl(items) + "</section>")


def render_cards(m: Msel) -> str:
    """The MSEL's inject cards as one HTML page (player card, then its facilitator card)."""
    cards = []
    for r in (*m.rows, *m.contingency):
        cards += [_player_card(m, r), _facilitator_card(m, r)]
    start = f"STARTEX {m.start:%a %d %b %Y %H:%M}" if m.start else "exercise times are offsets from STARTEX"
    meta = (f"Scenario {m.scenario} (hash {m.scenario_hash}), seed {m.seed}; {m.turn_h:g} h of scenario time = "
            f"{m.minutes_per_turn:g} min of exercise; {start}. Cut along the borders: solid cards go to the "
            "players, dashed cards stay with the facilitator.")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Inject cards: {escape(m.title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>Inject cards: {escape(m.title)}</h1><p class=\"meta\">{escape(meta)}</p></header>"
            f"<main class=\"cards\">{''.join(cards)}</main></body></html>\n")


__all__ = ["render_cards"]
