"""One SFT forward and backward with the model's own loss against trl's fused LM head (the
head ``SFTTrainer`` installs with ``add_fused_lm_head``): what the fused head costs on a
CPU, where trl has no Triton kernel and computes it in vocabulary chunks
(docs/performance.md, "SFT: trl's fused LM head").

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/sft_head.py [MODEL]

Prints the wall time and loss of each call, plain and fused alternating, twice; the two
losses agree (the same response-token cross-entropy).
"""
from __future__ import annotations

import sys
import time

import torch
from trl.trainer.utils import add_fused_lm_head

import headprint as hp


def main(model: str = "smollm2-135m", batch: int = 4, length: int = 384) -> None:
    loaded = hp.load_model(model)
    net = loaded.model
    net.train()
    net.requires_grad_(True)
    torch.manual_seed(0)
    ids = torch.randint(0, net.config.vocab_size, (batch, length))
    labels = ids.clone()
    labels[:, :length // 2] = -100  # the prompt half is masked, as in SFT

    def plain() -> float:
        out = net(input_ids=ids, labels=labels)
        out.loss.backward()
        net.zero_grad()
        return out.loss.item()

    add_fused_lm_head(net, outputs=("log_probs", "entropy", "is_top1"))  # as SFTTrainer does

    def fused() -> float:
        out = net(input_ids=ids, labels=labels, fused_lm_head=True)
        loss = -out.log_probs.sum() / (labels[:, 1:] != -100).sum()
        loss.backward()
        net.zero_grad()
        return loss.item()

    for step in (plain, fused, plain, fused):
        start = time.time()
        loss = step()
        print(f"{step.__name__}: {time.time() - start:.2f} s, loss {loss:.6f}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
