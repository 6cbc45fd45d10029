"""The tokenization contract, token by token (headprint.data.tokenize)."""
from __future__ import annotations

import pytest

from headprint.data import IGNORE_INDEX, DataError, encode_row, encode_rows

BOS = 256  # ids of the byte tokenizer's specials, in the order they were added
IM_START, IM_END = 257, 258


def ids(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


def target_text(tok, sample):
    return tok.decode([t for t, l in zip(sample.input_ids, sample.labels) if l != IGNORE_INDEX])


def test_prompt_completion_layout(byte_tokenizer):
    tok = byte_tokenizer
    s = encode_row({"id": "r1", "prompt": "Q: 2+2?", "completion": " 4"}, tok, 128)
    prompt = [BOS] + ids(tok, "Q: 2+2?")
    target = ids(tok, " 4") + [IM_END]
    assert s.input_ids == prompt + target
    assert s.labels == [IGNORE_INDEX] * len(prompt) + target  # not shifted
    assert (s.n_target, s.truncated, s.id) == (3, False, "r1")


def test_prompt_without_default_specials(make_tokenizer):
    tok = make_tokenizer(add_bos=False)
    s = encode_row({"prompt": "ab", "completion": "c"}, tok, None)
    assert s.input_ids == ids(tok, "ab") + ids(tok, "c") + [tok.eos_token_id]
    assert s.labels[:2] == [IGNORE_INDEX] * 2


def test_truncation_keeps_the_start(byte_tokenizer):
    row = {"prompt": "abcd", "completion": "efgh"}  # 1 + 4 prompt, 4 + 1 target
    s = encode_row(row, byte_tokenizer, 7)
    assert s.truncated and len(s.input_ids) == 7 and s.n_target == 2
    assert target_text(byte_tokenizer, s) == "ef"
    cut = encode_row(row, byte_tokenizer, 5)
    assert cut.truncated and cut.n_target == 0 and len(cut.labels) == 5
    exact = encode_row(row, byte_tokenizer, 10)
    assert not exact.truncated and exact.n_target == 5


def test_messages_loss_on_assistant_turns_only(byte_tokenizer):
    tok = byte_tokenizer
    row = {"id": "c1", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Q2"},
        {"role": "assistant", "content": "A2"}, {"role": "user", "content": "ignored"}]}
    s = encode_row(row, tok, None)
    full = tok.apply_chat_template(row["messages"][:5], tokenize=False)
    assert s.input_ids == [BOS] + ids(tok, full)  # pieces concatenate to the whole text
    spans, current = [], []
    for token, label in zip(s.input_ids, s.labels):
        if label != IGNORE_INDEX:
            assert label == token
            current.append(token)
        elif current:
            spans.append(tok.decode(current))
            current = []
    assert spans == ["Hello!<|im_end|>", "A2<|im_end|>"]  # not the newline after im_end
    assert s.n_target == len(ids(tok, "Hello!")) + len(ids(tok, "A2")) + 2


def test_messages_template_with_bos_gets_no_second_bos(make_tokenizer):
    tok = make_tokenizer(add_bos=True, chat_template=(
        "<s>{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '<|im_end|>' }}"
        "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"))
    row = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}
    s = encode_row(row, tok, None)
    assert s.input_ids.count(BOS) == 1 and s.input_ids[0] == BOS
    assert target_text(tok, s) == "a<|im_end|>"


def test_turn_without_eos_token_ends_at_last_non_space(make_tokenizer):
    tok = make_tokenizer(chat_template=(
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + "
        "'<|im_start|>\n' }}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|im_start|>assistant\n' }}{% endif %}"))
    row = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "ok"}]}
    assert target_text(tok, encode_row(row, tok, None)) == "ok<|im_start|>"


def test_messages_truncated_inside_the_first_answer(byte_tokenizer):
    row = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "xyz"}]}
    whole = encode_row(row, byte_tokenizer, None)
    first_target = next(i for i, l in enumerate(whole.labels) if l != IGNORE_INDEX)
    s = encode_row(row, byte_tokenizer, first_target + 2)
    assert s.truncated and s.n_target == 2
    assert encode_row(row, byte_tokenizer, first_target).n_target == 0


def test_messages_need_a_chat_template(make_tokenizer):
    tok = make_tokenizer(chat_template=None)
    row = {"id": "f.jsonl:3", "messages": [{"role": "user", "content": "u"},
                                           {"role": "assistant", "content": "a"}]}
    with pytest.raises(DataError, match=r"f\.jsonl:3.*chat template"):
        encode_row(row, tok, 64)


def test_prompt_completion_needs_an_eos_token(make_tokenizer):
    with pytest.raises(DataError, match="eos"):
        encode_row({"prompt": "a", "completion": "b"}, make_tokenizer(eos=None), 64)


