"""Reading and writing labelled examples: JSONL and ListOps TSV, chosen by file extension.

JSONL: one object per line, ``{"source": ..., "language": ..., "label": ..., "depth": ...}`` (depth
optional: computed from the parse when absent). ``language`` is ``python``, ``c``, ``smtlib`` or ``listops``
(the classic bracket form).

ListOps TSV, as the published datasets write it (all three read unchanged, tokens separated by spaces):

* the original release: ``label<TAB>expression``, no header, with bare ``(`` / ``)`` tokens recording a
  binarised parse: ``7<TAB>( ( ( ( [MAX 1 ) 7 ) 2 ) ] )``;
* Long Range Arena: a header ``Source<TAB>Target``, then ``expression<TAB>label``;
* the plain form: ``7<TAB>[MAX 1 7 2 ]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from recursa.tasks.examples import EXAMPLE_LANGUAGES, DataError, Example
from recursa.tasks.listops import brackets_to_sexpr

FORMATS = {".jsonl": "jsonl", ".tsv": "tsv"}
_LANGUAGE_ALIASES = {"sexpr": "smtlib", "brackets": "listops", "py": "python"}
UNKNOWN_DEPTH = -1


def data_format(path: str | Path) -> str:
    """``jsonl`` or ``tsv`` from the file extension (raises :class:`DataError` otherwise)."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise DataError(str(path), "unsupported data file (expected .jsonl or .tsv)")
    return fmt


def read_examples(path: str | Path, depths: str | None = None) -> list[Example]:
    """All examples of a ``.jsonl`` or ``.tsv`` file (depth ``-1`` where the file gives none).

    ``depths`` (a range such as ``1-5,8``): only the examples of those depths, computed from the parse where
    the file gives none; a :class:`DataError` when none is left."""
    fmt = data_format(path)
    lines = _read_lines(path)
    examples = _parse_jsonl(lines, str(path)) if fmt == "jsonl" else _parse_tsv(lines, str(path))
    if not examples:
        raise DataError(str(path), "no examples in file")
    if depths:
        from recursa.tasks.dataset import parse_examples
        from recursa.tasks.registry import parse_depths

        keep = set(parse_depths(depths))
        if any(e.depth < 0 for e in examples):
            _, examples = parse_examples(examples)
        examples = [e for e in examples if e.depth in keep]
        if not examples:
            raise DataError(str(path), f"no examples of depth {depths}")
    return examples


#: Labels and depths are stored in int64 tensors and summed in metrics: anything near 2**63 overflows, and no
#: task has classes or nesting anywhere near this bound.
MAX_INT_FIELD = 2**31 - 1


def _is_decimal(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²`` and other digits ``int`` rejects."""
    return text.isascii() and text.isdigit()


def _read_lines(path: str | Path) -> list[str]:
    from recursa.trees.files import special_kind

    p = Path(path)
    kind = special_kind(p)
    if kind is not None:
        raise DataError(str(path), f"not a regular file ({kind})")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DataError(str(path), "no such file") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory") from None
    except OSError as exc:
        raise DataError(str(path), f"cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}", "not valid UTF-8 text") from None
    return text.splitlines()


def _label(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise DataError(where, f"label must be an integer, got {value!r}")
    if isinstance(value, int):
        label = value
    elif isinstance(value, str) and _is_decimal(value.strip()) and len(value.strip()) <= 20:
        label = int(value.strip())
    else:
        raise DataError(where, f"label must be a non-negative integer, got {_short(value)}")
    if not 0 <= label <= MAX_INT_FIELD:
        raise DataError(where, f"label must be an integer from 0 to {MAX_INT_FIELD}, got {_short(label)}")
    return label


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_jsonl(lines: list[str], path: str) -> list[Example]:
    out: list[Example] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(where, f"invalid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise DataError(where, "each line must be a JSON object")
        missing = [k for k in ("source", "language", "label") if k not in obj]
        if missing:
            raise DataError(where, f"missing field(s): {', '.join(missing)}")
        source, language = obj["source"], obj["language"]
        if not isinstance(source, str) or not source.strip():
            raise DataError(where, "source must be a non-empty string")
        if not isinstance(language, str):
            raise DataError(where, "language must be a string")
        language = _LANGUAGE_ALIASES.get(language.lower(), language.lower())
        if language not in EXAMPLE_LANGUAGES:
            known = ", ".join(EXAMPLE_LANGUAGES)
            raise DataError(where, f"unknown language {obj['language']!r} (known: {known})")
        if language == "listops":
            _check_brackets(source, where)
        depth = obj.get("depth", UNKNOWN_DEPTH)
        if depth is None:
            depth = UNKNOWN_DEPTH
        if isinstance(depth, bool) or not isinstance(depth, int) or not UNKNOWN_DEPTH <= depth <= MAX_INT_FIELD:
            raise DataError(where, f"depth must be an integer from 0 to {MAX_INT_FIELD}, got {_short(depth)}")
        out.append(Example(source, language, _label(obj["label"], where), depth, where))
    return out


def _check_brackets(expression: str, where: str) -> None:
    try:
        brackets_to_sexpr(expression)
    except ValueError as exc:
        raise DataError(where, f"bad ListOps expression: {exc}") from None


def _parse_tsv(lines: list[str], path: str) -> list[Example]:
    out: list[Example] = []
    expression_first = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        fields = line.rstrip("\r\n").split("\t")
        if not out and not expression_first and [f.strip().lower() for f in fields] == ["source", "target"]:
            expression_first = True  # Long Range Arena header
            continue
        if len(fields) != 2:
            raise DataError(where, f"expected 2 tab-separated fields (label, expression), got {len(fields)}")
        a, b = fields[0].strip(), fields[1].strip()
        if expression_first:
            expression, label = a, b
        elif _is_decimal(a):
            expression, label = b, a
        elif _is_decimal(b):  # expression<TAB>label without the LRA header
            expression, label = a, b
        else:
            raise DataError(where, f"no integer label in either field: {a[:20]!r}, {b[:20]!r}")
        _check_brackets(expression, where)
        out.append(Example(expression, "listops", _label(label, where), UNKNOWN_DEPTH, where))
    return out


def write_examples(examples: Iterable[Example], path: str | Path) -> int:
    """Write examples as ``.jsonl`` (any language) or ``.tsv`` (plain ListOps form); returns the count."""
    fmt = data_format(path)
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for ex in examples:
            if fmt == "jsonl":
                fh.write(json.dumps(ex.to_json()) + "\n")
            else:
                if ex.language != "listops":
                    raise DataError(str(path), f"TSV holds ListOps bracket forms only, not {ex.language!r}")
                fh.write(f"{ex.label}\t{ex.source}\n")
            n += 1
    return n
