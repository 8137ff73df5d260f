"""Probability distributions a scenario parameter can take.

Written in YAML as a mapping with a ``dist`` tag, or as a bare number (fixed)::

    notice_to_move_h: {dist: triangular, low: 48, mode: 60, high: 72, facts: [vjtf-readiness]}

Every distribution samples from a ``numpy.random.Generator`` and knows its own
low and high end (used by sensitivity analysis) and its mean.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    facts: list[str] = Field(default_factory=list, description="fact ids this value is taken from")


class Fixed(_Dist):
    dist: Literal["fixed"] = "fixed"
    value: float

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def bounds(self) -> tuple[float, float]:
        return self.value, self.value

    def mean(self) -> float:
        return self.value


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def bounds(self):
        return self.low, self.high

    def mean(self):
        return (self.low + self.high) / 2


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        return self

    def sample(self, rng):
        if self.low == self.high:
            return self.low
        return float(rng.triangular(self.low, self.mode, self.high))

    def bounds(self):
        return self.low, self.high

    def mean(self):
        return (self.low + self.mode + self.high) / 3


class TruncNormal(_Dist):
    dist: Literal["truncnormal"]
    mean_: float = Field(alias="mean")
    sd: float = Field(ge=0)
    low: float = -math.inf
    high: float = math.inf

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self):
        if self.high <= self.low:
            raise ValueError(f"high ({self.high}) must be above low ({self.low})")
        return self

    def sample(self, rng):
        if self.sd == 0:
            return min(max(self.mean_, self.low), self.high)
        for _ in range(10_000):  # rejection; the model keeps the window sensible
            x = rng.normal(self.mean_, self.sd)
            if self.low <= x <= self.high:
                return float(x)
        return float(min(max(self.mean_, self.low), self.high))

    def bounds(self):
        lo = self.low if math.isfinite(self.low) else self.mean_ - 2 * self.sd
        hi = self.high if math.isfinite(self.high) else self.mean_ + 2 * self.sd
        return max(lo, self.mean_ - 2 * self.sd), min(hi, self.mean_ + 2 * self.sd)

    def mean(self):
        return self.mean_


class LogNormal(_Dist):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0, description="sd of the underlying normal")

    def sample(self, rng):
        return float(self.median * math.exp(self.sigma * rng.standard_normal()))

    def bounds(self):
        z = 1.6448536269514722  # 5th and 95th percentiles
        return self.median * math.exp(-z * self.sigma), self.median * math.exp(z * self.sigma)

    def mean(self):
        return self.median * math.exp(self.sigma**2 / 2)


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def sample(self, rng):
        return float(rng.exponential(self.mean_))

    def bounds(self):
        return self.mean_ * 0.05129329438755058, self.mean_ * 2.995732273553991  # 5th, 95th pct

    def mean(self):
        return self.mean_


def _number_is_fixed(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return {"dist": "fixed", "value": v}
    if isinstance(v, dict) and "dist" not in v and "value" in v:
        return {"dist": "fixed", **v}
    return v


class _NumberOrDist:
    """JSON Schema: a distribution may also be written as a bare number."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        return {"anyOf": [{"type": "number"}, handler(core_schema)]}


# a bare number is a fixed value; so is a mapping with `value:` and no `dist:`
Dist = Annotated[
    Union[Fixed, Uniform, Triangular, TruncNormal, LogNormal, Exponential],
    Field(discriminator="dist"),
    BeforeValidator(_number_is_fixed),
    _NumberOrDist,
]
