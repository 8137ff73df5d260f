"""What a cause analysis returns: a :class:`Why` (its :class:`~.kinds.CauseKind` and subject, a
headline and a chain of dated :class:`Step` records), and :func:`_miss`, which way a value missed
its objective's target."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ...engine.trace import DecisionRecord, Record, Source, SourceKind
from ...narrative import h_label, when
from ...scenario.model import Objective
from .kinds import CauseKind, wording


def _decision_of(rec: Record) -> str:
    """The id of the decision behind ``rec`` (a decision record, or a record caused by a decision)."""
    if isinstance(rec, DecisionRecord):
        return rec.decision
    cause = getattr(rec, "cause", None)
    if isinstance(cause, Source) and cause.kind is SourceKind.DECISION:
        return cause.id
    return ""


@dataclass
class Step:
    t_h: float
    time: str
    text: str
    decision: str = ""   # the id of the decision the step's record came from, if any

    @classmethod
    def of(cls, rec: Record, text: str | None = None, by: Record | None = None) -> Step:
        """A step at ``rec``'s time; ``text`` (default: the record's narrative) is what the chain shows;
        ``by``, the record that set ``rec`` off, if the step names it."""
        return cls(rec.t_h, when(rec), rec.text if text is None else text,
                   _decision_of(rec) or (_decision_of(by) if by is not None else ""))


@dataclass
class Why:
    kind: CauseKind
    headline: str
    chain: list[Step] = field(default_factory=list)
    subject: str = ""    # what the kind is about: a force's name, an inject's title...
    decisions: list[str] = field(default_factory=list)   # ids of decisions the analysis names

    @property
    def key(self) -> str:
        """The category shown and counted across a batch: the kind's wording with its subject."""
        return wording(self.kind, self.subject)

    def decision_ids(self) -> list[str]:
        """The decisions this cause names: in the analysis or behind a step of the chain, in order."""
        return list(dict.fromkeys([*self.decisions, *(st.decision for st in self.chain if st.decision)]))

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "kind": self.kind.value, "subject": self.subject, "headline": self.headline,
                "decision_ids": self.decision_ids(),
                "chain": [asdict(s) | {"h": h_label(s.t_h)} for s in self.chain]}


def _miss(o: Objective, value: float | None) -> str:
    if value is None:
        return "never"
    if o.target.lte is not None and value > o.target.lte:
        return "late"  # above the ceiling
    if o.target.gte is not None and value < o.target.gte:
        return "early"  # below the floor
    return "met"
