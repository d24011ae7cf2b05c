"""The Universal Transformer baseline: ACT halting, padding, saving and loading."""

from __future__ import annotations

import torch

from recursa.train.universal import UniversalConfig, UniversalTransformerForSequenceClassification, sinusoid


def _model(**kw) -> UniversalTransformerForSequenceClassification:
    torch.manual_seed(0)
    cfg = UniversalConfig(vocab_size=40, hidden_size=32, num_attention_heads=4, intermediate_size=64,
                          num_labels=10, **kw)
    return UniversalTransformerForSequenceClassification(cfg).eval()


IDS = torch.tensor([[1, 5, 6, 7, 0, 0], [1, 8, 9, 10, 11, 12]])


def test_halting_at_once_takes_one_step() -> None:
    m = _model(max_steps=12, halt_bias_init=20.0)
    out = m(IDS)
    assert out.iterations.tolist() == [1, 1]
    assert out.converged.all()
    # Graves' ponder cost N + R: one update, and the whole remainder (nothing was spent before the halting step)
    assert torch.allclose(out.ponder, torch.full((2,), 2.0), atol=1e-6)


def test_never_halting_runs_to_the_cap_and_says_so() -> None:
    m = _model(max_steps=5, halt_bias_init=-30.0)
    out = m(IDS)
    assert out.iterations.tolist() == [5, 5]
    assert not out.converged.any()


def test_steps_follow_the_halting_unit() -> None:
    # p = sigmoid(0) = 0.5 everywhere: the sum passes 0.99 at the second step
    m = _model(max_steps=10, halt_bias_init=0.0)
    assert m(IDS).iterations.tolist() == [2, 2]


def test_padding_does_not_change_a_sequence() -> None:
    m = _model(max_steps=6)
    alone = m(IDS[:1, :4]).logits
    padded = m(IDS).logits[:1]
    assert torch.allclose(alone, padded, atol=1e-5)


def test_loss_has_gradients_in_every_weight_and_reload_is_exact(tmp_path) -> None:
    m = _model(max_steps=6).train()
    out = m(IDS, labels=torch.tensor([3, 4]))
    out.loss.backward()
    missing = [n for n, p in m.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []
    m.eval()
    m.save_pretrained(str(tmp_path))
    again = UniversalTransformerForSequenceClassification.from_pretrained(str(tmp_path)).eval()
    assert torch.equal(m(IDS).logits, again(IDS).logits)


def test_sinusoid_is_the_transformer_signal() -> None:
    s = sinusoid(torch.arange(3), 4)
    assert s.shape == (3, 4)
    assert torch.allclose(s[:, 0], torch.sin(torch.arange(3.0)))
    assert torch.allclose(s[:, 2], torch.cos(torch.arange(3.0)))


def test_trains_saves_and_loads_through_the_task_model_interface(tmp_path) -> None:
    from recursa.tasks.registry import generate
    from recursa.train.evaluate import predict
    from recursa.train.models import UniversalModel, load_model
    from recursa.train.trainer import TrainConfig, train

    cfg = TrainConfig(task="listops", output=str(tmp_path / "run"), model="universal", steps=4, batch_size=8,
                      train_size=64, hidden_size=32, layers=6, threads=1, device="cpu", progress=False,
                      tensorboard=False, checkpoint_every=4)
    result = train(cfg)
    model = load_model(result.checkpoint)
    assert isinstance(model, UniversalModel) and model.module.config.max_steps == 6
    examples = generate("listops", [1, 3], 4, seed=1)
    p = predict(model, model.dataset(examples))
    assert ((p.iterations >= 1) & (p.iterations <= 6)).all()
    assert p.predicted.shape == (len(examples),)
