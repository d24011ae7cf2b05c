"""The adaptive-depth baseline: a Universal Transformer (one weight-tied layer iterated) with ACT halting.

Like the reasoner it applies one set of weights again and again and decides per input how often; unlike the
reasoner it sees the expression as a token sequence, not as a tree. It reads the same leaf-token sequences as
the BERT baseline (:class:`recursa.train.baseline.SequenceDataset`, ``[CLS]`` first).

* Positions and steps are sinusoidal signals added before every application of the layer (Dehghani et al.,
  2019): no learned position table, so sequences longer than any seen in training still get positions.
* Halting is Graves' adaptive computation time, per position: every step each position emits a halting
  probability; a position stops once its sum would pass ``1 - halt_epsilon``, and its output is the
  probability-weighted mean of its states over the steps it took. The ponder cost (steps plus remainder, mean
  over positions) is added to the loss with weight ``ponder_weight``.
* A sequence's *iterations* are the steps until its last position halted (at most ``max_steps``); a batch stops
  as soon as every position of every sequence has halted.
* The label is read from the ``[CLS]`` position's output through a small classification head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedConfig, PreTrainedModel

from recursa.equilibrium.model import TRANSFORMERS_CONFIG_KEYS


class UniversalConfig(PreTrainedConfig):
    r"""Configuration of :class:`UniversalTransformerForSequenceClassification`. Unknown keys raise ``ValueError``.

    Args:
        vocab_size (`int`, *optional*, defaults to 0): token vocabulary (0: :func:`recursa.train.baseline.vocab_size`).
        hidden_size (`int`, *optional*, defaults to 64): width of every state.
        num_attention_heads (`int`, *optional*, defaults to 4): heads of the shared layer.
        intermediate_size (`int`, *optional*, defaults to 256): feed-forward width of the shared layer.
        max_steps (`int`, *optional*, defaults to 24): the most times the layer is applied.
        halt_epsilon (`float`, *optional*, defaults to 0.01): a position halts once its halting sum passes
            ``1 - halt_epsilon``.
        ponder_weight (`float`, *optional*, defaults to 0.01): weight of the ponder cost in the loss.
        halt_bias_init (`float`, *optional*, defaults to -1.0): initial bias of the halting unit (negative:
            several steps at the start of training).
        layer_norm_eps (`float`, *optional*, defaults to 1e-5): epsilon of the layer norms.
        initializer_range (`float`, *optional*, defaults to 0.02): std of the normal initialisation.
    """

    model_type = "recursa-ut"

    vocab_size: int = 0
    hidden_size: int = 64
    num_attention_heads: int = 4
    intermediate_size: int = 256
    max_steps: int = 24
    halt_epsilon: float = 0.01
    ponder_weight: float = 0.01
    halt_bias_init: float = -1.0
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - TRANSFORMERS_CONFIG_KEYS)
        if unknown:
            raise ValueError(f"UniversalConfig: unknown key(s) {', '.join(unknown)}")
        if not self.vocab_size:
            from recursa.train.baseline import vocab_size

            self.vocab_size = vocab_size()
        super().__post_init__(**kwargs)
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden size {self.hidden_size} is not divisible by {self.num_attention_heads} heads")
        if self.max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        if not 0 < self.halt_epsilon < 1:
            raise ValueError("halt_epsilon must lie in (0, 1)")


def sinusoid(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """The transformer's sinusoidal signal for integer ``positions`` (any shape) -> ``[..., dim]``."""
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device, dtype=torch.float32) / half)
    angles = positions.to(torch.float32).unsqueeze(-1) * freq
    out = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
    return F.pad(out, (0, dim - 2 * half))


@dataclass
class UniversalOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor
    iterations: torch.Tensor  # [B] long: steps until the sequence's last position halted
    converged: torch.Tensor  # [B] bool: every position halted before max_steps ran out
    ponder: torch.Tensor  # [B] mean ponder cost (steps + remainder) over the sequence's positions


class UniversalTransformerForSequenceClassification(PreTrainedModel):
    """A weight-tied transformer layer iterated under ACT halting, classifying from ``[CLS]``."""

    config_class = UniversalConfig
    config: UniversalConfig
    base_model_prefix = "universal"
    main_input_name = "input_ids"

    def __init__(self, config: UniversalConfig) -> None:
        super().__init__(config)
        d = config.hidden_size
        self.embed = nn.Embedding(config.vocab_size, d, padding_idx=0)
        self.layer = nn.TransformerEncoderLayer(d, config.num_attention_heads, config.intermediate_size,
                                                dropout=0.0, activation="gelu", layer_norm_eps=config.layer_norm_eps,
                                                batch_first=True, norm_first=True)
        self.halt = nn.Linear(d, 1)
        self.final_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.head = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, config.num_labels))
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if module is getattr(self, "halt", None):
            nn.init.zeros_(module.weight)
            nn.init.constant_(module.bias, self.config.halt_bias_init)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.MultiheadAttention):
            nn.init.normal_(module.in_proj_weight, mean=0.0, std=std)
            nn.init.zeros_(module.in_proj_bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **kwargs: Any) -> UniversalOutput:
        cfg = self.config
        mask = (input_ids != 0) if attention_mask is None else attention_mask.bool()
        b, n = input_ids.shape
        d = cfg.hidden_size
        x = self.embed(input_ids) * math.sqrt(d)
        pos = sinusoid(torch.arange(n, device=input_ids.device), d).to(x.dtype)
        threshold = 1.0 - cfg.halt_epsilon
        halting = x.new_zeros(b, n)
        remainder = x.new_zeros(b, n)
        updates = x.new_zeros(b, n)
        running = mask.clone()
        steps = torch.zeros(b, dtype=torch.long, device=x.device)
        forced = torch.zeros(b, dtype=torch.bool, device=x.device)
        out = torch.zeros_like(x)
        state = x
        pad = ~mask
        for step in range(cfg.max_steps):
            signal = pos + sinusoid(torch.tensor(step, device=x.device), d).to(x.dtype)
            state = self.layer(state + signal, src_key_padding_mask=pad)
            p = torch.sigmoid(self.halt(state)).squeeze(-1)
            last = step == cfg.max_steps - 1
            total = halting + p * running
            halts_now = running & ((total > threshold) | last)
            if last:  # positions still below the threshold are cut off: the sequence did not settle
                forced = (running & ~(total > threshold)).any(dim=1)
            continues = running & ~halts_now
            weight = torch.where(continues, p, torch.zeros_like(p))
            rest = torch.where(halts_now, 1.0 - halting, torch.zeros_like(p))
            weight = weight + rest
            halting = halting + weight
            remainder = remainder + rest
            updates = updates + running.to(x.dtype)
            out = out + weight.unsqueeze(-1) * state
            steps = steps + running.any(dim=1).long()
            running = continues
            if not bool(running.any()):
                break
        logits = self.head(self.final_norm(out[:, 0]))
        count = mask.sum(dim=1).clamp_min(1).to(x.dtype)
        ponder = ((updates + remainder) * mask).sum(dim=1) / count
        converged = ~forced
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits, labels.to(logits.device)) + cfg.ponder_weight * ponder.mean()
        return UniversalOutput(loss=loss, logits=logits, iterations=steps, converged=converged, ponder=ponder)
