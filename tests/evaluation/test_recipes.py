"""Every evaluation kind scores a known-correct answer right and a known-wrong one wrong,
through lm-evaluation-harness itself (an oracle lm-eval model answers from the docs)."""
from __future__ import annotations

import json

import pytest
from lm_eval.api.model import LM

from headprint.evaluation import recipes
from headprint.evaluation.api import evaluate, evaluate_detailed

WRONG_GENERATION = {
    "gsm8k": lambda meta: f" The answer is 7.\n#### {float(meta['answer']) + 1:g}",
    "math": lambda meta: " So the answer is $\\boxed{\\text{not it}}$.",
    "code_exec": lambda meta: "raise SystemExit(3)\n",
}


class OracleLM(LM):
    """Answers every request right (the reference) or wrong, from the doc it belongs to."""

    def __init__(self, right: bool) -> None:
        super().__init__()
        self.right = right

    def loglikelihood(self, requests):
        out = []
        for request in requests:
            meta = json.loads(request.doc["meta"])
            is_gold = request.args[1] == meta["choices"][meta["gold"]]
            favoured = is_gold == self.right
            out.append((0.0 if favoured else -10.0, favoured))
        return out

    def loglikelihood_rolling(self, requests):
        raise NotImplementedError

    def generate_until(self, requests):
        out = []
        for request in requests:
            doc = request.doc
            kind = "code_exec" if "tests" in json.loads(doc["meta"]) else \
                ("math" if doc["prompt"].startswith("Problem:") else "gsm8k")
            out.append(doc["completion"] if self.right
                       else WRONG_GENERATION[kind](json.loads(doc["meta"])))
        return out


TASKS = ["arc-easy", "hellaswag", "winogrande", "mmlu:biology", "gsm8k", "math", "mbpp",
         "humaneval", "gsm8k-py"]


@pytest.mark.parametrize("right", [True, False])
def test_every_kind_scores_known_answers(right):
    accuracy = evaluate(OracleLM(right), TASKS, limit=3)
    assert accuracy == {task: (1.0 if right else 0.0) for task in TASKS}


def test_detailed_results_record_data_and_samples(tmp_path):
    result = evaluate_detailed(OracleLM(True), ["gsm8k:train", "arc-easy"], limit=2,
                               work_dir=tmp_path)
    gsm8k = result["tasks"]["gsm8k:train"]
    assert gsm8k["split"] == "train" and gsm8k["n"] == 2 and gsm8k["kind"] == "gsm8k"
    assert gsm8k["data"]["n_rows"] == 2 and gsm8k["data"]["fingerprint"].startswith("sha256:")
    assert result["tasks"]["arc-easy"]["split"] == "test"
    assert [s["correct"] for s in result["samples"]["arc-easy"]] == [True, True]
    assert (tmp_path / "docs" / "gsm8k:train.jsonl").exists()
    assert not (tmp_path / "docs" / ".datasets-cache").exists()


def test_task_without_recipe_names_those_with_one():
    with pytest.raises(recipes.NoRecipeError, match="pycode.*tasks with one: gsm8k"):
        evaluate(OracleLM(True), ["pycode"], limit=1)
    with pytest.raises(recipes.NoRecipeError, match="unknown task"):
        recipes.recipe_for("gsm9k")
    with pytest.raises(recipes.NoRecipeError, match="data file"):
        recipes.recipe_for("rows.jsonl")


def test_generation_config_is_greedy_with_stops(tmp_path):
    recipe, name, split = recipes.recipe_for("humaneval")
    config = recipes.task_config("humaneval", recipe, tmp_path / "d.jsonl", max_gen_toks=32)
    kwargs = config["generation_kwargs"]
    assert kwargs["do_sample"] is False and kwargs["max_gen_toks"] == 32
    assert "\ndef" in kwargs["until"] and config["unsafe_code"] is True
    assert (name, split) == ("humaneval", "test")


class ChatOracleLM(OracleLM):
    """The oracle behind a chat template: it answers the way SFT in the chat format teaches
    (:func:`headprint.data.prompt_format.assistant_content`: code as a fenced program)."""

    def __init__(self, right: bool) -> None:
        super().__init__(right)
        self.contexts: list[str] = []

    @property
    def tokenizer_name(self) -> str:
        return "chat-oracle"

    def chat_template(self, chat_template=False):
        return "<user>...</user><assistant>"

    def apply_chat_template(self, chat_history, add_generation_prompt=True):
        assert [m["role"] for m in chat_history] == ["user"] and add_generation_prompt
        return f"<user>{chat_history[0]['content']}</user><assistant>"

    def loglikelihood(self, requests):
        out = []
        for request in requests:
            meta = json.loads(request.doc["meta"])
            self.contexts.append(request.args[0])
            assert request.args[0] == f"<user>{meta['mc_prompt'].strip()}</user><assistant>"
            is_gold = request.args[1] == meta["choices"][meta["gold"]].strip()
            favoured = is_gold == self.right
            out.append((0.0 if favoured else -10.0, favoured))
        return out

    def generate_until(self, requests):
        from headprint.data.prompt_format import assistant_content

        wrong = super().generate_until(requests) if not self.right else None
        out = []
        for i, request in enumerate(requests):
            doc = request.doc
            self.contexts.append(request.args[0])
            assert request.args[0] == f"<user>{doc['prompt'].strip()}</user><assistant>"
            assert "\ndef" not in request.args[1]["until"]  # raw code stops would cut fences
            row = {"prompt": doc["prompt"], "completion": doc["completion"],
                   "meta": json.loads(doc["meta"])}
            out.append(assistant_content(row) if self.right else wrong[i])
        return out


@pytest.mark.parametrize("right", [True, False])
def test_chat_format_scores_chat_answers(right):
    lm = ChatOracleLM(right)
    result = evaluate_detailed(lm, TASKS, limit=3, prompt_format="chat")
    accuracy = {task: entry["accuracy"] for task, entry in result["tasks"].items()}
    assert accuracy == {task: (1.0 if right else 0.0) for task in TASKS}
    assert result["format"] == "chat" and len(lm.contexts) > len(TASKS)
    config = result["tasks"]["humaneval"]["lm_eval_task"]
    assert config["generation_kwargs"]["until"][0] == "\n```\n"
    assert config["metadata"]["format"] == "chat"
