"""Write a task suite's manifest and small sample files into ``tasks/<family>/``.

    python -m recursa.tasks.suite listops tasks/listops
    python -m recursa.tasks.suite arith tasks/arith

Large sets are never written: training and evaluation generate them on the fly from the same seeds.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from recursa.tasks import listops
from recursa.tasks.io import write_examples
from recursa.tasks.registry import generate, get_task, split_of

SAMPLE_DEPTHS = (1, 2, 3, 4, 5, 6, 7, 8, 12, 20)
SAMPLE_SEED = 7
SAMPLE_PER_DEPTH = 3

_SEMANTICS = {
    "listops": {
        "MAX": "maximum", "MIN": "minimum", "MED": "median, rounded down for an even count",
        "SM": "sum mod 10", "FIRST": "first argument (read, never generated)",
        "LAST": "last argument (read, never generated)",
        "arguments": "2-5 per operator, digits 0-9 or nested operators",
    },
    "arith": {"+": "addition", "-": "subtraction", "*": "multiplication",
              "label": "value of the expression mod 10 (0-9)"},
}
_SYNTAX_DOC = {
    "listops": {"python": "max(3, med(1, 9, 4), sm(7, 8)) (language python)",
                "brackets": "[MAX 3 [MED 1 9 4 ] [SM 7 8 ] ] (language listops; parsed as the s-expression "
                            "(MAX 3 (MED 1 9 4) (SM 7 8)) with the smtlib grammar)"},
    "arith": {"python": "(3 + 4) * (7 - 2) (language python)",
              "c": "int r = (3 + 4) * (7 - 2); (language c)"},
}


def manifest(family: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    spec = get_task(family)
    return {
        "name": family,
        "tasks": [family, *(f"{family}-{s}" for s in spec.syntaxes)],
        "description": spec.description,
        "semantics": _SEMANTICS[family],
        "syntaxes": _SYNTAX_DOC[family],
        "depth": "operator nesting depth: operators on the longest root-to-leaf path (a digit is 0, a flat "
                 "operator over digits is 1); computed from the tree-sitter parse when a file omits it",
        "exact_depth_control": "a depth-K example has a chain of K operators whose every level is fully "
                               "sensitive to the level below: replacing the deepest operator by any other "
                               "value changes the label",
        "splits": "an example's split (train / eval) is a hash of its canonical text: evaluation never "
                  "sees a training example",
        "train": {"depths": list(spec.train_depths), "seed": 0, "split": "train"},
        "eval": {"depths": list(spec.eval_depths), "per_depth": 2000, "seed": 1, "split": "eval"},
        "num_labels": spec.num_labels,
        "files": files,
        "regenerate": f"python -m recursa.tasks.suite {family} tasks/{family}",
    }


def write_suite(family: str, out_dir: str | Path) -> list[Path]:
    """Write ``manifest.json`` and the sample files of ``family`` (``listops`` or ``arith``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = get_task(family)
    examples = generate(spec, SAMPLE_DEPTHS, SAMPLE_PER_DEPTH, seed=SAMPLE_SEED, split="eval")
    written = [out / "sample.jsonl"]
    write_examples(examples, written[0])
    files: list[dict[str, Any]] = [{"path": "sample.jsonl", "format": "jsonl", "examples": len(examples),
                                    "depths": list(SAMPLE_DEPTHS), "seed": SAMPLE_SEED, "split": "eval"}]
    if family == "listops":
        brackets = [e for e in examples if e.language == "listops"]
        written.append(out / "sample.tsv")
        write_examples(brackets, written[-1])
        files.append({"path": "sample.tsv", "format": "tsv (plain: label<TAB>[MAX ...])",
                      "examples": len(brackets)})
        written.append(out / "sample_original.tsv")
        n = _write_original(written[-1], SAMPLE_DEPTHS, SAMPLE_PER_DEPTH, SAMPLE_SEED)
        files.append({"path": "sample_original.tsv",
                      "format": "tsv (original release: label<TAB>binarised bracket form)", "examples": n})
        made_by = "python tasks/listops/external/make_external.py (a generator sharing no code with recursa)"
        for name, fmt in (("original.tsv", "original release layout"), ("lra.tsv", "Long Range Arena layout"),
                          ("plain.tsv", "plain label<TAB>[MAX ...] layout")):
            files.append({"path": f"external/{name}", "format": f"tsv ({fmt})", "examples": 150,
                          "made_by": made_by})
    written.append(out / "manifest.json")
    written[-1].write_text(json.dumps(manifest(family, files), indent=2) + "\n", encoding="utf-8")
    return written


def _write_original(path: Path, depths: tuple[int, ...], per_depth: int, seed: int) -> int:
    gen = listops.ListOpsGenerator()
    lines = []
    for depth in depths:
        rng = random.Random(f"recursa:listops-original:{seed}:{depth}")
        made = 0
        while made < per_depth:
            expr = gen.expression(rng, depth)
            if split_of(listops.render(expr, "sexpr")) != "eval":
                continue
            lines.append(f"{listops.value_of(expr)}\t{listops.render_binarised(expr)}\n")
            made += 1
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("listops", "arith"):
        sys.exit("usage: python -m recursa.tasks.suite listops|arith OUT_DIR")
    for p in write_suite(sys.argv[1], sys.argv[2]):
        print(p)