def test_malformed_row_is_named(byte_tokenizer):
    with pytest.raises(DataError, match="gsm8k/test/3: missing field 'completion'"):
        encode_row({"id": "gsm8k/test/3", "prompt": "p"}, byte_tokenizer, 16)


def test_encode_rows_keeps_order_and_cut_samples(byte_tokenizer):
    rows = [{"id": "a", "prompt": "p" * 20, "completion": "c"},
            {"id": "b", "prompt": "p", "completion": "c"}]
    out = encode_rows(rows, byte_tokenizer, 8)
    assert [s.id for s in out] == ["a", "b"] and [s.n_target for s in out] == [0, 2]


@pytest.mark.slow
def test_smollm2_contract(smollm2_tokenizer):
    tok = smollm2_tokenizer
    eos = tok.eos_token_id
    s = encode_row({"prompt": "Question: 1+1?\nAnswer:", "completion": " 2"}, tok, 64)
    prompt = tok("Question: 1+1?\nAnswer:")["input_ids"]
    assert s.input_ids == prompt + ids(tok, " 2") + [eos]
    assert s.labels == [IGNORE_INDEX] * len(prompt) + ids(tok, " 2") + [eos]
    row = {"messages": [{"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Hello there!"},
                        {"role": "user", "content": "Bye"},
                        {"role": "assistant", "content": "Goodbye."}]}
    m = encode_row(row, tok, 256)
    assert m.input_ids == ids(tok, tok.apply_chat_template(row["messages"], tokenize=False))
    targets = [t for t, l in zip(m.input_ids, m.labels) if l != IGNORE_INDEX]
    assert targets == ids(tok, "Hello there!") + [eos] + ids(tok, "Goodbye.") + [eos]
    assert tok.decode(targets) == "Hello there!<|im_end|>Goodbye.<|im_end|>"


# -- the prompt format (headprint.data.prompt_format) -----------------------------------------

def test_chat_format_masks_exactly_the_assistant_turn(byte_tokenizer):
    """Written out by hand: ChatML text of [user: prompt, assistant: completion], one token
    per character, the loss on the completion and its <|im_end|> only."""
    tok = byte_tokenizer
    row = {"id": "r1", "prompt": "Q: 2+2?\nAnswer:", "completion": " 4"}
    s = encode_row(row, tok, None, "chat")
    context = ("<|im_start|>system\nDefault system.<|im_end|>\n"
               "<|im_start|>user\nQ: 2+2?\nAnswer:<|im_end|>\n<|im_start|>assistant\n")
    expected_ids = [BOS] + ids(tok, context) + ids(tok, "4") + [IM_END] + ids(tok, "\n")
    assert s.input_ids == expected_ids
    n_context = 1 + len(ids(tok, context))
    assert s.labels == ([IGNORE_INDEX] * n_context + ids(tok, "4") + [IM_END]
                        + [IGNORE_INDEX])
    assert target_text(tok, s) == "4<|im_end|>" and s.n_target == 2
    # raw is the default and unchanged
    assert encode_row(row, tok, None).input_ids == [BOS] + ids(tok, row["prompt"] + " 4") + [IM_END]


def test_chat_format_code_rows_answer_with_a_fenced_program(byte_tokenizer):
    row = {"id": "h1", "prompt": "def f(x):\n    \"\"\"Double.\"\"\"\n",
           "completion": "    return 2 * x\n",
           "meta": {"tests": "assert f(2) == 4\n", "entry_point": "f",
                    "program_prefix": "def f(x):\n    \"\"\"Double.\"\"\"\n"}}
    s = encode_row(row, byte_tokenizer, None, "chat")
    assert target_text(byte_tokenizer, s) == (
        "```python\ndef f(x):\n    \"\"\"Double.\"\"\"\n    return 2 * x\n```<|im_end|>")


def test_resolve_format(make_tokenizer, tmp_path):
    from headprint.data.prompt_format import (FormatError, resolve_format,
                                              write_model_format)

    chat_tok, plain_tok = make_tokenizer(), make_tokenizer(chat_template=None)
    assert resolve_format("auto", chat_tok) == "chat"
    assert resolve_format("auto", plain_tok) == "raw"
    assert resolve_format("raw", chat_tok) == "raw"
    with pytest.raises(FormatError, match="chat template"):
        resolve_format("chat", plain_tok)
    with pytest.raises(FormatError, match="unknown format"):
        resolve_format("jinja", chat_tok)
    write_model_format(tmp_path, "raw")  # a checkpoint trained raw stays raw under auto
    assert resolve_format("auto", chat_tok, tmp_path) == "raw"
    assert resolve_format("chat", chat_tok, tmp_path) == "chat"  # an explicit choice wins
