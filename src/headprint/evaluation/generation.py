"""Greedy generation for the generation tasks, with stop strings that never cut an answer
before it starts, and every empty answer counted.

lm-evaluation-harness's ``HFLM`` decodes a continuation with special tokens dropped and cuts
it at the first occurrence of any stop string. An instruct model prompted without its chat
template may open with special tokens and newlines (Qwen2.5-Coder: ``<|im_start|>\\n`` three
times); once the special tokens are dropped the text starts with ``\\n\\n\\n``, a stop string
of the code tasks, and the answer is cut to nothing, silently. :class:`HeadprintLM` (an
``HFLM``) generates and cuts by this rule instead, in :func:`cut_generation`:

1. the continuation ends at the model's first end-of-sequence token (what follows is
   padding);
2. its *lead*, the leading special tokens and whitespace, is never searched for stop
   strings; the rest is cut at the earliest occurrence of any stop string;
3. special tokens are removed from what is kept (leading whitespace stays: it is a code
   continuation's indentation).

The same rule stops generation early (:class:`LeadAwareStop`, per row of a batch), so a
stop string inside the lead does not end the generation either.

A generation is *empty* when what is kept is blank; :class:`Cut` records it and the stop
string that ended the generation (``None``: the token budget ran out).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from lm_eval.models.huggingface import HFLM
from transformers import StoppingCriteria, StoppingCriteriaList

__all__ = ["Cut", "special_strings", "eos_ids", "lead_length", "find_stop", "cut_generation",
           "LeadAwareStop", "HeadprintLM"]


@dataclass
class Cut:
    """One generation after the cut.

    Attributes:
        text: the generation as scored (special tokens removed).
        stop: the stop string (or end-of-sequence token) that ended it; None when the token
            budget ran out.
        empty: ``text`` is blank.
        raw: the decoded continuation up to the end-of-sequence token, special tokens kept.
        lead: characters of ``raw`` in its lead (leading special tokens and whitespace).
    """

    text: str
    stop: str | None
    empty: bool
    raw: str = ""
    lead: int = 0

    def record(self) -> dict[str, Any]:
        return {"empty": self.empty, "stop": self.stop}


def special_strings(tokenizer: Any) -> tuple[str, ...]:
    """Text of the tokenizer's special tokens, longest first."""
    found = set(getattr(tokenizer, "all_special_tokens", []) or [])
    decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    found |= {token.content for token in decoder.values() if getattr(token, "special", False)}
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def eos_ids(tokenizer: Any, model: Any = None) -> set[int]:
    """Token ids that end a generation: the tokenizer's eos and the model's generation
    config's (which may list several)."""
    ids: set[int] = set()
    if getattr(tokenizer, "eos_token_id", None) is not None:
        ids.add(int(tokenizer.eos_token_id))
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids |= {int(i) for i in configured}
    return ids


@functools.lru_cache(maxsize=8)
def _patterns(specials: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern | None]:
    """``(lead, any special)`` regexes (Gemma's tokenizer has some 6,000 special tokens)."""
    ordered = sorted(specials, key=len, reverse=True)  # longest first: no prefix wins
    alternation = "|".join(re.escape(s) for s in ordered)
    lead = re.compile(rf"(?:\s|{alternation})*" if ordered else r"\s*")
    return lead, re.compile(alternation) if ordered else None


def lead_length(text: str, specials: Sequence[str]) -> int:
    """Characters at the start of ``text`` that are special tokens or whitespace."""
    return _patterns(tuple(specials))[0].match(text).end()


def find_stop(text: str, stops: Sequence[str], specials: Sequence[str]
              ) -> tuple[int, str] | None:
    """``(position, stop)`` of the earliest stop string after the lead, or None."""
    lead = lead_length(text, specials)
    best: tuple[int, str] | None = None
    for stop in stops:
        if not stop:
            continue
        found = text.find(stop, lead)
        if found >= 0 and (best is None or found < best[0]):
            best = (found, stop)
    return best


def _strip_specials(text: str, specials: Sequence[str]) -> str:
    pattern = _patterns(tuple(specials))[1]
    return pattern.sub("", text) if pattern is not None else text


def _until_eos(token_ids: Sequence[int], ends: set[int]) -> tuple[list[int], bool]:
    for i, token in enumerate(token_ids):
        if token in ends:
            return list(token_ids[:i]), True
    return list(token_ids), False


