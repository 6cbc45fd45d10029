"""docs/results/export_steps.py: a run's records are copied without weights, and a step made
from a step that still holds weights is left out with it."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _export():
    spec = importlib.util.spec_from_file_location("export_steps",
                                                  REPO / "docs/results/export_steps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.export


def _step(out: Path, rel: str, settings: dict, files: dict[str, str]) -> None:
    folder = out / "steps" / rel
    folder.mkdir(parents=True)
    (folder / "step.json").write_text(json.dumps({"settings": settings}))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_weights_and_their_dependents_stay_behind(tmp_path):
    out = tmp_path / "run"
    _step(out, "sft/pruned-1", {}, {"run/run.json": "{}", "run/final/tokenizer.json": "x",
                                    "run/tracking/t/step-0/patterns.safetensors": "p"})
    _step(out, "sft/live-2", {}, {"run/final/model.safetensors": "w"})
    _step(out, "eval/of-live-3", {"model": {"sft": "sft/live-2"}}, {"samples.json": "[]"})
    _step(out, "eval/of-that-4", {"from": "eval/of-live-3/samples.json"}, {})
    _step(out, "eval/of-pruned-5", {"model": {"sft": "sft/pruned-1"}}, {"samples.json": "[]"})
    (out / "steps" / "sft" / "unfinished-6").mkdir()
    (out / "table2").mkdir()
    (out / "table2" / "results.json").write_text("{}")
    dest = tmp_path / "dest"
    copied, held = _export()(out, "table2", dest)
    assert (copied, held) == (2, 3)
    kept = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert kept == ["results.json", "steps/eval/of-pruned-5/samples.json",
                    "steps/eval/of-pruned-5/step.json", "steps/sft/pruned-1/run/run.json",
                    "steps/sft/pruned-1/run/tracking/t/step-0/patterns.safetensors",
                    "steps/sft/pruned-1/step.json"]
