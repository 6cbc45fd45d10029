"""The bfloat16 fidelity gate: are per-sample head scores in bfloat16 those of float32?

Selection ranks rows by their per-sample patterns, so a mean pattern that agrees is not
enough: every sample must. :func:`compare_scores` takes the per-sample scores ``[N, L, H]``
of the same samples computed twice (float32 = reference, bfloat16 = candidate) and reports

- ``mean_r``: Pearson r of the two mean patterns (over the ``L·H`` heads);
- ``median_r`` and ``worst_r``: per-sample Pearson r over the heads, its median and minimum
  (and which sample is worst);
- ``worst_head_error``: the largest relative error of a head's mean score,
  ``|b_h − f_h| / f_h``, over heads whose float32 mean is at least 1 % of the largest (a
  head near zero has no meaningful relative error);

and passes when ``mean_r ≥ 0.998``, ``median_r ≥ 0.995`` and ``worst_r ≥ 0.98``
(:class:`Thresholds`). :func:`analysis_unchanged` adds the analysis conclusions: Table 1's
statistics (Gini, CV, kurtosis) of the bfloat16 mean pattern inside float32's bootstrap
intervals, and the top-10 heads the same (every head of one top-10 within the other's
top-12).

``python -m headprint.patterns.fidelity --model smollm2-135m`` measures one model end to end
(:func:`measure_fidelity`) and prints a JSON report; ``docs/performance.md`` records it for
the built-in models, and :data:`headprint.models.precision.GATE_RESULTS` lists the outcome
that ``--dtype auto`` consults.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

__all__ = ["Thresholds", "FidelityReport", "pearson", "compare_scores",
           "analysis_unchanged", "measure_fidelity", "float32_products"]


@dataclass(frozen=True)
class Thresholds:
    mean_r: float = 0.998
    median_r: float = 0.995
    worst_r: float = 0.98


@dataclass
class FidelityReport:
    n_samples: int
    mean_r: float
    median_r: float
    worst_r: float
    worst_sample: str
    worst_head_error: float
    worst_head: tuple[int, int]
    per_sample_r: list[float]
    thresholds: Thresholds
    failures: list[str] = field(default_factory=list)
    analysis: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        return (f"mean r {self.mean_r:.4f}, median {self.median_r:.4f}, worst "
                f"{self.worst_r:.4f} ({self.worst_sample}), head error "
                f"{self.worst_head_error:.1%}, n={self.n_samples}")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["passed"] = self.passed
        out["summary"] = self.summary()
        return out


def pearson(a: Any, b: Any) -> float:
    """Pearson r of two arrays' entries (float64). ``nan`` if either is constant."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator > 0 else float("nan")


def compare_scores(reference: torch.Tensor, candidate: torch.Tensor,
                   sample_ids: Sequence[str] | None = None,
                   thresholds: Thresholds = Thresholds(),
                   head_floor: float = 0.01) -> FidelityReport:
    """Fidelity of ``candidate`` per-sample scores against ``reference`` (both ``[N, L, H]``)."""
    ref = np.asarray(torch.as_tensor(reference).double())
    cand = np.asarray(torch.as_tensor(candidate).double())
    if ref.shape != cand.shape or ref.ndim != 3:
        raise ValueError(f"need two [N, L, H] stacks of one shape, got {ref.shape} and "
                         f"{cand.shape}")
    ids = list(sample_ids) if sample_ids is not None else [f"#{i}" for i in range(len(ref))]
    per_sample = [pearson(ref[i], cand[i]) for i in range(len(ref))]
    order = np.argsort(np.nan_to_num(per_sample, nan=-2.0))
    worst = int(order[0])
    mean_ref, mean_cand = ref.mean(axis=0), cand.mean(axis=0)
    big = mean_ref >= head_floor * mean_ref.max()
    error = np.where(big, np.abs(mean_cand - mean_ref) / np.where(big, mean_ref, 1.0), 0.0)
    layer, head = (int(v) for v in np.unravel_index(int(error.argmax()), error.shape))
    report = FidelityReport(
        n_samples=len(ref), mean_r=pearson(mean_ref, mean_cand),
        median_r=float(np.nanmedian(per_sample)), worst_r=float(per_sample[worst]),
        worst_sample=ids[worst], worst_head_error=float(error.max()), worst_head=(layer, head),
        per_sample_r=[round(float(r), 6) for r in per_sample], thresholds=thresholds)
    for name in ("mean_r", "median_r", "worst_r"):
        value, bound = getattr(report, name), getattr(thresholds, name)
        if not value >= bound:  # nan fails too
            report.failures.append(f"{name} {value:.4f} < {bound}")
    return report


