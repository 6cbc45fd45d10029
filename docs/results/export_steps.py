"""Copy an experiment run's checkable outputs into this folder: its results and report,
and every finished step's records, never model weights.

    python docs/results/export_steps.py OUT EXPERIMENT DEST

``OUT`` is a ``headprint reproduce --out`` folder, ``EXPERIMENT`` one of its experiments
(``table2``, ...; skipped when it has not finished yet), ``DEST`` a folder under
``docs/results/``. Copied:

- ``OUT/EXPERIMENT/results.json`` and ``report.md``, when the experiment has finished;
- every finished step (a folder of ``OUT/steps`` with a ``step.json``) whose weights are gone,
  which ``reproduce`` prunes once nothing downstream needs them: its ``step.json``, an SFT
  run's ``run.json``, its tracked patterns with their manifests, an evaluation's samples.
  Left out: tokenizer files, trainer state, steps that still hold weights (an SFT run
  whose evaluation has not run: copying its record without its weights would let a later
  run reuse a step it cannot use), and every step made from one of those.

Copying ``DEST/steps`` back into a run folder's ``steps/`` lets ``headprint reproduce``
reuse those steps on another machine (a step is found by the hash of its settings).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from headprint.locking import lock_files

#: File names never copied: tokenizer and trainer state, and the lock files.
SKIP_NAMES = {"tokenizer.json", "tokenizer_config.json", "training_args.bin",
              "special_tokens_map.json", "chat_template.jinja", "generation_config.json",
              *lock_files("step"), *lock_files("write")}


def _holds_weights(step: Path) -> bool:
    return any((step / "run" / "final").glob("*.safetensors")) or any(
        (step / "run").glob("checkpoint-*"))


def export(out: Path, experiment: str, dest: Path) -> tuple[int, int]:
    """Copy; return ``(steps copied, steps left out because they hold weights)``."""
    finished = out / experiment / "results.json"
    if finished.exists():
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("results.json", "report.md"):
            if (out / experiment / name).exists():
                shutil.copy2(out / experiment / name, dest / name)
    steps = {record.parent.relative_to(out / "steps").as_posix(): record
             for record in sorted((out / "steps").glob("*/*/step.json"))}
    # A step that still holds weights is left out, and so is every step made from it (its
    # settings name it): restored elsewhere, the left-out step is made again, and a step
    # kept from the first making would not match the second.
    left_out = {rel for rel, record in steps.items() if _holds_weights(record.parent)}
    texts = {rel: record.read_text(encoding="utf-8") for rel, record in steps.items()}
    grew = True
    while grew:
        grew = False
        for rel, text in texts.items():
            if rel not in left_out and any(f'"{other}' in text for other in left_out):
                left_out.add(rel)
                grew = True
    copied = held = 0
    for rel, record in steps.items():
        step = record.parent
        if rel in left_out:
            held += 1
            continue
        target = dest / "steps" / step.relative_to(out / "steps")
        for path in step.rglob("*"):
            if path.is_file() and path.name not in SKIP_NAMES:
                (target / path.relative_to(step)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.relative_to(step))
        copied += 1
    return copied, held


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    n, held = export(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
    print(f"{n} finished steps copied; {held} left out (they hold weights, or were made "
          f"from a step that does)")
