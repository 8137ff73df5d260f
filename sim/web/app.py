"""The workshop server: routes for the room board, the facilitator console and the team pages.

Handlers parse and check a request, call the :class:`~sim.workshop.live.LiveSession`, and
answer JSON or a page; the work is in the workshop layer. Pages are static shells filled by
``static/board.js`` with ``textContent`` (never HTML from data), and live updates come as
server-sent events (``/api/events/...``) within a fraction of a second of any change.

Every request is checked: the facilitator's token (cookie or ``?token=``), a team's key or
PIN, the CSRF header on every POST, the Origin when the browser sends one, sizes and types
of every field. A bad request gets a 4xx with a message and never changes the session.
"""
from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from ..workshop.live import LiveSession, reply_text
from ..workshop.session import WorkshopError
from .auth import FAC_COOKIE, Secrets, team_cookie
from .tension import tension_curve, tension_jumps
from .theatre import RoomMap

MAX_FIELD = 2000
KEEPALIVE_S = 15.0
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

_env = Environment(loader=PackageLoader("sim.web", "templates"), autoescape=select_autoescape(["html"]))


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**ctx), status_code=status)


def create_app(live: LiveSession, secrets: Secrets, stopping: threading.Event | None = None) -> FastAPI:
    """The app; ``stopping`` set ends every event stream (so the server can shut down cleanly)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    stopping = stopping or threading.Event()
    static = resources.files("sim.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    session = live.session
    title = session.scenario.title
    room_map = RoomMap(session.scenario)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(BadRequest)
    async def bad(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    # --- who is asking -------------------------------------------------------------
    def teams() -> list[str]:
        return list(session.teams)

    def is_facilitator(request: Request) -> bool:
        return secrets.is_facilitator(request.cookies.get(FAC_COOKIE) or request.query_params.get("token"))

    def is_team(request: Request, team: str) -> bool:
        return secrets.is_team(team, request.cookies.get(team_cookie(team)))

    def need_facilitator(request: Request) -> None:
        if not is_facilitator(request):
            raise BadRequest(403, "the facilitator console needs the link with its token")

    def need_team(request: Request, team: str) -> None:
        if team not in teams():
            raise BadRequest(404, f"no team {team!r}")
        if not is_team(request, team):
            raise BadRequest(401, f"team {team}: enter the PIN first")

    async def body(request: Request) -> dict[str, Any]:
        """A POST's JSON body, after the CSRF and Origin checks."""
        if not secrets.csrf_ok(request.headers.get("x-csrf-token")):
            raise BadRequest(403, "missing or wrong CSRF token (reload the page)")
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            raise BadRequest(403, f"request from another site ({origin}) refused")
        raw = await request.body()
        if len(raw) > 16 * MAX_FIELD:
            raise BadRequest(413, "request too large")
        try:
            data = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise BadRequest(400, "the body is not a JSON object")
        return data

    def text(data: dict[str, Any], key: str, *, required: bool = True) -> str:
        v = data.get(key, "")
        if not isinstance(v, str):
            raise BadRequest(400, f"{key}: expected text")
        if len(v) > MAX_FIELD:
            raise BadRequest(400, f"{key}: at most {MAX_FIELD} characters")
        if required and not v.strip():
            raise BadRequest(400, f"{key}: required")
        return v

    def number(data: dict[str, Any], key: str) -> int:
        v = data.get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise BadRequest(400, f"{key}: expected a whole number")
        return v

    def act(fn: Any) -> dict[str, Any]:
        try:
            fn()
        except WorkshopError as exc:
            raise BadRequest(409, str(exc)) from None
        return {"ok": True, "version": live.version}

    # --- pages -----------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return _page("index.html", title=title)

    @app.get("/room", response_class=HTMLResponse)
    async def room() -> HTMLResponse:
        return _page("board.html", title=title, view="room", api="room", csrf="")

    @app.get("/facilitator", response_model=None)
    async def facilitator(request: Request) -> Response:
        token = request.query_params.get("token")
        if token is not None:
            if not secrets.is_facilitator(token):
                return _page("refused.html", 403, title=title, message="This facilitator link is not valid.")
            r = RedirectResponse("/facilitator", status_code=303)
            r.set_cookie(FAC_COOKIE, token, httponly=True, samesite="strict")
            return r
        if not is_facilitator(request):
            return _page("refused.html", 403, title=title,
                         message="The facilitator console needs the link printed when the server started.")
        return _page("board.html", title=title, view="facilitator", api="facilitator", csrf=secrets.csrf)

    @app.get("/team/{team}", response_model=None)
    async def team_page(request: Request, team: str) -> Response:
        if team not in teams():
            return _page("refused.html", 404, title=title, message="There is no such team in this workshop.")
        key = request.query_params.get("key")
        if key is not None or request.query_params.get("pin") is not None:
            ok = secrets.is_team(team, key) if key is not None else secrets.pin_ok(request.query_params.get("pin"))
            if not ok:
                return _page("join.html", 401, title=title, team=team, csrf=secrets.csrf,
                             message="That link or PIN is not valid.")
            r = RedirectResponse(f"/team/{team}", status_code=303)
            r.set_cookie(team_cookie(team), secrets.team_key(team), httponly=True, samesite="strict")
            return r
        if not is_team(request, team):
            return _page("join.html", 401, title=title, team=team, csrf=secrets.csrf, message="")
        return _page("board.html", title=title, view="team", api=f"team/{team}", csrf=secrets.csrf, team=team)

    @app.post("/team/{team}/join", response_model=None)
    async def join(request: Request, team: str) -> Response:
        if team not in teams():
            return _page("refused.html", 404, title=title, message="There is no such team in this workshop.")
        form = (await request.body()).decode("utf-8", "replace")
        from urllib.parse import parse_qs

        fields = parse_qs(form)
        if not secrets.csrf_ok((fields.get("csrf") or [""])[0]) or not secrets.pin_ok((fields.get("pin") or [""])[0]):
            return _page("join.html", 401, title=title, team=team, csrf=secrets.csrf,
                         message="That PIN is not valid.")
        r = RedirectResponse(f"/team/{team}", status_code=303)
        r.set_cookie(team_cookie(team), secrets.team_key(team), httponly=True, samesite="strict")
        return r

    # --- data ------------------------------------------------------------------------
    def state_of(request: Request, view: str) -> dict[str, Any]:
        if view == "room":
            data = live.room()
        elif view == "facilitator":
            need_facilitator(request)
            data = live.facilitator()
            data["links"] = links(request)
        elif view.startswith("team/"):
            team = view[5:]
            need_team(request, team)
            data = live.team(team)
        else:
            raise BadRequest(404, f"no view {view!r}")
        with live.acting_read():
            data["tension_curve"], data["jumps"] = tension_curve(session), tension_jumps(session)
            if not room_map.empty:
                overlay, key = room_map.overlay(session)
                data["map"] = {"overlay": overlay, "key": key}
        return data

    @app.get("/api/map/base.svg")
    async def map_base() -> Response:
        if room_map.empty:
            raise BadRequest(404, "this scenario names no places for its forces")
        return Response(room_map.base(), media_type="image/svg+xml")

    def links(request: Request) -> list[dict[str, str]]:
        base = f"{request.url.scheme}://{request.url.netloc}"
        out = []
        for t in teams():
            url = f"{base}/team/{t}?key={secrets.team_key(t)}"
            out.append({"team": t, "url": url, "qr": _qr_svg(url)})
        return out

    @app.get("/api/state/{view:path}")
    async def state(request: Request, view: str) -> JSONResponse:
        return JSONResponse(state_of(request, view))

    @app.get("/api/events/{view:path}")
    async def events(request: Request, view: str) -> StreamingResponse:
        state_of(request, view)  # the same checks as the state

        async def stream() -> AsyncIterator[bytes]:
            seen = -1
            while not stopping.is_set():
                if await request.is_disconnected():
                    return
                if live.version != seen:
                    seen = live.version
                    yield f"data: {json.dumps(state_of(request, view), ensure_ascii=False)}\n\n".encode()
                    if live.closed:
                        return
                    continue
                now = await anyio.to_thread.run_sync(live.wait, seen, 1.0)
                if now == seen:
                    yield b": keepalive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    @app.post("/api/facilitator/command")
    async def command(request: Request) -> JSONResponse:
        need_facilitator(request)
        line = text(await body(request), "line")
        reply = await anyio.to_thread.run_sync(live.execute, line, "facilitator")
        items = reply_text(reply)
        status = 409 if any(i["kind"] == "error" for i in items) else 200
        return JSONResponse({"items": items, "version": live.version}, status_code=status)

    @app.post("/api/facilitator/confirm")
    async def confirm(request: Request) -> JSONResponse:
        need_facilitator(request)
        n = number(await body(request), "submission")
        return JSONResponse(act(lambda: live.call("facilitator", lambda s: s.confirm(n))))

    @app.post("/api/facilitator/reject")
    async def reject(request: Request) -> JSONResponse:
        need_facilitator(request)
        data = await body(request)
        n, reason = number(data, "submission"), text(data, "reason", required=False)
        return JSONResponse(act(lambda: live.call("facilitator", lambda s: s.reject(n, reason))))

    @app.post("/api/team/{team}/decide")
    async def decide(request: Request, team: str) -> JSONResponse:
        need_team(request, team)
        data = await body(request)
        decision, option = text(data, "decision"), text(data, "option")
        rationale = text(data, "rationale", required=False)
        return JSONResponse(act(lambda: live.submit(team, decision, option, rationale)))

    @app.post("/api/team/{team}/respond")
    async def respond(request: Request, team: str) -> JSONResponse:
        need_team(request, team)
        data = await body(request)
        inject, what = text(data, "inject"), text(data, "text")
        return JSONResponse(act(lambda: live.respond(team, inject, what)))

    return app


def _qr_svg(url: str) -> str:
    """A QR code of ``url`` as a data: URI of an SVG image (segno; empty without it)."""
    try:
        import segno
    except ImportError:  # pragma: no cover - the web extra has it
        return ""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


__all__ = ["create_app"]
