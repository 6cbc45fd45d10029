"""bfloat16 against float32 on this CPU, per workload, in one run: what ``--dtype auto``
should choose for training and for generation (docs/performance.md, "bfloat16 by
workload").

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/dtype_workloads.py \
        [MODEL] [OUT.json]

Workloads, each timed twice per dtype with the dtypes alternating, so that both dtypes see
the same load; the second call is compared and the first is recorded too. (Timed in two
separate processes under different load, bfloat16 decoding once read as slower than
float32: only ratios taken in one run are compared.)

- ``train``: one forward and backward of 4 × 384 tokens, the model's own loss. float32
  weights; ``bf16-mixed`` is headprint's SFT in bfloat16 (float32 weights under bfloat16
  autocast), ``bf16`` bfloat16 weights (what patterns run in).
- ``decode-1`` / ``decode-8``: greedy decoding of 32 new tokens for 1 and 8 rows, float32
  against bfloat16 weights.

Prints seconds per call and the float32 / bfloat16 ratio (above 1: bfloat16 is faster).
"""
from __future__ import annotations

import json
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

import headprint as hp
from headprint.models.precision import cpu_bf16_flags

PROMPT = ("Write a python program that prints the sum of the first ten primes. "
          "Explain step by step.")


def _train(net, ids, autocast: bool) -> float:
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else nullcontext()
    start = time.perf_counter()
    with ctx:
        loss = net(input_ids=ids, labels=ids).loss
    loss.backward()
    net.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def _decode(net, tokenizer, rows: int, new_tokens: int = 32) -> float:
    ids = tokenizer([PROMPT] * rows, return_tensors="pt")
    start = time.perf_counter()
    with torch.inference_mode():
        net.generate(**ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                     do_sample=False)
    return time.perf_counter() - start


def main(model: str = "qwen2.5-coder-0.5b", out: str | None = None) -> dict:
    f32 = hp.load_model(model, dtype="float32", freeze=False)
    bf16 = hp.load_model(model, dtype="bfloat16", freeze=False)
    for loaded in (f32, bf16):
        loaded.model.train()
        loaded.model.requires_grad_(True)
    torch.manual_seed(0)
    ids = torch.randint(0, f32.model.config.vocab_size, (4, 384))
    runs = {
        "train": {"float32": lambda: _train(f32.model, ids, False),
                  "bf16-mixed": lambda: _train(f32.model, ids, True),
                  "bf16": lambda: _train(bf16.model, ids, False)},
        **{f"decode-{rows}": {"float32": lambda r=rows: _decode(f32.model, f32.tokenizer, r),
                              "bf16": lambda r=rows: _decode(bf16.model, bf16.tokenizer, r)}
           for rows in (1, 8)},
    }
    seconds: dict[str, dict[str, float]] = {}
    first: dict[str, dict[str, float]] = {}
    for workload, variants in runs.items():
        if workload.startswith("decode"):
            f32.model.eval(), bf16.model.eval()
        times = {name: [] for name in variants}
        for _ in range(2):
            for name, call in variants.items():
                times[name].append(call())
        seconds[workload] = {name: t[1] for name, t in times.items()}
        first[workload] = {name: t[0] for name, t in times.items()}
        ratios = {name: seconds[workload]["float32"] / s
                  for name, s in seconds[workload].items() if name != "float32"}
        print(f"{workload}: " + ", ".join(f"{n} {s:.2f} s" for n, s in
                                           seconds[workload].items())
              + " (first calls: " + ", ".join(f"{n} {s:.2f} s" for n, s in
                                               first[workload].items()) + ")"
              + "; float32/bf16: " + ", ".join(f"{n} {r:.2f}x" for n, r in ratios.items()),
              flush=True)
    record = {"model": model, "threads": torch.get_num_threads(),
              "cpu_bf16_flags": sorted(cpu_bf16_flags()),
              "torch": torch.__version__, "load_average": os.getloadavg(), "seconds": seconds,
              "first_call_seconds": first}
    if out:
        Path(out).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    main(*sys.argv[1:3])
