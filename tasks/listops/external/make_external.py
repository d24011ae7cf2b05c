#!/usr/bin/env python3
"""A ListOps generator independent of recursa, writing the three published TSV layouts.

It follows the original release's recipe (random trees: each argument branches into a new operator with a
fixed probability up to a maximum depth; MED = int(median), SM = sum mod 10) and shares no code with
recursa, so recursa's readers are tested on files they did not write:

    original.tsv   label<TAB>expression with the binarised "( ... )" parse tokens, no header
    lra.tsv        "Source<TAB>Target" header, then expression<TAB>label, up to 10 arguments
    plain.tsv      label<TAB>[MAX 1 7 2 ]

Run: python tasks/listops/external/make_external.py tasks/listops/external
"""

import random
import statistics
import sys
from pathlib import Path

OPERATORS = ("[MAX", "[MIN", "[MED", "[SM")


def random_tree(rng, depth, max_depth, max_args, branch_p):
    if depth == 0 or (depth < max_depth and rng.random() < branch_p):
        n = rng.randint(2, max_args)
        return (rng.choice(OPERATORS), [random_tree(rng, depth + 1, max_depth, max_args, branch_p)
                                        for _ in range(n)])
    return rng.randint(0, 9)


def value(t):
    if isinstance(t, int):
        return t
    op, args = t
    vals = [value(a) for a in args]
    if op == "[MAX":
        return max(vals)
    if op == "[MIN":
        return min(vals)
    if op == "[MED":
        return int(statistics.median(vals))
    return sum(vals) % 10


def plain(t):
    if isinstance(t, int):
        return str(t)
    op, args = t
    return " ".join([op] + [plain(a) for a in args] + ["]"])


def binarised(t):
    if isinstance(t, int):
        return str(t)
    op, args = t
    text = "( " + op
    for a in args:
        text = "( " + text + " " + binarised(a) + " )"
    return text + " ] )"


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2017)
    with open(out / "original.tsv", "w") as f:
        for _ in range(150):
            t = random_tree(rng, 0, 8, 5, 0.25)
            f.write(f"{value(t)}\t{binarised(t)}\n")
    with open(out / "lra.tsv", "w") as f:
        f.write("Source\tTarget\n")
        for _ in range(150):
            t = random_tree(rng, 0, 8, 10, 0.15)
            f.write(f"{binarised(t)}\t{value(t)}\n")
    with open(out / "plain.tsv", "w") as f:
        for _ in range(150):
            t = random_tree(rng, 0, 8, 5, 0.25)
            f.write(f"{value(t)}\t{plain(t)}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)