def cut_generation(token_ids: Sequence[int], tokenizer: Any, stops: Sequence[str],
                   ends: set[int] | None = None, specials: Sequence[str] | None = None
                   ) -> Cut:
    """Cut generated ``token_ids`` (the continuation only) by the rule of the module
    docstring."""
    ends = eos_ids(tokenizer) if ends is None else ends
    specials = special_strings(tokenizer) if specials is None else specials
    ids, ended = _until_eos(token_ids, ends)
    raw = tokenizer.decode(ids, skip_special_tokens=False)
    lead = lead_length(raw, specials)
    found = find_stop(raw, stops, specials)
    kept = raw if found is None else raw[:found[0]]
    text = _strip_specials(kept, specials)
    if found is not None:
        stop = found[1]
    elif ended:
        stop = tokenizer.decode([token_ids[len(ids)]], skip_special_tokens=False)
    else:
        stop = None
    return Cut(text, stop, not text.strip(), raw, lead)


class LeadAwareStop(StoppingCriteria):
    """Per-row stop of a batched ``generate``: the row's continuation holds a stop string
    after its lead (:func:`find_stop`)."""

    def __init__(self, tokenizer: Any, stops: Sequence[str], context_length: int,
                 ends: set[int], specials: Sequence[str]) -> None:
        self.tokenizer, self.stops = tokenizer, [s for s in stops if s]
        self.context_length, self.ends, self.specials = context_length, ends, specials
        self.done: list[bool] | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any
                 ) -> torch.BoolTensor:
        if self.done is None:
            self.done = [False] * input_ids.shape[0]
        for row in range(input_ids.shape[0]):
            if self.done[row]:
                continue
            ids, ended = _until_eos(input_ids[row, self.context_length:].tolist(), self.ends)
            if ended:
                self.done[row] = True
                continue
            text = self.tokenizer.decode(ids, skip_special_tokens=False)
            self.done[row] = find_stop(text, self.stops, self.specials) is not None
        return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)


class HeadprintLM(HFLM):
    """lm-eval's ``HFLM`` on an in-memory model, generating by the rule of the module
    docstring. ``cuts`` maps each generation request's context to its :class:`Cut`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cuts: dict[str, Cut] = {}
        self._specials = special_strings(self.tokenizer)
        self._ends = eos_ids(self.tokenizer, self.model)

    def get_model_info(self) -> dict:  # its hub look-up of a model object is meaningless
        return {}

    def _model_generate(self, context: torch.Tensor, max_length: int, stop: list[str],
                        **generation_kwargs: Any) -> torch.Tensor:
        generation_kwargs.pop("temperature", None)
        generation_kwargs["do_sample"] = False  # greedy, as every headprint recipe asks
        criteria = StoppingCriteriaList([LeadAwareStop(
            self.tokenizer, stop, context.shape[1], self._ends, self._specials)])
        return self.model.generate(input_ids=context, max_length=max_length,
                                   stopping_criteria=criteria,
                                   pad_token_id=self.tokenizer.pad_token_id, use_cache=True,
                                   **generation_kwargs)

    def generate_until(self, requests: list, disable_tqdm: bool = False) -> list[str]:
        from lm_eval.models.utils import handle_stop_sequences, normalize_gen_kwargs
        from tqdm import tqdm

        eos = self.tok_decode(self.eot_token_id, skip_special_tokens=False)
        groups: dict[str, list[int]] = {}
        for i, request in enumerate(requests):
            key = json.dumps(request.args[1], sort_keys=True, default=str)
            groups.setdefault(key, []).append(i)
        batch_size = self.batch_size if isinstance(self.batch_size, int) else 1
        results: list[str | None] = [None] * len(requests)
        bar = tqdm(total=len(requests), disable=disable_tqdm or self.rank != 0,
                   desc="Running generate_until requests")
        for indices in groups.values():
            # longest contexts first: the first batch shows the worst memory and time
            indices.sort(key=lambda i: -len(self.tok_encode(requests[i].args[0])))
            for start in range(0, len(indices), batch_size):
                batch = indices[start:start + batch_size]
                contexts = [requests[i].args[0] for i in batch]
                kwargs = normalize_gen_kwargs(dict(requests[batch[0]].args[1]),
                                              self.max_gen_toks)
                until = handle_stop_sequences(kwargs.pop("until", None), eos=eos)
                max_gen_toks = kwargs.pop("max_gen_toks")
                kwargs.pop("max_length", None)
                encoded, mask = self.tok_batch_encode(
                    contexts, left_truncate_len=self.max_length - max_gen_toks,
                    truncation=self.truncation)
                output = self._model_generate(
                    context=encoded.to(self.device), attention_mask=mask.to(self.device),
                    stop=until, max_length=encoded.shape[1] + max_gen_toks, **kwargs)
                for i, context, row in zip(batch, contexts, output.tolist()):
                    cut = cut_generation(row[encoded.shape[1]:], self.tokenizer, until,
                                         self._ends, self._specials)
                    self.cuts[context] = cut
                    results[i] = cut.text
                    self.cache_hook.add_partial("generate_until",
                                                (context, requests[i].args[1]), cut.text)
                    bar.update(1)
        bar.close()
        return [r if r is not None else "" for r in results]
