"""What a cause analysis returns: a :class:`Why` (category, headline and a chain of dated
:class:`Step` records), and :func:`_miss`, which way a value missed its objective's target."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ...engine.trace import Record
from ...narrative import h_label, when
from ...scenario.model import Objective


@dataclass
class Step:
    t_h: float
    time: str
    text: str

    @classmethod
    def of(cls, rec: Record, text: str | None = None) -> Step:
        return cls(rec.t_h, when(rec), text or rec.text)


@dataclass
class Why:
    key: str
    headline: str
    chain: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"key": self.key, "headline": self.headline,
                "chain": [asdict(s) | {"h": h_label(s.t_h)} for s in self.chain]}


def _miss(o: Objective, value) -> str:
    if value is None:
        return "never"
    if o.target.lte is not None and value > o.target.lte:
        return "late"  # above the ceiling
    if o.target.gte is not None and value < o.target.gte:
        return "early"  # below the floor
    return "met"
