"""Row builders for multiple-choice tasks: ARC, HellaSwag, Winogrande, MMLU.

Every row's completion is the *text* of the correct answer, so the SFT loss falls on a
meaningful span, and ``meta`` carries what a log-likelihood evaluation needs::

    meta = {"mc_prompt": str,        # the prompt the choices continue (== row["prompt"])
            "choices": [str, ...],   # continuations, each starting with a space
            "gold": int,             # index of the correct continuation
            ...}                     # task extras (subject, labels)

so ``row["completion"] == meta["choices"][meta["gold"]]``. Formats (prompt | completion):

- ARC: ``"Question: <q>\\nAnswer:"`` | ``" <answer text>"``. Id
  ``arc-<challenge|easy>/<split>/<ARC id>``.
- HellaSwag (lm-evaluation-harness preprocessing: ``[title]`` → ``.``, bracketed tags
  removed): ``"<activity>: <context>"`` | ``" <ending>"``. Id ``hellaswag/<split>/<n>``.
- Winogrande, posed as a question so the loss is on the option:
  ``"<sentence with _>\\nQuestion: In the sentence above, who or what does _ refer to,
  <option1> or <option2>?\\nAnswer:"`` | ``" <option>"``. Id ``winogrande/<split>/<n>``.
- MMLU: ``"The following is a multiple choice question about <subject>.\\n\\n<q>\\nA. ...
  \\nD. ...\\nAnswer:"`` | ``" <letter>. <answer text>"``. Id
  ``mmlu/<subject>/<shipped split>/<n>`` (``n`` counts rows of that subject and split).
"""
from __future__ import annotations

import re

__all__ = ["MMLU_SUBJECTS", "MMLU_GROUPS", "arc", "arc_from_request_doc", "hellaswag",
           "winogrande", "mmlu"]

MMLU_SUBJECTS = (
    "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge",
    "college_biology", "college_chemistry", "college_computer_science",
    "college_mathematics", "college_medicine", "college_physics", "computer_security",
    "conceptual_physics", "econometrics", "electrical_engineering", "elementary_mathematics",
    "formal_logic", "global_facts", "high_school_biology", "high_school_chemistry",
    "high_school_computer_science", "high_school_european_history", "high_school_geography",
    "high_school_government_and_politics", "high_school_macroeconomics",
    "high_school_mathematics", "high_school_microeconomics", "high_school_physics",
    "high_school_psychology", "high_school_statistics", "high_school_us_history",
    "high_school_world_history", "human_aging", "human_sexuality", "international_law",
    "jurisprudence", "logical_fallacies", "machine_learning", "management", "marketing",
    "medical_genetics", "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition",
    "philosophy", "prehistory", "professional_accounting", "professional_law",
    "professional_medicine", "professional_psychology", "public_relations",
    "security_studies", "sociology", "us_foreign_policy", "virology", "world_religions",
)
# The paper's Appendix A (following MMLU-Pro, Wang et al. 2024b).
MMLU_GROUPS = {
    "math": ("college_mathematics", "abstract_algebra", "elementary_mathematics",
             "high_school_statistics", "high_school_mathematics"),
    "physics": ("college_physics", "high_school_physics", "conceptual_physics"),
    "chemistry": ("college_chemistry", "high_school_chemistry"),
    "biology": ("college_biology", "high_school_biology"),
}
_LETTERS = "ABCDEFGHIJ"


def _mc_row(row_id: str, prompt: str, choices: list[str], gold: int, **extra) -> dict:
    if not 0 <= gold < len(choices):
        raise ValueError(f"{row_id}: gold index {gold} outside {len(choices)} choices")
    return {"id": row_id, "prompt": prompt, "completion": choices[gold],
            "meta": {"mc_prompt": prompt, "choices": choices, "gold": gold, **extra}}


def arc(docs: list[dict], split: str, name: str) -> list[dict]:
    """ARC rows from ``{id, question, choices: {text, label}, answerKey}`` docs."""
    rows = []
    for doc in docs:
        labels = [str(label) for label in doc["choices"]["label"]]
        rows.append(_mc_row(
            f"{name}/{split}/{doc['id']}", f"Question: {doc['question'].strip()}\nAnswer:",
            [" " + text.strip() for text in doc["choices"]["text"]],
            labels.index(str(doc["answerKey"]))))
    return rows


def arc_from_request_doc(doc: dict) -> dict:
    """An OLMES ARC request doc (``query``, ``choices``, ``gold``) in the hub schema."""
    question = doc["query"].removeprefix("Question:").removesuffix("Answer:").strip()
    labels = list(_LETTERS[: len(doc["choices"])])
    return {"id": doc["id"], "question": question,
            "choices": {"text": doc["choices"], "label": labels},
            "answerKey": labels[doc["gold"]]}


def _hellaswag_clean(text: str) -> str:
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def hellaswag(docs: list[dict], split: str) -> list[dict]:
    """HellaSwag rows from ``{activity_label, ctx_a, ctx_b, endings, label}`` docs."""
    rows = []
    for i, doc in enumerate(docs):
        context = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
        prompt = _hellaswag_clean(doc["activity_label"] + ": " + context)
        choices = [" " + _hellaswag_clean(ending) for ending in doc["endings"]]
        rows.append(_mc_row(f"hellaswag/{split}/{i}", prompt, choices, int(doc["label"])))
    return rows


def winogrande(docs: list[dict], split: str) -> list[dict]:
    """Winogrande rows from ``{sentence, option1, option2, answer}`` docs."""
    rows = []
    for i, doc in enumerate(docs):
        options = [doc["option1"].strip(), doc["option2"].strip()]
        prompt = (f"{doc['sentence'].strip()}\nQuestion: In the sentence above, who or what "
                  f"does _ refer to, {options[0]} or {options[1]}?\nAnswer:")
        rows.append(_mc_row(f"winogrande/{split}/{i}", prompt, [" " + o for o in options],
                            int(doc["answer"]) - 1))
    return rows


def mmlu(docs: list[dict], split: str) -> list[dict]:
    """MMLU rows from ``{question, subject, choices, answer}`` docs (any mix of subjects)."""
    rows = []
    seen: dict[str, int] = {}
    for doc in docs:
        subject = doc["subject"]
        n = seen.get(subject, 0)
        seen[subject] = n + 1
        letters = _LETTERS[: len(doc["choices"])]
        listing = "".join(f"{letter}. {str(choice).strip()}\n"
                          for letter, choice in zip(letters, doc["choices"]))
        prompt = (f"The following is a multiple choice question about "
                  f"{subject.replace('_', ' ')}.\n\n{doc['question'].strip()}\n{listing}Answer:")
        choices = [f" {letter}. {str(choice).strip()}"
                   for letter, choice in zip(letters, doc["choices"])]
        rows.append(_mc_row(f"mmlu/{subject}/{split}/{n}", prompt, choices, int(doc["answer"]),
                            subject=subject))
    return rows
