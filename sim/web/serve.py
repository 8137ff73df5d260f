"""Running the workshop server beside the terminal console, in the same process.

:func:`start` binds the socket first (so a port in use is one clear error before anything
else happens), then serves the app from a background thread with uvicorn; the terminal's
console keeps the main thread. :class:`Server` stops it.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from ..workshop.live import LiveSession
from .app import create_app
from .auth import Secrets


class ServeError(Exception):
    """The server cannot start (a port in use, a host that does not resolve)."""


@dataclass
class Server:
    host: str
    port: int
    secrets: Secrets
    _server: object
    _thread: threading.Thread
    _stopping: threading.Event
    _live: LiveSession

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def urls(self, teams: list[str]) -> dict[str, str]:
        out = {"room": f"{self.base}/room", "facilitator": f"{self.base}/facilitator?token={self.secrets.token}"}
        for t in teams:
            out[f"team {t}"] = f"{self.base}/team/{t}"
        return out

    def stop(self, timeout: float = 5.0) -> None:
        """End the event streams (each notices within a second), then the server."""
        self._stopping.set()
        self._live.wake()
        time.sleep(0.05)
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout)


def start(live: LiveSession, host: str = "127.0.0.1", port: int = 8765, pin: str | None = None) -> Server:
    import uvicorn

    secrets = Secrets.make(pin)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None
    sock.listen(64)
    port = sock.getsockname()[1]
    stopping = threading.Event()
    config = uvicorn.Config(create_app(live, secrets, stopping), log_level="warning", access_log=False,
                            lifespan="off", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="crisis-sim-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise ServeError(f"the web server did not start on {host}:{port}")
    return Server(host, port, secrets, server, thread, stopping, live)


__all__ = ["ServeError", "Server", "start"]
