"""``headprint validate``: one call to :func:`headprint.validation.api.run_validate`."""
from __future__ import annotations

import argparse

__all__ = ["register"]


def _ks(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(k) for k in text.split(",") if k.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ks takes integers separated by commas, got "
                                         f"{text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="ablate heads to test whether a pattern set's scores predict their "
                         "effect (curves top/bottom/random; --single-head per head)",
        description="Ablate attention heads at the point the scores read (the input of each "
                    "output projection) and measure the response loss on rows the pattern "
                    "set did not use: loss against heads ablated, highest score first, "
                    "lowest first and random orders; with --single-head every head alone "
                    "against its score and its first-order estimate. Writes "
                    "OUT/validate.json and OUT/report.html.")
    parser.add_argument("patterns", metavar="PATTERN_DIR", help="a pattern set folder")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--model", default=None,
                        help="model to ablate (default: the pattern set's model; must have "
                             "the same weights)")
    parser.add_argument("--data", default=None,
                        help="rows to validate on (default: rows of the pattern set's own "
                             "source and split that it did not use)")
    parser.add_argument("--split", default=None, help="split of --data")
    parser.add_argument("--limit", type=int, default=64,
                        help="validation rows (default: %(default)s)")
    parser.add_argument("--allow-overlap", action="store_true",
                        help="accept rows the pattern set was computed on (recorded)")
    parser.add_argument("--ablation", choices=("zero", "mean"), default="zero",
                        help="zero: head output set to 0; mean: replaced by its mean over "
                             "the rows' real tokens (default: %(default)s)")
    parser.add_argument("--single-head", action="store_true",
                        help="also ablate every head alone (L×H settings)")
    parser.add_argument("--single-head-rows", type=int, default=None,
                        help="per-head ablation on the first N rows only (default: all)")
    parser.add_argument("--seeds", type=int, default=5, help="random orders (default: 5)")
    parser.add_argument("--ks", type=_ks, default=None,
                        help="numbers of heads to ablate, e.g. 1,2,4,8 (default: 0, 1, 2, "
                             "4, … up to L×H; 0 and L×H are always included)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rows-per-forward", type=int, default=32,
                        help="rows in one forward; settings share a forward up to this")
    parser.add_argument("--max-length", type=int, default=None,
                        help="default: the pattern set's")
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random orders")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from headprint.validation.api import ValidateConfig, run_validate

    config = ValidateConfig(
        patterns=args.patterns, model=args.model, data=args.data, split=args.split,
        limit=args.limit, allow_overlap=args.allow_overlap, ablation=args.ablation,
        single_head=args.single_head, single_head_rows=args.single_head_rows,
        seeds=args.seeds, ks=args.ks, batch_size=args.batch_size,
        rows_per_forward=args.rows_per_forward, max_length=args.max_length,
        dtype=args.dtype, device=args.device, seed=args.seed)
    result = run_validate(config, args.out)
    s = result.summary
    print(f"wrote {args.out}/validate.json and report.html: {len(result.sample_ids)} rows, "
          f"loss {s['loss_0']:.4f} -> {s['loss_all']:.4f} with every head ablated; area "
          f"top vs random {_fmt(s.get('area_top_vs_random'))}, k50 top {s.get('k50_top')} "
          f"vs random {s.get('k50_random')}")
    if result.single_head:
        c = result.single_head
        print(f"single heads: Spearman actual vs estimate "
              f"{_fmt(c['vs_estimate']['spearman'])}, vs score {_fmt(c['vs_score']['spearman'])}")
    return 0


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:+.3f}"
