"""The top-level API on objects in memory: same numbers as the CLI, typed results, recorder."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import headprint as hp
from headprint.cli import main
from headprint.patterns.artifact import PatternSet

ROWS = [{"prompt": f"Q{i}: what is {i} plus {i}?", "completion": f" {2 * i}, since {i}+{i}"}
        for i in range(5)]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    loaded = hp.load_model(str(tiny_model_dir))
    return loaded


def test_compute_patterns_in_memory_equals_cli(tiny, tiny_model_dir, tmp_path):
    """A list of dicts and a model object give the numbers the CLI writes for the same rows."""
    in_memory = hp.compute_patterns(tiny.model, tiny.tokenizer, ROWS, per_sample=True,
                                    progress=False)
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    assert main(["patterns", "--model", str(tiny_model_dir), "--data", str(data),
                 "--per-sample", "--out", str(tmp_path / "cli")]) == 0
    on_disk = hp.load_pattern_set(tmp_path / "cli")
    assert in_memory.per_sample.shape == (5, 2, 4)
    # Same rows, same model, same batches: identical arithmetic, so exact equality.
    torch.testing.assert_close(in_memory.per_sample, on_disk.per_sample, rtol=0, atol=0)
    assert in_memory.manifest["data"]["kind"] == "memory"


def _gate_gradients(model, batch_ids, mask, labels):
    """Independent reference: d(loss)/d(gate) for a per-(sample, head) gate at o_proj input.

    loss = Σ_b mean_t CE; the gate multiplies head h's slice of o_proj's input by g[b, l, h]
    (g = 1), so dloss/dg is Σ_t ⟨O_t, ∂ℓ/∂O_t⟩ by the chain rule, without headprint's hooks.
    """
    layers = model.model.layers
    n_layers, n_heads = len(layers), model.config.num_attention_heads
    gates = torch.ones(batch_ids.shape[0], n_layers, n_heads, requires_grad=True)
    handles = []
    for index, layer in enumerate(layers):
        def pre(_module, args, index=index):
            x = args[0]
            b, t, width = x.shape
            g = gates[:, index, :, None].repeat_interleave(width // n_heads, dim=-1)
            return (x * g[:, None, :].reshape(b, 1, width),)
        handles.append(layer.self_attn.o_proj.register_forward_pre_hook(pre))
    try:
        logits = model(input_ids=batch_ids, attention_mask=mask).logits.float()
        token_loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                     labels[:, 1:].reshape(-1), ignore_index=-100,
                                     reduction="none").view(labels[:, 1:].shape)
        counts = (labels[:, 1:] != -100).sum(1)
        (token_loss.sum(1) / counts).sum().backward()
    finally:
        for h in handles:
            h.remove()
    return gates.grad


def test_record_head_scores_matches_gate_gradient(tiny):
    model, tok = tiny.model, tiny.tokenizer
    enc = tok([r["prompt"] + r["completion"] for r in ROWS[:3]], return_tensors="pt",
              padding=True)
    labels = enc.input_ids.clone()
    labels[enc.attention_mask == 0] = -100
    labels[:, :4] = -100
    expected = _gate_gradients(model, enc.input_ids, enc.attention_mask, labels)
    with hp.record_head_scores(model, per_token=True) as rec:
        logits = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask).logits
        token_loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                                     labels[:, 1:].reshape(-1), ignore_index=-100,
                                     reduction="none").view(labels[:, 1:].shape)
        (token_loss.sum(1) / (labels[:, 1:] != -100).sum(1)).sum().backward()
    # Two float32 reductions of the same products in different orders: relative 1e-4 of the
    # largest gradient covers their rounding on any CPU, while a wrong head or sign is O(1).
    scale = float(expected.abs().max())
    torch.testing.assert_close(rec.signed_scores, expected, rtol=0, atol=1e-4 * scale)
    torch.testing.assert_close(rec.scores, expected.abs(), rtol=0, atol=1e-4 * scale)
    per_token = rec.contributions
    assert per_token.shape == (3, enc.input_ids.shape[1], 2, 4)
    torch.testing.assert_close(per_token.sum(1), rec.signed_scores, rtol=0, atol=1e-6 * scale)
    # Pads contribute nothing.
    assert float(per_token[enc.attention_mask == 0].abs().sum()) == 0.0
    # The frozen model stays frozen and no hook is left behind.
    assert not any(p.requires_grad for p in model.parameters())
    assert all(not m._forward_pre_hooks for m in model.modules())


def test_record_without_backward_is_a_clear_error(tiny):
    with hp.record_head_scores(tiny.model) as rec:
        tiny.model(input_ids=torch.tensor([[1, 2, 3]]))
    with pytest.raises(hp.HeadprintError, match="backward"):
        _ = rec.scores


def _gini(x: np.ndarray) -> float:
    """Mean absolute difference over all pairs / (2 · mean): the textbook definition."""
    x = x.ravel()
    return float(np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean()))


def test_stats_compare_similarity_results(tiny):
    a = hp.compute_patterns(tiny, None, ROWS, per_sample=True, progress=False, name="a")
    b = hp.compute_patterns(tiny, None, list(reversed(ROWS))[:3], per_sample=True,
                            progress=False, name="b<i>")
    result = hp.stats([a, b], n_boot=50)
    assert result.rows[0]["gini"] == pytest.approx(_gini(a.mean.double().numpy()), rel=1e-6)
    json.dumps(result.to_dict())
    assert "b&lt;i&gt;" in result._repr_html_()   # labels are escaped
    from matplotlib.figure import Figure

    assert isinstance(result.plot(), Figure)
    cmp = hp.compare(a, b, n_boot=0)
    x, y = a.mean.double().numpy().ravel(), b.mean.double().numpy().ravel()
    assert cmp.corr == pytest.approx(float(np.corrcoef(x, y)[0, 1]), rel=1e-6)
    assert cmp.mse == pytest.approx(float(((x - y) ** 2).mean()), rel=1e-6)
    json.dumps(cmp.to_dict())
    sim = hp.similarity([a, b])
    assert np.asarray(sim.corr).shape == (2, 2)
    assert isinstance(sim.plot(), Figure)


def test_load_data_rejects_bad_rows():
    with pytest.raises(hp.HeadprintError, match="row 1"):
        hp.load_data([{"prompt": "a", "completion": "b"}, {"prompt": "no completion"}])


def test_saved_in_memory_pattern_set_round_trips(tiny, tmp_path):
    ps = hp.compute_patterns(tiny, None, ROWS, progress=False)
    ps.save(tmp_path / "ps")
    back = PatternSet.load(tmp_path / "ps")
    torch.testing.assert_close(back.mean, ps.mean, rtol=0, atol=0)


def test_every_cli_command_has_a_top_level_call():
    """The CLI is a thin layer: each of its commands has a call in ``headprint``'s API."""
    import headprint as hp
    from headprint.cli import build_parser

    call_of = {"patterns": "compute_patterns", "eval": "evaluate", "report": "build_report",
               "demo": None}
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [name for name in commands.choices
               if call_of.get(name, name) is not None
               and not callable(getattr(hp, call_of.get(name, name), None))]
    assert not missing, f"CLI commands without a top-level call: {missing}"
    assert hp.reproduce.__module__ == "headprint.experiments.api"
