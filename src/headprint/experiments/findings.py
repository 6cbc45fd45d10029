"""Did a paper's claim reproduce? One :class:`Finding` per claim, with a stated rule.

Three verdicts, no others:

- ``reproduced``: the claim holds on this model, and where arms are compared the
  difference has the claim's sign and is beyond noise: beyond the noise over test rows
  (paired t-test, p < 0.05 two-sided) and, for arms trained over several seeds, beyond the
  spread between seeds (:mod:`headprint.experiments.replicates`);
- ``not reproduced``: the opposite holds, beyond the same noise (or a claim without a
  comparison fails outright);
- ``inconclusive``: anything else: a difference within noise, whatever its sign; a claim
  whose parts point both ways; a claim this run cannot test (one model, one seed).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from headprint.experiments.paper import CLAIMS

__all__ = ["Finding", "Comparison", "compare_paired", "combine", "direction_verdict",
           "VERDICTS"]

VERDICTS = ("reproduced", "not reproduced", "inconclusive")


@dataclass
class Finding:
    """One claim of the paper checked on this run.

    Attributes:
        claim: key of :data:`headprint.experiments.paper.CLAIMS`.
        verdict: one of :data:`VERDICTS`.
        evidence: what headprint measured, in one line with the numbers.
    """

    claim: str
    verdict: str
    evidence: str

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ValueError(f"unknown claim {self.claim!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")

    @property
    def statement(self) -> str:
        return CLAIMS[self.claim][1]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "where": CLAIMS[self.claim][0], "statement": self.statement}


@dataclass
class Comparison:
    """Arm A against arm B on the same rows: ``diff = mean(A) − mean(B)`` (oriented so that
    positive is better when ``higher_is_better`` is False, i.e. ``B − A`` for losses)."""

    a: float
    b: float
    diff: float
    se: float
    z: float
    n: int

    @property
    def beyond_noise(self) -> bool:
        """``|z|`` above the two-sided 5% critical value of Student's t with ``n − 1``
        degrees of freedom (1.98 for n = 100, 3.18 for n = 4)."""
        if self.n < 2 or math.isnan(self.z):
            return False
        from scipy.stats import t

        return abs(self.z) > float(t.ppf(0.975, self.n - 1))

    @property
    def significant(self) -> bool:
        """Better beyond noise: ``diff > 0`` and :attr:`beyond_noise`."""
        return self.beyond_noise and self.diff > 0

    def verdict(self) -> str:
        """``reproduced`` (better beyond noise), ``not reproduced`` (worse beyond noise),
        else ``inconclusive``."""
        return direction_verdict(self.diff, self.beyond_noise)

    def text(self, unit: str = "", scale: float = 1.0, spec: str = ".1f") -> str:
        """``"A vs B (+diff, paired z, n)"``; values times ``scale`` formatted by ``spec``;
        the difference is signed as "better by" (so a lower loss gives a positive one)."""
        f = (lambda x: f"{x * scale:{spec}}{unit}")
        return (f"{f(self.a)} vs {f(self.b)} (better by {f(self.diff)}, paired z "
                f"{self.z:.1f}, n {self.n})")


def compare_paired(a: Mapping[str, float], b: Mapping[str, float],
                   higher_is_better: bool = True) -> Comparison:
    """Paired comparison of per-row values (accuracy 0/1 or losses) over common ids.

    ``se`` is the standard error of the mean paired difference; ``z = diff / se`` (``inf``
    when every paired difference is equal and positive, ``nan`` without rows).
    """
    ids = sorted(set(a) & set(b))
    n = len(ids)
    if n == 0:
        return Comparison(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
    xa = [float(a[i]) for i in ids]
    xb = [float(b[i]) for i in ids]
    sign = 1.0 if higher_is_better else -1.0
    d = [sign * (x - y) for x, y in zip(xa, xb)]
    mean = sum(d) / n
    var = sum((v - mean) ** 2 for v in d) / (n - 1) if n > 1 else math.nan
    se = math.sqrt(var / n) if n > 1 else math.nan
    z = mean / se if se and se > 0 else (math.inf if mean > 0 else
                                         (-math.inf if mean < 0 else 0.0))
    return Comparison(sum(xa) / n, sum(xb) / n, mean, se, z, n)


def direction_verdict(diff: float, beyond_noise: bool) -> str:
    """``reproduced`` when ``diff > 0`` beyond noise, ``not reproduced`` when ``diff < 0``
    beyond noise, ``inconclusive`` otherwise (within noise, zero, or undefined)."""
    if not beyond_noise or not math.isfinite(diff) or diff == 0:
        return "inconclusive"
    return "reproduced" if diff > 0 else "not reproduced"


def combine(verdicts: Sequence[str]) -> str:
    """One verdict for a claim made of parts (e.g. every selection size): ``reproduced``
    or ``not reproduced`` when every part says so, else ``inconclusive`` (parts within
    noise, or pointing both ways; no parts at all)."""
    if verdicts and all(v == "reproduced" for v in verdicts):
        return "reproduced"
    if verdicts and all(v == "not reproduced" for v in verdicts):
        return "not reproduced"
    return "inconclusive"
