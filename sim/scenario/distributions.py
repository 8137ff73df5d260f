"""Probability distributions a scenario parameter can take.

Written in YAML as a mapping with a ``dist`` tag, or as a bare number (fixed)::

    notice_to_move_h: {dist: triangular, low: 48, mode: 60, high: 72, facts: [vjtf-readiness]}

Every distribution samples from a ``numpy.random.Generator`` by inverting its CDF at
one uniform draw, so each parameter consumes exactly one number from the stream
whatever its distribution: changing one parameter (a sweep, a sensitivity run)
leaves every other parameter's draw as it was (common random numbers). Each also
knows its low and high end (used by sensitivity analysis) and its mean.
"""
from __future__ import annotations

import math
from statistics import NormalDist
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .draws import Draws

_STD = NormalDist()
_U_MIN = 1e-12  # keep inverse CDFs finite at u == 0
MAX_PARAM = 1e12   # any parameter of a distribution, in magnitude: every quantile stays a finite float
MAX_SIGMA = 10.0   # lognormal: exp(10 * 7.03) at the extreme quantile is finite (exp of 1e300 is not)


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    facts: list[str] = Field(default_factory=list, description="fact ids this value is taken from")

    @model_validator(mode="after")
    def _bounded(self) -> _Dist:
        for name in type(self).model_fields:
            v = getattr(self, name)
            if isinstance(v, float) and math.isfinite(v) and abs(v) > MAX_PARAM:
                field = type(self).model_fields[name].alias or name
                raise ValueError(f"{field} must lie within +-{MAX_PARAM:g}, got {v:g}")
        return self

    def quantile(self, u: float) -> float:
        """The value at cumulative probability ``u`` (inverse CDF); each kind has its own."""
        raise NotImplementedError

    def bounds(self) -> tuple[float, float]:
        """The lowest and highest values the distribution gives."""
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    def describe(self) -> str:
        """In words, as reports and the MSEL show it: "triangular 48/60/72 (low/mode/high)"."""
        raise NotImplementedError

    def sample(self, rng: Draws) -> float:
        """One draw: the quantile at one uniform number from ``rng``."""
        return self.quantile(min(max(rng.random(), _U_MIN), 1 - _U_MIN))


class Fixed(_Dist):
    dist: Literal["fixed"] = "fixed"
    value: float

    def describe(self) -> str:
        return f"{self.value:g}"

    def quantile(self, u: float) -> float:
        return self.value

    def bounds(self) -> tuple[float, float]:
        return self.value, self.value

    def mean(self) -> float:
        return self.value


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    def describe(self) -> str:
        return f"uniform {self.low:g}-{self.high:g}"

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    def describe(self) -> str:
        return f"triangular {self.low:g}/{self.mode:g}/{self.high:g} (low/mode/high)"

    @model_validator(mode="after")
    def _order(self) -> Self:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        return self

    def quantile(self, u: float) -> float:
        lo, c, hi = self.low, self.mode, self.high
        if lo == hi:
            return lo
        cut = (c - lo) / (hi - lo)
        if u < cut:
            return lo + math.sqrt(u * (hi - lo) * (c - lo))
        return hi - math.sqrt((1 - u) * (hi - lo) * (hi - c))

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class TruncNormal(_Dist):
    dist: Literal["truncnormal"]
    mean_: float = Field(alias="mean")
    sd: float = Field(ge=0)
    low: float = -math.inf
    high: float = math.inf

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def describe(self) -> str:
        return f"normal mean {self.mean_:g}, sd {self.sd:g}, within {self.low:g}..{self.high:g}"

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.high <= self.low:
            raise ValueError(f"high ({self.high}) must be above low ({self.low})")
        return self

    def quantile(self, u: float) -> float:
        if self.sd == 0:
            return min(max(self.mean_, self.low), self.high)
        norm = NormalDist(self.mean_, self.sd)
        a, b = norm.cdf(self.low), norm.cdf(self.high)
        p = a + u * (b - a)
        if not 0 < p < 1:  # the window lies far in a tail: its nearer end is the answer
            return self.low if p <= 0 else self.high
        return min(max(norm.inv_cdf(p), self.low), self.high)

    def bounds(self) -> tuple[float, float]:
        lo = self.low if math.isfinite(self.low) else self.mean_ - 2 * self.sd
        hi = self.high if math.isfinite(self.high) else self.mean_ + 2 * self.sd
        return max(lo, self.mean_ - 2 * self.sd), min(hi, self.mean_ + 2 * self.sd)

    def mean(self) -> float:
        return self.mean_


class LogNormal(_Dist):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0, le=MAX_SIGMA, description="sd of the underlying normal")

    def describe(self) -> str:
        return f"lognormal median {self.median:g}, sigma {self.sigma:g}"

    def quantile(self, u: float) -> float:
        return self.median * math.exp(self.sigma * _STD.inv_cdf(u))

    def bounds(self) -> tuple[float, float]:
        z = 1.6448536269514722  # 5th and 95th percentiles
        return self.median * math.exp(-z * self.sigma), self.median * math.exp(z * self.sigma)

    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def describe(self) -> str:
        return f"exponential mean {self.mean_:g}"

    def quantile(self, u: float) -> float:
        return -self.mean_ * math.log1p(-u)

    def bounds(self) -> tuple[float, float]:
        return self.mean_ * 0.05129329438755058, self.mean_ * 2.995732273553991  # 5th, 95th pct

    def mean(self) -> float:
        return self.mean_


def _number_is_fixed(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return {"dist": "fixed", "value": v}
    if isinstance(v, dict) and "dist" not in v and "value" in v:
        return {"dist": "fixed", **v}
    return v


class _NumberOrDist:
    """JSON Schema: a distribution may also be written as a bare number."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"anyOf": [{"type": "number"}, handler(core_schema)]}


# a bare number is a fixed value; so is a mapping with `value:` and no `dist:`
Dist = Annotated[
    Fixed | Uniform | Triangular | TruncNormal | LogNormal | Exponential,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_fixed),
    _NumberOrDist,
]
