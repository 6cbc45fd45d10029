"""One benchmark measurement, run in a child process so its peak memory is its own.

``python bench/variants.py JOB ...`` prints one line ``RESULT {json}`` and exits. Jobs:

- ``variant``: time one of the four variants on one fixed ``B × T`` batch
  (a) ``reference`` — the released script's route (:func:`reference_scores`: eager attention,
  retained attention gradients, parameter gradients, batch-mean loss);
  (b) ``paper`` and (c) ``abs`` — :func:`headprint.patterns.scoring.score_batch` with
  headprint's defaults (SDPA, frozen parameters, per-sample loss);
  (d) ``floor`` — the same model and loss, one forward and one backward to the embeddings
  with frozen parameters and SDPA, no hook: what any gradient-based score must at least pay.
- ``gate``: headprint ``paper``/``abs`` against the reference's numbers on the same batch.
- ``e2e``: a whole pool of GSM8K samples, by headprint's defaults or the released protocol.

Peak memory is the process's peak RSS (``ru_maxrss``; model weights and the Python runtime
included) on CPU, the CUDA allocator's peak on a GPU.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import fixed_batch, gsm8k_samples, padded_batches  # noqa: E402

from headprint.models import load_model  # noqa: E402
from headprint.models.architecture import attention_layout  # noqa: E402
from headprint.patterns.capture import frozen_parameters, grad_entry_point  # noqa: E402
from headprint.patterns.reference import reference_scores  # noqa: E402
from headprint.patterns.scoring import response_loss, score_batch  # noqa: E402

VARIANTS = ("reference", "paper", "abs", "floor")


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_variant(name: str, model, layout, batch):
    """One measured call of variant ``name`` on ``batch``; returns the scores (or None)."""
    if name == "reference":
        return reference_scores(model, batch, method="paper", loss="batch", parameter_grads=True)
    if name in ("paper", "abs"):
        return score_batch(model, layout, batch, name, "sample")
    if name == "floor":
        with frozen_parameters(model), grad_entry_point(model), torch.enable_grad():
            response_loss(model, batch.to(next(model.parameters()).device), "sample").backward()
        return None
    raise ValueError(f"unknown variant {name!r}; choose from {VARIANTS}")


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def job_variant(args, loaded, device: str) -> dict:
    layout = attention_layout(loaded.model)
    batch = fixed_batch(loaded.tokenizer, args.batch, args.length)
    baseline = peak_memory_mb(device)
    for _ in range(args.warmup):
        run_variant(args.variant, loaded.model, layout, batch)
    times, cpu = [], []
    for _ in range(args.reps):
        _sync(device)
        started, cpu_started = time.perf_counter(), time.process_time()
        run_variant(args.variant, loaded.model, layout, batch)
        _sync(device)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    # The minimum: on a shared CPU, other load only ever adds time.
    best = min(times)
    # CPU seconds (all threads) of the fastest repetition: less sensitive to other load.
    return {"seconds": times, "per_sample": best / args.batch,
            "cpu_per_sample": min(cpu) / args.batch,
            "tokens_per_second": args.batch * args.length / best,
            "peak_mb": peak_memory_mb(device), "load_peak_mb": baseline}


def _relative(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return float((actual - expected).abs().max() / expected.abs().max())


def gate_errors(model, layout, batch, rows: list[int]) -> dict:
    """Max relative error of headprint's ``paper``/``abs`` scores against the reference's.

    headprint scores the whole ``batch``; the reference scores only ``rows`` of it (as one
    smaller batch). Both use per-sample loss, so a sample's scores do not depend on the
    rest of its batch and the rows can be compared one to one.
    """
    sub = type(batch)(rows, batch.input_ids[rows], batch.attention_mask[rows], batch.labels[rows])
    out: dict = {"rows_checked": len(rows)}
    for method in ("paper", "abs"):
        ours = score_batch(model, layout, batch, method, "sample")[rows]
        theirs = reference_scores(model, sub, method=method, loss="sample")
        out[method] = _relative(ours, theirs)
    out["parameter_grads_untouched"] = all(p.grad is None for p in model.parameters())
    return out


def job_gate(args, loaded, device: str) -> dict:
    """The gate on the benchmark's own batch; row 0 alone when the batch is too big for the
    reference (more than 1024 tokens)."""
    batch = fixed_batch(loaded.tokenizer, args.batch, args.length)
    rows = list(range(args.batch)) if args.batch * args.length <= 1024 else [0]
    out = gate_errors(loaded.model, attention_layout(loaded.model), batch, rows)
    out["peak_mb"] = peak_memory_mb(device)
    return out


def job_e2e(args, loaded, device: str) -> dict:
    """A pool of ``args.n`` GSM8K samples end to end (encoding excluded, scoring included)."""
    from headprint.patterns.compute import score_samples

    model, tokenizer = loaded.model, loaded.tokenizer
    samples = gsm8k_samples(tokenizer, args.n, max_length=1024)
    lengths = [len(s.input_ids) for s in samples]
    started, cpu_started = time.perf_counter(), time.process_time()
    if args.protocol == "headprint":
        score_samples(model, samples, tokenizer.pad_token_id, method="paper", loss="sample",
                      batch_size=args.batch, progress=False)
        done = len(samples)
    else:  # released script: pad to 1024, batch-mean loss, eager, parameter gradients
        batches = padded_batches(samples, args.batch, 1024, tokenizer.pad_token_id)
        if args.max_batches:
            batches = batches[:args.max_batches]
        for batch in batches:
            reference_scores(model, batch, method="paper", loss="batch", parameter_grads=True)
        done = sum(len(b.indices) for b in batches)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"seconds": seconds, "cpu_seconds": cpu, "samples_done": done,
            "n_pool": len(samples), "per_sample": seconds / done, "cpu_per_sample": cpu / done,
            "mean_tokens": sum(lengths) / len(lengths),
            "max_tokens": max(lengths), "peak_mb": peak_memory_mb(device)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=("variant", "gate", "e2e"))
    parser.add_argument("--variant", choices=VARIANTS, default="paper")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--protocol", choices=("headprint", "released"), default="headprint")
    parser.add_argument("--n", type=int, default=512, help="e2e: samples in the pool")
    parser.add_argument("--max-batches", type=int, default=0,
                        help="e2e released: stop after this many batches (0 = all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    loaded = load_model(args.model, dtype=args.dtype, device=device)
    job = {"variant": job_variant, "gate": job_gate, "e2e": job_e2e}[args.job]
    try:
        result = {"status": "ok", **job(args, loaded, device)}
    except (torch.OutOfMemoryError, MemoryError) as err:
        result = {"status": "oom", "error": str(err)[:300], "peak_mb": peak_memory_mb(device)}
    except RuntimeError as err:
        if "alloc" not in str(err).lower() and "memory" not in str(err).lower():
            raise
        result = {"status": "oom", "error": str(err)[:300], "peak_mb": peak_memory_mb(device)}
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
