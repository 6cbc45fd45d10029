"""Did a paper's claim reproduce? One :class:`Finding` per claim, with a stated rule.

Verdicts:

- ``reproduced``: the claim holds on this model, and where a comparison of two arms is
  involved the difference is also larger than its noise (paired t-test over the same test
  rows, p < 0.05 two-sided);
- ``direction only``: the difference has the paper's sign but is within noise;
- ``partly``: some of the claim's parts hold, others do not (the line says which);
- ``not reproduced``: the claim does not hold on this model;
- ``not testable``: the run cannot test it (e.g. a claim comparing several models).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from headprint.experiments.paper import CLAIMS

__all__ = ["Finding", "Comparison", "compare_paired", "combine", "findings_markdown",
           "VERDICTS"]

VERDICTS = ("reproduced", "direction only", "partly", "not reproduced", "not testable")


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
    def significant(self) -> bool:
        """``z`` above the two-sided 5% critical value of Student's t with ``n − 1``
        degrees of freedom (1.98 for n = 100, 3.18 for n = 4)."""
        if self.n < 2 or math.isnan(self.z):
            return False
        from scipy.stats import t

        return self.z > float(t.ppf(0.975, self.n - 1))

    def verdict(self) -> str:
        if not math.isfinite(self.diff) or self.diff <= 0:
            return "not reproduced"
        return "reproduced" if self.significant else "direction only"

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


def combine(verdicts: Sequence[str]) -> str:
    """One verdict for a claim made of parts (e.g. every selection size)."""
    if not verdicts:
        return "not testable"
    if all(v == "reproduced" for v in verdicts):
        return "reproduced"
    if all(v in ("reproduced", "direction only") for v in verdicts):
        return "direction only"
    if any(v in ("reproduced", "direction only", "partly") for v in verdicts):
        return "partly"
    return "not reproduced"


def findings_markdown(findings: Sequence[Finding], model: str) -> str:
    """``## Findings`` section: one line per claim, then a table of the same."""
    lines = [f"## Did it reproduce on {model}?", ""]
    for f in findings:
        lines.append(f"- **{f.verdict}** — {CLAIMS[f.claim][0]}: {f.statement} "
                     f"*headprint:* {f.evidence}")
    lines += ["", "Verdicts: reproduced (holds, and beyond noise where arms are compared); "
              "direction only (the paper's sign, within noise); partly; not reproduced; not "
              "testable with one model.", ""]
    return "\n".join(lines) + "\n"

