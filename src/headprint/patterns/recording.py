"""``record_head_scores``: head scores from the user's own forward and backward.

Inside the context, every forward of ``model`` is watched at each attention output
projection (the same hook point as ``headprint patterns``). Whatever loss the user computes
and back-propagates, the recorder then holds, for the last backward:

- ``scores``: float32 ``[B, L, H]``, the head score of each sample (``paper``:
  ``|Σ_t ⟨O_t, ∂ℓ/∂O_t⟩|`` over the sample's real tokens);
- ``contributions`` (with ``per_token=True``): float32 ``[B, T, L, H]``, the signed
  per-token terms ``⟨O_t, ∂ℓ/∂O_t⟩`` whose sum over t is the signed score. The ``paper``
  hook computes them anyway, so they cost one copy to the CPU.

Pads are excluded through the ``attention_mask`` passed to the model's forward (all tokens
count when none is passed). With ``loss = Σ_b mean_t CE(b, t)`` the scores are exactly those
of ``headprint patterns --loss sample``.

If no parameter and no input requires grad (a frozen model), the input embeddings' output is
made the one leaf that does, so backward reaches the heads without any parameter gradient.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

from headprint.errors import HeadprintError
from headprint.models.architecture import attention_layout

__all__ = ["HeadScoreRecording", "record_head_scores"]


class HeadScoreRecording:
    """What :func:`record_head_scores` yields; filled during backward.

    Attributes:
        num_layers, num_heads: L and H of the model.
        per_token: whether per-token contributions are kept.
    """

    def __init__(self, num_layers: int, num_heads: int, per_token: bool) -> None:
        self.num_layers, self.num_heads, self.per_token = num_layers, num_heads, per_token
        self._signed: dict[int, torch.Tensor] = {}      # layer -> [B, H]
        self._tokens: dict[int, torch.Tensor] = {}      # layer -> [B, T, H]
        self.token_mask: torch.Tensor | None = None     # [B, T] bool, from the last forward

    def _layers_done(self) -> list[int]:
        return sorted(self._signed)

    def _check_complete(self) -> None:
        missing = [i for i in range(self.num_layers) if i not in self._signed]
        if missing:
            raise HeadprintError(
                f"no gradient reached layers {missing} of the recorded forward: call "
                f"loss.backward() inside record_head_scores(...), on a loss that depends on "
                f"the model's output")

    @property
    def signed_scores(self) -> torch.Tensor:
        """float32 ``[B, L, H]``: ``Σ_t ⟨O_t, ∂ℓ/∂O_t⟩`` (the first-order effect of the head)."""
        self._check_complete()
        return torch.stack([self._signed[i] for i in range(self.num_layers)], dim=1)

    @property
    def scores(self) -> torch.Tensor:
        """float32 ``[B, L, H]``: the ``paper`` head score, ``|signed_scores|``."""
        return self.signed_scores.abs()

    @property
    def contributions(self) -> torch.Tensor:
        """float32 ``[B, T, L, H]``: per-token signed terms (``per_token=True`` only)."""
        if not self.per_token:
            raise HeadprintError("per-token contributions were not kept: use "
                                 "record_head_scores(model, per_token=True)")
        self._check_complete()
        return torch.stack([self._tokens[i] for i in range(self.num_layers)], dim=2)

    def reset(self) -> None:
        """Forget the last backward's numbers (done automatically at each forward)."""
        self._signed.clear()
        self._tokens.clear()


@contextmanager
def record_head_scores(model: torch.nn.Module, method: str = "paper",
                       per_token: bool = False) -> Iterator[HeadScoreRecording]:
    """Record per-sample head scores of the user's own loss; see the module docstring.

    Args:
        model: a Hugging Face causal LM of a supported family (already in memory).
        method: ``"paper"`` (the only method available inside a user's loop: ``abs`` needs
            the attention probabilities, use :func:`headprint.compute_patterns` for it).
        per_token: also keep the ``[B, T, L, H]`` per-token contributions.
    """
    if method != "paper":
        raise HeadprintError(f"record_head_scores supports method='paper' only, got "
                             f"{method!r}; compute 'abs' patterns with compute_patterns")
    layout = attention_layout(model)
    heads, head_dim = layout.num_heads, layout.head_dim
    recording = HeadScoreRecording(layout.num_layers, heads, per_token)
    needs_leaf = not any(p.requires_grad for p in model.parameters())

    def on_forward(_module, args, kwargs):
        recording.reset()
        mask = kwargs.get("attention_mask")
        recording.token_mask = None if mask is None else mask.detach().bool()
        return None

    def make_leaf(_module, _inputs, output):
        return output if output.requires_grad else output.detach().requires_grad_(True)

    def make_pre_hook(layer: int):
        def pre_hook(_module, args):
            head_outputs = args[0]
            if not head_outputs.requires_grad:
                return None
            outputs = head_outputs.detach()  # no tensor -> hook -> tensor cycle

            def on_grad(grad: torch.Tensor) -> None:
                batch, length = grad.shape[:2]
                inner = (outputs.float() * grad.float()).view(
                    batch, length, heads, head_dim).sum(-1)          # [B, T, H]
                if recording.token_mask is not None:
                    mask = recording.token_mask[:, :length, None]
                    inner = inner * mask.to(device=inner.device, dtype=inner.dtype)
                recording._signed[layer] = inner.sum(1).detach().cpu()
                if per_token:
                    recording._tokens[layer] = inner.detach().cpu()

            head_outputs.register_hook(on_grad)
            return None

        return pre_hook

    handles = [model.register_forward_pre_hook(on_forward, with_kwargs=True)]
    handles += [proj.register_forward_pre_hook(make_pre_hook(i))
                for i, proj in enumerate(layout.out_projections)]
    if needs_leaf:
        handles.append(model.get_input_embeddings().register_forward_hook(make_leaf))
    try:
        yield recording
    finally:
        for handle in handles:
            handle.remove()