def _top(pattern: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-pattern.ravel(), kind="stable")[:k]]


def analysis_unchanged(reference: torch.Tensor, candidate: torch.Tensor, *, n_boot: int = 1000,
                       k: int = 10, slack: int = 2, seed: int = 0) -> dict[str, Any]:
    """Do the analysis conclusions survive ``candidate`` in place of ``reference``?

    Table 1's statistics of the candidate's mean pattern must lie inside the reference's
    95 % bootstrap intervals (over samples, :func:`headprint.analysis.bootstrap`), and every
    head of either top-``k`` must be within the other's top-``k + slack``.
    """
    from headprint.analysis.bootstrap import bootstrap_distribution
    from headprint.analysis.distribution import distribution_stats

    ref = np.asarray(torch.as_tensor(reference).double())
    cand = np.asarray(torch.as_tensor(candidate).double())
    intervals = bootstrap_distribution(ref, n_boot=n_boot, seed=seed)
    stats = distribution_stats(cand.mean(axis=0)).as_dict()
    table1 = {}
    for name, ci in intervals.items():
        value = stats[name]
        table1[name] = {"float32": ci.estimate, "low": ci.low, "high": ci.high,
                        "candidate": value, "inside": bool(ci.low <= value <= ci.high)}
    top_ref, top_cand = _top(ref.mean(axis=0), k), _top(cand.mean(axis=0), k)
    wide_ref, wide_cand = _top(ref.mean(axis=0), k + slack), _top(cand.mean(axis=0), k + slack)
    top_ok = all(h in wide_cand for h in top_ref) and all(h in wide_ref for h in top_cand)
    return {"table1": table1, "table1_unchanged": all(v["inside"] for v in table1.values()),
            "top_k": k, "top_overlap": len(set(top_ref) & set(top_cand)),
            "top_k_unchanged": bool(top_ok), "slack": slack}


class _Float32Products(torch.overrides.TorchFunctionMode):
    """Run bfloat16 matrix products as float32 products of the same bfloat16 values, the
    result rounded back to bfloat16 (see :func:`float32_products`)."""

    _FUNCS = {torch.nn.functional.linear, torch.matmul, torch.Tensor.matmul, torch.bmm,
              torch.mm, torch.Tensor.__matmul__,
              torch.nn.functional.scaled_dot_product_attention}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self._FUNCS and any(isinstance(a, torch.Tensor) and
                                       a.dtype is torch.bfloat16 for a in args):
            up = [a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                  for a in args]
            kw = {k: v.float() if isinstance(v, torch.Tensor) and v.is_floating_point()
                  and v.dtype is torch.bfloat16 else v for k, v in kwargs.items()}
            return func(*up, **kw).to(torch.bfloat16)
        return func(*args, **kwargs)


def float32_products():
    """Context in which bfloat16 matrix products (linear, matmul, bmm, SDPA) run as float32
    products of the same bfloat16 inputs, rounded back to bfloat16.

    Numerically this is what bfloat16 kernels do (products of bfloat16 values are exact in
    float32, sums accumulate in float32, the output is rounded to bfloat16), up to the
    order of accumulation; but it runs at float32 speed on CPUs without bfloat16
    instructions, where PyTorch's own bfloat16 products are emulated and ~8× slower than
    float32. Everything else (norms, activations, residual additions, their gradients)
    stays in bfloat16. Used by :func:`measure_fidelity` on such CPUs (``emulate``).
    """
    return _Float32Products()


