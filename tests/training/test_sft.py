"""SFT on a tiny model: parameters change, loss falls, outputs load, tracking is harmless."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from headprint.models import load_model
from headprint.patterns.artifact import REQUIRED_MANIFEST_KEYS, PatternSet
from headprint.training import SFTConfig, run_sft


def _config(model, data, **overrides) -> SFTConfig:
    settings = dict(model=str(model), data=str(data), max_steps=8, lr=1e-3, batch_size=4,
                    max_length=64)
    settings.update(overrides)
    return SFTConfig(**settings)


def _weights(folder) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


@pytest.fixture(scope="module")
def tracked_run(tiny_model_dir, rows_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tracked"
    config = _config(tiny_model_dir, rows_file, save_at=[0, 2, 4], track=["gsm8k"],
                     track_limit=3, max_length=256)
    return config, run_sft(config, out, progress=False)


def test_every_parameter_changes_and_loss_falls(tracked_run, tiny_model_dir):
    _, result = tracked_run
    before, after = _weights(tiny_model_dir), _weights(result.final)
    assert before.keys() == after.keys()
    unchanged = [name for name in before if torch.equal(before[name], after[name])]
    assert not unchanged, f"parameters not trained: {unchanged}"
    losses = [entry["loss"] for entry in result.losses]
    assert [entry["step"] for entry in result.losses] == list(range(1, 9))
    assert losses[-1] < losses[0] - 0.05


def test_run_folder_layout(tracked_run):
    config, result = tracked_run
    run = json.loads((result.run_dir / "run.json").read_text())
    assert run["status"] == "complete" and run["steps_done"] == 8
    assert run["config"]["save_at"] == [0, 2, 4] and run["world_size"] == 1
    assert run["model_fingerprint"].startswith("sha256:")
    assert run["data"]["fingerprint"].startswith("sha256:")
    assert run["versions"]["trl"] and len(run["losses"]) == 8
    assert run["checkpoints"] == ["checkpoint-2", "checkpoint-4"]
    for name in ("checkpoint-2", "checkpoint-4"):
        folder = result.run_dir / name
        assert not (folder / "optimizer.pt").exists()  # pruned once the run completed
        loaded = load_model(str(folder))  # what `headprint patterns --model` does
        assert loaded.source == "local" and loaded.tokenizer.eos_token_id is not None
    final = load_model(str(result.final)).model.config
    assert final.num_hidden_layers == 2
    assert final.use_cache  # as in the base model: generation from checkpoints uses a KV cache


def test_tracking_series_layout(tracked_run):
    _, result = tracked_run
    assert result.tracked == {"gsm8k": [0, 2, 4, 8]}
    series = {k: PatternSet.load(result.run_dir / "tracking" / "gsm8k" / f"step-{k}")
              for k in (0, 2, 4, 8)}
    for step, patterns in series.items():
        manifest = patterns.manifest
        assert set(REQUIRED_MANIFEST_KEYS) <= set(manifest)
        assert (manifest["step"], manifest["task"], manifest["name"]) == (step, "gsm8k", "gsm8k")
        assert manifest["split"] == "test" and manifest["n_samples"] == 3
        assert patterns.shape == (2, 4) and patterns.per_sample.shape == (3, 2, 4)
    assert series[0].manifest["model_fingerprint"] == series[2].manifest[
        "base_model_fingerprint"]
    assert series[2].manifest["model"].endswith("checkpoint-2")
    assert series[8].manifest["model"].endswith("final")
    assert series[0].sample_ids == series[8].sample_ids  # the same fixed samples
    assert not torch.equal(series[0].mean, series[8].mean)


def test_tracking_leaves_training_bit_identical(tracked_run, tmp_path):
    config, tracked = tracked_run
    plain = _config(config.model, config.data, save_at=[0, 2, 4], max_length=256)
    result = run_sft(plain, tmp_path / "plain", progress=False)
    a, b = _weights(tracked.final), _weights(result.final)
    assert all(torch.equal(a[name], b[name]) for name in a)
    assert [e["loss"] for e in tracked.losses] == [e["loss"] for e in result.losses]
    for step in (2, 4):
        a = _weights(tracked.run_dir / f"checkpoint-{step}")
        b = _weights(result.run_dir / f"checkpoint-{step}")
        assert all(torch.equal(a[name], b[name]) for name in a)


def test_messages_rows_train(tiny_model_dir, messages_file, tmp_path):
    result = run_sft(_config(tiny_model_dir, messages_file, max_steps=2), tmp_path / "run",
                     progress=False)
    assert result.steps == 2 and (result.final / "model.safetensors").exists()


def test_lora_trains_adapters_and_saves_merged_model(tiny_model_dir, rows_file, tmp_path):
    config = _config(tiny_model_dir, rows_file, lora=True, lora_r=4, lora_alpha=8,
                     lora_targets=["q_proj", "v_proj"], max_steps=4, lr=1e-2, save_at=[2])
    result = run_sft(config, tmp_path / "run", progress=False)
    before, after = _weights(tiny_model_dir), _weights(result.final)
    assert before.keys() == after.keys()  # merged: a plain model, no adapter tensors
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and all("q_proj" in n or "v_proj" in n for n in changed)
    assert load_model(str(result.final)).model.config.num_hidden_layers == 2
    # Checkpoints hold adapters (for --resume) and a merged copy that loads as a model.
    assert (result.run_dir / "checkpoint-2" / "adapter_model.safetensors").exists()
    step2 = load_model(str(result.run_dir / "checkpoint-2" / "merged"))
    merged = dict(step2.model.named_parameters())
    assert not torch.equal(merged["model.layers.0.self_attn.q_proj.weight"],
                           after["model.layers.0.self_attn.q_proj.weight"])


def test_bf16_mixed_precision_close_to_float32(tiny_model_dir, rows_file, tmp_path):
    """bfloat16 autocast (float32 master weights) follows the float32 run's losses closely;
    ``auto`` on hardware without fast bfloat16 is float32 bit for bit."""
    from headprint.models.precision import choose_dtype

    runs = {}
    for dtype in ("float32", "bfloat16", "auto"):
        config = _config(tiny_model_dir, rows_file, max_steps=6, dtype=dtype)
        runs[dtype] = run_sft(config, tmp_path / dtype, progress=False)
    f32 = [e["loss"] for e in runs["float32"].losses]
    bf16 = [e["loss"] for e in runs["bfloat16"].losses]
    assert runs["bfloat16"].manifest["precision"]["bf16_mixed"] is True
    assert runs["float32"].manifest["precision"]["bf16_mixed"] is False
    # Stated tolerance: every step's loss within 1 % of float32's (bf16 keeps 8 bits of
    # mantissa, a relative rounding of 0.4 %; the master weights stay float32).
    assert all(abs(a - b) <= 0.01 * abs(a) for a, b in zip(f32, bf16)), (f32, bf16)
    assert f32 != bf16  # autocast did run
    weights = _weights(runs["bfloat16"].final)
    assert all(w.dtype is torch.float32 for w in weights.values())  # master weights
    base, a, b = _weights(tiny_model_dir), _weights(runs["float32"].final), weights
    for name in base:  # the bf16 run moves every tensor about as float32 does
        step_f32, step_bf16 = a[name] - base[name], b[name] - base[name]
        cosine = torch.nn.functional.cosine_similarity(step_f32.flatten(),
                                                       step_bf16.flatten(), dim=0)
        assert cosine > 0.9, (name, float(cosine))
    if choose_dtype("auto", model=str(tiny_model_dir)).name == "float32":
        auto = _weights(runs["auto"].final)
        assert all(torch.equal(auto[n], a[n]) for n in a)
        assert [e["loss"] for e in runs["auto"].losses] == f32
