"""``recursa eval invariants``, ``recursa eval synth`` and ``recursa eval synth-values``: the guide models
``recursa train`` also offers.

Neither is a labelled-tree task: the invariant ranker orders candidate invariants of a loop, the synthesis
guide scores grammar productions. Each is measured as its own training run measures it, on freshly generated
held-out data:

* ``invariants``: template programs from seed ``INVARIANT_SEED_OFFSET + --seed`` (the shipped recipe trains on
  seeds 0-2), their candidates labelled with Z3; reported: where the candidates the proof needs land in the
  model's order and in grammar order (mean normalised rank, 0 = first; share of loops with all of them in the
  first 16);
* ``synth``: problems from seed ``--seed + HELD_OUT_SEED_OFFSET`` (the guide's own held-out seed space),
  never the suite's files; reported: top-1 (the guide's first production in a non-terminal is one the target
  uses) against chance, and the mean cost it gives to used and unused productions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from recursa.train.cli_support import InputError

INVARIANT_SEED_OFFSET = 1000
DEFAULT_PROGRAMS = {"invariants": 50, "synth": 300, "synth-values": 120}


def evaluate_guide(task: str, checkpoint: str | None, count: int | None, seed: int, as_json: bool,
                   threads: int) -> None:
    """Evaluate the invariant ranker or the synthesis guide (``task``) and print the figures."""
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    n = count or DEFAULT_PROGRAMS[task]
    run = {"invariants": _invariants, "synth": _synth, "synth-values": _synth_values}[task]
    metrics = run(checkpoint, n, seed)
    if as_json:
        click.echo(json.dumps(metrics, indent=1))
        return
    for key, value in metrics.items():
        click.echo(f"{key}: {round(value, 4) if isinstance(value, float) else value}")


def _load_guide(cls: Any, checkpoint: str | None, default: Path, task: str, what: str) -> tuple[Any, Path]:
    """The model of class ``cls`` in ``checkpoint`` (or the shipped ``default``) and its directory."""
    from recursa.train.models import quiet_transformers

    path = Path(checkpoint) if checkpoint is not None else default
    if not (path / "config.json").is_file():
        raise InputError(f"{path}: no {task} model here (config.json missing); train one with "
                         f"`recursa train {task} -o DIR` and pass --checkpoint DIR")
    quiet_transformers()  # no weight-loading progress bar on stderr
    try:
        return cls.from_pretrained(str(path)), path
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not {what} ({exc})") from None


def _invariants(checkpoint: str | None, programs: int, seed: int) -> dict[str, Any]:
    from recursa.paths import INVARIANT_MODEL_DIR
    from recursa.refine.neural import RecursaForInvariantRanking
    from recursa.refine.train_ranker import build_dataset, ranking_quality

    model, model_dir = _load_guide(RecursaForInvariantRanking, checkpoint, INVARIANT_MODEL_DIR, "invariants",
                                   "an invariant ranker")
    held_out_seed = INVARIANT_SEED_OFFSET + seed
    examples = build_dataset(programs, held_out_seed)
    quality = ranking_quality(model, examples)
    return {"task": "invariants", "model_dir": str(model_dir), "programs": programs, "seed": held_out_seed,
            **quality}


def _synth(checkpoint: str | None, problems: int, seed: int) -> dict[str, Any]:
    from recursa.paths import SYNTH_MODEL_DIR
    from recursa.synth.generate import generate, suite_texts
    from recursa.synth.neural import RecursaForProductionScoring
    from recursa.synth.train_guide import HELD_OUT_SEED_OFFSET, evaluate, make_example

    model, model_dir = _load_guide(RecursaForProductionScoring, checkpoint, SYNTH_MODEL_DIR, "synth",
                                   "a synthesis guide")
    held_out_seed = seed + HELD_OUT_SEED_OFFSET
    exclude = suite_texts()
    examples = [make_example(g) for g in generate(problems, held_out_seed, exclude=exclude)]
    return {"task": "synth", "model_dir": str(model_dir), "problems": len(examples), "seed": held_out_seed,
            **evaluate(model, examples)}


def _synth_values(checkpoint: str | None, problems: int, seed: int) -> dict[str, Any]:
    """The value scorer (a JSON file: --checkpoint, or the shipped one) on held-out generated problems."""
    from recursa.paths import SYNTH_MODEL_DIR
    from recursa.synth.train_values import evaluate_values
    from recursa.synth.values import ValueModel

    path = Path(checkpoint) if checkpoint is not None else SYNTH_MODEL_DIR / "values.json"
    if path.is_dir():
        path = path / "values.json"
    if not path.is_file():
        raise InputError(f"{path}: no value scorer here; train one with `recursa train synth-values -o FILE` "
                         "and pass --checkpoint FILE")
    try:
        model = ValueModel.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a value scorer ({exc})") from None
    return {"task": "synth-values", "model": str(path), "seed": seed, **evaluate_values(model, problems, seed)}
