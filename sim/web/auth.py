"""Who may see and do what on the workshop server: the facilitator's token, the teams' PIN and
per-team keys, and the CSRF token every state-changing request must carry.

Secrets are random per server (``secrets``); comparisons are constant-time. Cookies are
HttpOnly and SameSite=Strict, so another site cannot send them, and every POST must also carry
the page's CSRF token in a header and, when the browser sends one, an Origin of this server.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

FAC_COOKIE = "cs_fac"


def team_cookie(team: str) -> str:
    return f"cs_team_{team}"


@dataclass(frozen=True)
class Secrets:
    pin: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @staticmethod
    def make(pin: str | None = None) -> Secrets:
        return Secrets(pin=pin if pin is not None else f"{secrets.randbelow(10**6):06d}")

    def team_key(self, team: str) -> str:
        """The key in a team's own link (and its cookie): an HMAC of the team's name."""
        return hmac.new(self.key, team.encode(), hashlib.sha256).hexdigest()[:32]

    def is_facilitator(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(str(value), self.token)

    def is_team(self, team: str, key: str | None) -> bool:
        return bool(key) and hmac.compare_digest(str(key), self.team_key(team))

    def pin_ok(self, pin: str | None) -> bool:
        return pin is not None and hmac.compare_digest(str(pin).strip(), self.pin)

    def csrf_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(str(value), self.csrf)


__all__ = ["FAC_COOKIE", "Secrets", "team_cookie"]
