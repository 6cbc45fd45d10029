"""Gather the base-accuracy runs of ``run.sh`` into ``base-accuracy.json`` (beside this file)
and print the Markdown table of docs/results.md.

    python docs/results/base-accuracy/collect.py OUT_ROOT [OUT_ROOT ...]

Cells already in ``base-accuracy.json`` are kept unless a root holds a newer run of the
same model, format and task (several sessions' roots add up; a later root wins).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("smollm2-135m", "qwen2.5-coder-0.5b", "gemma3-270m")
TASKS = ("gsm8k-py", "gsm8k", "arc-challenge", "mmlu:math", "mmlu:physics", "mmlu:chemistry",
         "mmlu:biology")


def _times(root: Path) -> dict[tuple[str, str, str], int]:
    found = {}
    path = root / "times.txt"
    # "MODEL FORMAT TASK [limit N] exit CODE SECONDS s [HH:MM]", one line per finished run
    line_form = re.compile(r"^(\S+) (\S+) (\S+) (?:limit \d+ )?(?:dtype \S+ )?exit (\d+) (\d+) s")
    for line in path.read_text().splitlines() if path.exists() else []:
        match = line_form.match(line)
        if match and match[4] == "0":
            found[(match[1], match[2], match[3])] = int(match[5])
    return found


def collect(root: Path) -> list[dict]:
    times = _times(root)
    records = []
    for model in MODELS:
        for fmt in ("chat", "raw"):
            for task in TASKS:
                path = root / model / fmt / task.replace(":", "_") / "results.json"
                if not path.exists():
                    continue
                result = json.loads(path.read_text())
                entry = result["tasks"][task]
                dtype = result.get("dtype", "float32")
                records.append({
                    "model": model, "format": result["format"], "task": task,
                    "split": entry["split"], "n": entry["n"],
                    "accuracy": round(entry["accuracy"], 4),
                    "acc_norm": round(entry["metrics"]["acc_norm"], 4)
                    if "acc_norm" in entry["metrics"] else None,
                    "n_empty": entry.get("n_empty"), "empty_stop": entry.get("empty_stop"),
                    "seconds": times.get((model, fmt, task)), "eval_seconds": result["seconds"],
                    "model_fingerprint": result["model_fingerprint"],
                    "data_fingerprint": entry["data"].get("fingerprint"),
                    "settings": result["settings"], "versions": result["versions"],
                    "dtype": dtype,
                    "command": f"headprint eval --model {model} --format {fmt} --task {task} "
                               f"--limit {result['settings']['limit']}"
                               f" --dtype {dtype}"})
    return records


def table(records: list[dict]) -> str:
    by = {(r["model"], r["format"], r["task"]): r for r in records}
    lines = ["| model | format | " + " | ".join(TASKS) + " |",
             "|---|---|" + "---:|" * len(TASKS)]
    for model in MODELS:
        for fmt in ("chat", "raw"):
            cells = []
            for task in TASKS:
                r = by.get((model, fmt, task))
                if r is None:
                    cells.append("n/a" if model == "gemma3-270m" and fmt == "chat" else "…")
                    continue
                cell = f"{r['accuracy']:.2f}"
                if r["n"] != 50:  # the grid's usual row count
                    cell += f" ({r['n']} rows)"
                if r.get("dtype", "float32") != "float32":
                    cell += f" ({r['dtype']})"
                if r["n_empty"]:
                    cell += f" ({r['n_empty']} empty)"
                cells.append(cell)
            if any(c not in ("n/a", "…") for c in cells) or model != "gemma3-270m":
                lines.append(f"| {model} | {fmt} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def merged(roots: list[Path]) -> list[dict]:
    """Recorded cells, then each root's cells in order (a later one replaces an earlier)."""
    path = HERE / "base-accuracy.json"
    by = {}
    for record in json.loads(path.read_text()) if path.exists() else []:
        by[(record["model"], record["format"], record["task"])] = record
    for root in roots:
        for record in collect(root):
            by[(record["model"], record["format"], record["task"])] = record
    order = {(m, f, t): i for i, (m, f, t) in enumerate(
        (m, f, t) for m in MODELS for f in ("chat", "raw") for t in TASKS)}
    return sorted(by.values(), key=lambda r: order[(r["model"], r["format"], r["task"])])


if __name__ == "__main__":
    records = merged([Path(arg) for arg in sys.argv[1:]])
    tmp = HERE / "base-accuracy.json.tmp"
    tmp.write_text(json.dumps(records, indent=1) + "\n")
    tmp.replace(HERE / "base-accuracy.json")
    print(table(records))
