"""Stop strings never cut an answer before it starts, and empty generations are counted.

A tiny model scripted to open its answer with special tokens and newlines (what
Qwen2.5-Coder-Instruct does when prompted raw): lm-eval's own ``HFLM`` turns its answer
into the empty string (a ``\\n\\n\\n`` stop string matches once the special tokens are
dropped), headprint's generation keeps it and scores it.
"""
from __future__ import annotations

import pytest
import torch
from lm_eval.models.utils import postprocess_generated_text
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

from headprint.data import load_data
from headprint.evaluation.api import evaluate_detailed
from headprint.evaluation.generation import cut_generation, lead_length, special_strings
from tests.training.tiny import tokenizer_folder

CODE_STOPS = ["\nif __name__", "\n\n\n", "</s>", "<|im_end|>", "<end_of_turn>", "\nQuestion:"]


@pytest.fixture(scope="module")
def tokenizer():
    tok = AutoTokenizer.from_pretrained(str(tokenizer_folder()))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def _ids(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


def test_leading_specials_and_newlines_are_not_searched(tokenizer):
    tok = tokenizer
    generated = _ids(tok, "<|im_start|>\n<|im_start|>\n<|im_start|>\n\n\nprint(12)\n\n\n\n"
                          "Question: next")
    im_start = tok.convert_tokens_to_ids("<|im_start|>")
    assert generated.count(im_start) == 3  # real special tokens, as a model emits them
    # lm-eval's rule: drop the specials, cut at the first stop string -> nothing left
    old = postprocess_generated_text(tok.decode(generated, skip_special_tokens=True),
                                     CODE_STOPS, None)
    assert old == ""
    cut = cut_generation(generated, tok, CODE_STOPS)
    assert cut.text == "\n\n\n\n\nprint(12)" and cut.stop == "\n\n\n" and not cut.empty
    assert cut.lead == len("<|im_start|>\n" * 3 + "\n\n")


def test_eos_and_budget_end_a_generation(tokenizer):
    tok = tokenizer
    eos = tok.eos_token_id
    cut = cut_generation(_ids(tok, "<|im_start|>\n") + [eos] + _ids(tok, "print(1)"), tok,
                         CODE_STOPS)
    assert cut.empty and cut.text == "\n" and cut.stop == tok.eos_token
    budget = cut_generation(_ids(tok, "    return x"), tok, CODE_STOPS)
    assert budget.text == "    return x" and budget.stop is None  # indentation kept
    # without special tokens, the kept text is what decoding with skip_special_tokens gives
    plain = _ids(tok, "<|im_start|>x = 1<|im_start|>\nprint(x)")
    assert cut_generation(plain, tok, []).text == tok.decode(plain, skip_special_tokens=True)
    assert lead_length(" \n<|im_start|>\t<|im_end|>a", special_strings(tok)) == 25


class ScriptedLlama(LlamaForCausalLM):
    """A tiny Llama whose logits are biased to emit ``script`` token by token after the
    prompt (the k-th generated token is ``script[k]``), then eos."""

    script: list[int] = []

    def forward(self, input_ids=None, **kwargs):
        out = super().forward(input_ids=input_ids, **kwargs)
        # generate() feeds the whole prompt once, then one new token per call
        self._k = 0 if input_ids.shape[1] > 1 else self._k + 1
        token = self.script[self._k] if self._k < len(self.script) else self.config.eos_token_id
        bias = torch.full_like(out.logits[:, -1], -1e4)
        bias[:, token] = 1e4
        out.logits[:, -1] = bias
        return out


@pytest.fixture(scope="module")
def scripted(tokenizer):
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=1024, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = ScriptedLlama(config).eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def _row_answer() -> str:
    return load_data("gsm8k-py", split="test", limit=1).rows[0]["meta"]["answer"]


def test_answer_after_leading_specials_is_scored(scripted, tokenizer):
    from lm_eval.models.huggingface import HFLM

    answer = _row_answer()  # the reference, computed by the data stage
    scripted.script = _ids(tokenizer, "<|im_start|>\n<|im_start|>\n<|im_start|>\n\n\n"
                                      f"print({answer})\n\n\n\nQuestion: more")
    old = evaluate_detailed(HFLM(pretrained=scripted, tokenizer=tokenizer, batch_size=1),
                            "gsm8k-py", 1, prompt_format="raw", max_gen_toks=64)
    assert old["samples"]["gsm8k-py"][0]["generation"] == ""
    assert old["tasks"]["gsm8k-py"]["accuracy"] == 0.0
    assert old["tasks"]["gsm8k-py"]["n_empty"] == 1
    new = evaluate_detailed(scripted, "gsm8k-py", 1, tokenizer=tokenizer, prompt_format="raw",
                            max_gen_toks=64)
    entry, sample = new["tasks"]["gsm8k-py"], new["samples"]["gsm8k-py"][0]
    assert sample["generation"].strip() == f"print({answer})" and sample["stop"] == "\n\n\n"
    assert entry["accuracy"] == 1.0 and entry["n_empty"] == 0 and not new["warnings"]
    assert new["format"] == "raw" and new["settings"]["format"] == "raw"


def test_empty_generations_are_counted_and_warned(scripted, tokenizer, caplog):
    scripted.script = _ids(tokenizer, "<|im_start|>\n\n")  # then eos: nothing said
    result = evaluate_detailed(scripted, ["gsm8k-py", "gsm8k"], 2, tokenizer=tokenizer,
                               prompt_format="raw", max_gen_toks=16)
    for task in ("gsm8k-py", "gsm8k"):
        entry = result["tasks"][task]
        assert entry["n_empty"] == 2 and entry["empty_stop"] == tokenizer.eos_token
        assert entry["accuracy"] == 0.0
    assert len(result["warnings"]) == 2
    assert "2 of 2 generations are empty" in result["warnings"][0]
    assert repr(tokenizer.eos_token) in result["warnings"][0]
    assert any("generations are empty" in r.message for r in caplog.records)
