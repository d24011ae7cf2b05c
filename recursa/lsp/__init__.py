"""The language server behind ``recursa serve``: verdicts as diagnostics, hovers and code lenses while you type.

Layout: :mod:`.text` (LSP positions and incremental edits of one buffer), :mod:`.cache` (verdicts keyed by a
content hash of each function), :mod:`.warm` (the reasoner re-solved from the previous fixed point),
:mod:`.engine` (the worker thread that parses, verifies and publishes), :mod:`.render` (verdicts -> LSP
values), :mod:`.server` (the pygls wiring). Only :mod:`.server` imports pygls; nothing here imports torch or
z3 at module level.
"""