def measure_fidelity(model: str, data: str = "gsm8k", limit: int = 24, *,
                     candidate: str = "bfloat16", batch_size: int = 4,
                     max_length: int = 1024, method: str = "paper", loss: str = "sample",
                     n_boot: int = 1000, thresholds: Thresholds = Thresholds(),
                     split: str | None = None, emulate: bool | None = None,
                     float32_logits: bool = False) -> FidelityReport:
    """Score ``limit`` rows of ``data`` under ``model`` in float32 and in ``candidate``,
    then :func:`compare_scores` and :func:`analysis_unchanged`.

    ``emulate``: run the candidate's matrix products through :func:`float32_products`
    (default: when the hardware has no fast bfloat16). ``float32_logits``: the candidate's
    final norm and output layer in float32 (:func:`~headprint.patterns.capture.
    float32_output_layer`; an ablation, not headprint's default).
    """
    from headprint.patterns.capture import float32_output_layer
    from contextlib import nullcontext

    from headprint.models.precision import bf16_support

    if emulate is None:
        emulate = candidate == "bfloat16" and not bf16_support().fast
    from headprint.data import encode_rows, load_data
    from headprint.models import load_model
    from headprint.patterns.compute import score_samples

    bundle = load_data(data, split=split, limit=limit)
    scores, seconds, ids = {}, {}, None
    for dtype in ("float32", candidate):
        loaded = load_model(model, dtype=dtype)
        samples = encode_rows(bundle.rows, loaded.tokenizer, max_length)
        kept = [(row, s) for row, s in zip(bundle.rows, samples) if s.n_target > 0]
        ids = [str(row["id"]) for row, _ in kept]
        started = time.perf_counter()
        mode = float32_products() if emulate and dtype != "float32" else nullcontext()
        logits = float32_output_layer(loaded.model) if float32_logits else nullcontext()
        with mode, logits:
            scores[dtype] = score_samples(loaded.model, [s for _, s in kept],
                                          loaded.tokenizer.pad_token_id, method=method,
                                          loss=loss, batch_size=batch_size, progress=False)
        seconds[dtype] = round(time.perf_counter() - started, 1)
        del loaded
    report = compare_scores(scores["float32"], scores[candidate], ids, thresholds)
    report.analysis = analysis_unchanged(scores["float32"], scores[candidate], n_boot=n_boot)
    if not report.analysis["table1_unchanged"]:
        report.failures.append("Table 1 statistic outside float32's bootstrap interval")
    if not report.analysis["top_k_unchanged"]:
        report.failures.append("top-10 heads changed")
    report.extra = {"model": model, "data": data, "limit": limit, "candidate": candidate,
                    "method": method, "loss": loss, "max_length": max_length,
                    "seconds": seconds, "emulated_products": bool(emulate),
                    "float32_logits": float32_logits}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bfloat16 fidelity gate of one model")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--data", default="gsm8k")
    parser.add_argument("--split", default=None)
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--candidate", default="bfloat16")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--emulate", choices=("auto", "yes", "no"), default="auto",
                        help="bfloat16 products as float32 products of bfloat16 values "
                             "(auto: on hardware without fast bfloat16)")
    parser.add_argument("--float32-logits", action="store_true",
                        help="ablation: the candidate's final norm and logits in float32")
    parser.add_argument("--out", default=None, help="write the JSON report here too")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    report = measure_fidelity(args.model, args.data, args.limit, candidate=args.candidate,
                              batch_size=args.batch_size, max_length=args.max_length,
                              split=args.split,
                              emulate=None if args.emulate == "auto" else args.emulate == "yes",
                              float32_logits=args.float32_logits)
    text = json.dumps(report.as_dict(), indent=1, default=str)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")
    print(text)
    print(("PASS: " if report.passed else "FAIL: " + "; ".join(report.failures) + " -- ")
          + report.summary())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
