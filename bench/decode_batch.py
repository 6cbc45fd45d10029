"""Greedy decoding throughput at batch 1 and 8: how much ``headprint eval --batch-size``
buys for generation on this machine (docs/performance.md, "Evaluation batch size").

    PYTHONPATH=src .venv/bin/python bench/decode_batch.py [MODEL] [NEW_TOKENS]

Prints seconds per decoding step and tokens per second for each batch size. The prompt is
the same in every row, so no padding enters the measurement.
"""
from __future__ import annotations

import sys
import time

import torch

import headprint as hp

PROMPT = ("Write a python program that prints the sum of the first ten primes. "
          "Explain step by step.")


def main(model: str = "qwen2.5-coder-0.5b", new_tokens: int = 64) -> None:
    loaded = hp.load_model(model)
    print(f"{model}: {loaded.model.dtype}, {torch.get_num_threads()} threads")
    for batch in (1, 8):
        ids = loaded.tokenizer([PROMPT] * batch, return_tensors="pt")
        start = time.time()
        with torch.inference_mode():
            loaded.model.generate(**ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                  do_sample=False, use_cache=True)
        seconds = time.time() - start
        print(f"batch {batch}: {seconds / new_tokens:.3f} s per step, "
              f"{batch * new_tokens / seconds:.2f} tokens/s")


if __name__ == "__main__":
    main(*(sys.argv[1:2] or []), *(int(a) for a in sys.argv[2:3]))
