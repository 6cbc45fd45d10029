"""``headprint patterns``: one call to :func:`headprint.patterns.api.run_patterns`."""
from __future__ import annotations

import argparse

from headprint.models import DEFAULT_MODEL

__all__ = ["register"]


def add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="built-in name (smollm2-135m, gemma3-270m, qwen2.5-coder-0.5b), "
                             "a local model folder, or a hub id (default: %(default)s)")
    parser.add_argument("--dtype", default="auto",
                        help="auto (default: bfloat16 on a GPU or CPU with native bfloat16, "
                             "for models that passed the fidelity gate; else float32), "
                             "float32, bfloat16, float16")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    parser.add_argument("--device-map", default=None,
                        help="'auto' spreads a model too large for one GPU over all GPUs")


def add_format_arg(parser: argparse.ArgumentParser) -> None:
    """``--format auto|chat|raw``, shared by patterns, sft, eval and reproduce."""
    parser.add_argument("--format", choices=("auto", "chat", "raw"), default="auto",
                        help="prompt format: 'chat' renders prompt/completion rows through "
                             "the tokenizer's chat template (user turn, assistant turn), "
                             "'raw' uses the text as is (the paper's format); 'auto' "
                             "(default): the format a fine-tuned checkpoint was trained in, "
                             "else chat when the tokenizer has a chat template, else raw")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "patterns", help="compute a dataset's activation pattern (one score per layer and head)",
        description="Compute the activation pattern of a dataset under a model: the mean over "
                    "samples of |Σ A·∂ℓ/∂A| per head (method 'paper') or Σ|A·∂ℓ/∂A| ('abs').")
    add_model_args(parser)
    parser.add_argument("--data", required=True,
                        help="task name (gsm8k, gsm8k:test, mmlu:biology, ...) or a data file "
                             "(.jsonl, .json, .csv, .parquet) with prompt/completion or messages")
    parser.add_argument("--split", default=None, help="split of a task (default: train)")
    parser.add_argument("--limit", type=int, default=None, help="use at most N samples")
    parser.add_argument("--method", choices=("paper", "abs"), default="paper")
    parser.add_argument("--loss", choices=("sample", "batch"), default="sample",
                        help="'sample': each sample's own token-mean loss (default); 'batch': "
                             "the batch's token-mean loss, as in the released script")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--per-sample", action="store_true",
                        help="also store the [N, L, H] per-sample patterns")
    parser.add_argument("--skip-bad", action="store_true",
                        help="skip malformed rows (counted in the manifest) instead of failing")
    parser.add_argument("--shard-size", type=int, default=256,
                        help="samples per resumable shard (default: %(default)s)")
    parser.add_argument("--name", default=None, help="label for tables and figures")
    add_format_arg(parser)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a different artifact already in --out")
    parser.add_argument("--out", required=True, help="output folder")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from headprint.patterns.api import PatternConfig, run_patterns_detailed

    config = PatternConfig(
        model=args.model, data=args.data, split=args.split, limit=args.limit,
        method=args.method, loss=args.loss, batch_size=args.batch_size,
        max_length=args.max_length, per_sample=args.per_sample, skip_bad=args.skip_bad,
        dtype=args.dtype, device=args.device, device_map=args.device_map,
        shard_size=args.shard_size, name=args.name, format=args.format)
    run = run_patterns_detailed(config, args.out, overwrite=args.overwrite)
    if run.result is None:  # a non-zero rank of a torchrun launch: rank 0 reports
        return 0
    m = run.result.manifest
    what = (f"{m['n_samples']} samples, {m['num_layers']} layers x {m['num_heads']} heads, "
            f"method {m['method']}, format {m.get('format')}")
    if run.status == "unchanged":
        print(f"nothing to do: {args.out} already holds this pattern set ({what}); pass "
              "--overwrite to compute it again")
    else:
        print(f"wrote {args.out}/patterns.safetensors and manifest.json: {what}")
    return 0
