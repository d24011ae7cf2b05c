"""Fine-tune a ListOps reasoner into a chain fold with supervised, snapped fold states (wider operators).

    python -m recursa.train.width_finetune --init recursa/models/default --out runs/width/chain \\
        --steps 15000 --threads 1

Starts from the weights of ``--init`` (every tensor it has), switches the fold to ``fold_shape="chain"`` (the
children folded left to right, ``acc <- combine(acc, child)``) and adds a fold-state head: the accumulator after
each argument of a ``MAX`` / ``MIN`` / ``SM`` is trained to read as (operator, partial value) and is snapped to
that class's centroid at inference (:func:`recursa.tasks.listops.fold_state_labels`; ``MED`` accumulators are
only classified as such). Training data: the task's training split, depths 1-5, 2-5 arguments (as the shipped
model). Saves ``save_pretrained`` folders under ``--out`` (``step-N`` every ``--save-every`` steps and
``final``) and a ``log.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from recursa.tasks import listops
from recursa.tasks.registry import generate, get_task


def fold_labels_of(batch, node_labels: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
    """:func:`~recursa.tasks.listops.fold_state_labels` of a tree batch, as a tensor."""
    return torch.tensor(listops.fold_state_labels(batch.parent.tolist(), batch.rank.tolist(),
                                                  batch.token.tolist(), node_labels.tolist()), dtype=torch.long)


def fold_factors_of(batch, node_labels: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
    """:func:`~recursa.tasks.listops.fold_factor_labels` of a tree batch, as a ``[N, 9]`` tensor."""
    return torch.tensor(listops.fold_factor_labels(batch.parent.tolist(), batch.rank.tolist(),
                                                   batch.token.tolist(), node_labels.tolist()), dtype=torch.long)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", default="recursa/models/default")
    ap.add_argument("--out", required=True)
    ap.add_argument("--task", default="listops")
    ap.add_argument("--steps", type=int, default=15000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--min-lr-ratio", type=float, default=0.05)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--train-size", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save-every", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop (and save) after this wall time")
    ap.add_argument("--med-factors", action="store_true",
                    help="MED accumulators carry their clipped threshold balances (listops.med_balances)")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from recursa.equilibrium.model import RecursaConfig, RecursaForTreeClassification
    from recursa.tasks.dataset import TreeDataset
    from recursa.train.cli_support import parse_set_options
    from recursa.train.models import quiet_transformers

    quiet_transformers()
    base = RecursaForTreeClassification.from_pretrained(args.init)
    options = base.config.to_dict()
    for key in ("architectures", "transformers_version", "model_type", "id2label", "label2id", "dtype",
                "torch_dtype", "return_dict", "output_hidden_states", "output_attentions", "problem_type",
                "tie_word_embeddings", "chunk_size_feed_forward", "is_encoder_decoder", "add_cross_attention",
                "tokenizer_class", "pad_token_id", "bos_token_id", "eos_token_id", "sep_token_id",
                "decoder_start_token_id", "task_specific_params", "cross_attention_hidden_size", "is_decoder",
                "finetuning_task", "prefix", "pruned_heads", "_name_or_path"):
        options.pop(key, None)
    options.update(fold_shape="chain", fold_state_classes=listops.FOLD_STATE_CLASSES,
                   fold_state_snapped=listops.FOLD_MED_CLASS, fold_state_weight=1.0)
    if args.med_factors:
        options.update(fold_factor_class=listops.FOLD_MED_CLASS, fold_factors=listops.MED_THRESHOLDS,
                       fold_factor_values=listops.MED_BALANCE_VALUES)
    options.update(parse_set_options(args.settings))
    num_labels = options.pop("num_labels", base.config.num_labels)
    config = RecursaConfig(num_labels=num_labels, **{k: v for k, v in options.items()
                                                     if k in RecursaConfig.__annotations__})
    model = RecursaForTreeClassification(config)
    missing, unexpected = model.load_state_dict(base.state_dict(), strict=False)
    print(f"from {args.init}: new tensors {missing}, dropped {unexpected}", file=sys.stderr)
    model.train()

    spec = get_task(args.task)
    depths = list(range(spec.train_depths[0], spec.train_depths[1] + 1))
    per = math.ceil(args.train_size / (len(depths) * len(spec.syntaxes)))
    examples = generate(spec, depths, per, seed=args.seed, split="train")
    data = TreeDataset(examples, num_labels=num_labels, node_labels=True,
                       splice_kinds=list(config.splice_kinds or []))
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.ndim >= 2 and "embed" not in name and "norm" not in name.lower() else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98))

    def factor(step: int) -> float:
        if step < args.warmup:
            return (step + 1) / args.warmup
        t = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
        return args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "command.json").write_text(json.dumps({"argv": sys.argv if argv is None else argv,
                                                  "args": vars(args)}, indent=1) + "\n")
    log = (out / "log.jsonl").open("a", encoding="utf-8")
    t0 = time.time()
    window: list[tuple[float, float]] = []
    step = 0
    for step in range(1, args.steps + 1):
        rng = np.random.default_rng([args.seed, step])
        idx = rng.choice(len(data), size=args.batch_size, replace=True)
        batch, labels = data.batch(idx)
        node_labels = data.node_label_batch(idx)
        fold_labels = fold_labels_of(batch, node_labels)
        factors = fold_factors_of(batch, node_labels) if config.fold_factors else None
        opt.zero_grad(set_to_none=True)
        res = model(batch, labels=labels, node_labels=node_labels, fold_labels=fold_labels, fold_factors=factors)
        res.loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        if math.isfinite(gn) and math.isfinite(float(res.loss.detach())):
            opt.step()
        sched.step()
        acc = float((res.logits.argmax(-1) == labels).float().mean())
        window.append((float(res.loss.detach()), acc))
        if step % 50 == 0 or step == args.steps:
            loss_m, acc_m = (float(np.mean([w[i] for w in window])) for i in (0, 1))
            window.clear()
            rec = {"step": step, "loss": round(loss_m, 5), "accuracy": round(acc_m, 4), "grad_norm": round(gn, 4),
                   "lr": sched.get_last_lr()[0], "elapsed_s": round(time.time() - t0, 1)}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), file=sys.stderr, flush=True)
        over = args.max_minutes > 0 and time.time() - t0 > 60 * args.max_minutes
        if step % args.save_every == 0 or over:
            model.save_pretrained(str(out / "latest"))
            (out / "latest" / "step.txt").write_text(f"{step}\n")
        if over:
            break
    model.save_pretrained(str(out / "final"))
    (out / "final" / "step.txt").write_text(f"{step}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
