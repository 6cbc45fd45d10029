"""Did a paper's claim reproduce? One :class:`Finding` per claim, with a stated rule.

Three verdicts, no others:

- ``reproduced``: the claim holds on this model, and where arms are compared the
  difference has the claim's sign and is beyond noise: beyond the noise over test rows
  (a paired test over rows, p < 0.05 two-sided: McNemar's exact test for 0/1 accuracy,
  the paired t-test for continuous values; :func:`compare_paired`) and, for arms trained
  over several seeds, beyond the spread between seeds
  (:mod:`headprint.experiments.replicates`);
- ``not reproduced``: the opposite holds, beyond the same noise (or a claim without a
  comparison fails outright);
- ``inconclusive``: anything else: a difference within noise, whatever its sign; a claim
  whose parts point both ways; a claim this run cannot test (one model, one seed).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, Mapping, Sequence

from headprint.experiments.paper import CLAIMS

__all__ = ["Finding", "Comparison", "compare_paired", "combine", "direction_verdict",
           "VERDICTS", "ALPHA"]

VERDICTS = ("reproduced", "not reproduced", "inconclusive")
ALPHA = 0.05
"""Two-sided level of every test behind a verdict."""


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
    """Arm A against arm B on the same rows, and the paired test over those rows.

    Attributes:
        a, b: each arm's mean over the common rows.
        diff: ``mean(A) − mean(B)``, signed so that positive is better (``B − A`` when
            ``higher_is_better`` is False, e.g. for losses).
        n: number of common rows.
        test: ``"mcnemar"`` (every value 0 or 1: paired accuracy; exact binomial test on
            the discordant rows), ``"ttest_rel"`` (paired t-test), ``""`` without rows.
        statistic: McNemar: rows only A got right (the binomial count); t-test: ``t`` of
            the differences, signed as ``diff``.
        p: two-sided p-value (``nan`` when undefined, e.g. one row under the t-test).
        discordant: McNemar: ``(rows only A got right, rows only B got right)``, oriented
            like ``diff``; None under the t-test.
    """

    a: float
    b: float
    diff: float
    n: int
    test: str = ""
    statistic: float = math.nan
    p: float = math.nan
    discordant: tuple[int, int] | None = None

    @property
    def beyond_noise(self) -> bool:
        """The paired test rejects "no difference" at :data:`ALPHA`, two-sided."""
        return not math.isnan(self.p) and self.p < ALPHA

    @property
    def significant(self) -> bool:
        """Better beyond noise: ``diff > 0`` and :attr:`beyond_noise`."""
        return self.beyond_noise and self.diff > 0

    def verdict(self) -> str:
        """``reproduced`` (better beyond noise), ``not reproduced`` (worse beyond noise),
        else ``inconclusive``."""
        return direction_verdict(self.diff, self.beyond_noise)

    def test_text(self) -> str:
        """``"McNemar 30 vs 0, p <0.001"`` or ``"paired t 2.4, p 0.09"``."""
        p = "n/a" if math.isnan(self.p) else ("<0.001" if self.p < 0.001 else f"{self.p:.3f}")
        if self.test == "mcnemar" and self.discordant is not None:
            return f"McNemar {self.discordant[0]} vs {self.discordant[1]}, p {p}"
        return f"paired t {self.statistic:.1f}, p {p}"

    def text(self, unit: str = "", scale: float = 1.0, spec: str = ".1f") -> str:
        """``"A vs B (better by d, <test>, n N)"``; values times ``scale`` formatted by
        ``spec``; the difference is signed as "better by" (a lower loss gives a positive
        one)."""
        f = (lambda x: f"{x * scale:{spec}}{unit}")
        return (f"{f(self.a)} vs {f(self.b)} (better by {f(self.diff)}, {self.test_text()}, "
                f"n {self.n})")


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def compare_paired(a: Mapping[str, float], b: Mapping[str, float],
                   higher_is_better: bool = True,
                   kind: Literal["auto", "binary", "continuous"] = "auto") -> Comparison:
    """Paired comparison of per-row values over the ids both arms have.

    ``kind="auto"`` takes McNemar's exact test when every value of both arms is 0 or 1
    (accuracy: ``scipy.stats.binomtest`` of the rows only A got right among the rows where
    the arms differ, p = 0.5), else the paired t-test (``scipy.stats.ttest_rel``).
    Differences that are all equal (up to float round-off, relative 1e-12) have no spread:
    ``p`` is 0 when they are non-zero and 1 when they are zero (where scipy's t would be
    ±inf or undefined).
    """
    from scipy.stats import binomtest, ttest_rel

    ids = sorted(set(a) & set(b))
    n = len(ids)
    if n == 0:
        return Comparison(math.nan, math.nan, math.nan, 0)
    xa = [float(a[i]) for i in ids]
    xb = [float(b[i]) for i in ids]
    sign = 1.0 if higher_is_better else -1.0
    d = [sign * (x - y) for x, y in zip(xa, xb)]
    mean_a, mean_b, diff = sum(xa) / n, sum(xb) / n, sum(d) / n
    if kind == "binary" or (kind == "auto" and _is_binary(xa) and _is_binary(xb)):
        better, worse = sum(1 for v in d if v > 0), sum(1 for v in d if v < 0)
        p = binomtest(better, better + worse, 0.5).pvalue if better + worse else 1.0
        return Comparison(mean_a, mean_b, diff, n, "mcnemar", float(better), float(p),
                          (better, worse))
    if n < 2:
        return Comparison(mean_a, mean_b, diff, n, "ttest_rel")
    # No spread beyond float round-off (0.55 − 0.45 and 0.65 − 0.55 differ in the last bit):
    # t is ±inf or undefined, and scipy would warn of catastrophic cancellation.
    if max(d) - min(d) <= 1e-12 * max(abs(v) for v in d):
        t = math.copysign(math.inf, diff) if diff else 0.0
        return Comparison(mean_a, mean_b, diff, n, "ttest_rel", t, 0.0 if diff else 1.0)
    result = ttest_rel(xa, xb)
    return Comparison(mean_a, mean_b, diff, n, "ttest_rel", sign * float(result.statistic),
                      float(result.pvalue))


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
