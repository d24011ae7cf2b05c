"""The base of every error recursa reports to a user as a message rather than a traceback.

A door (a CLI command, the language server) catches :class:`RecursaError`, prints ``str(exc)`` — which names
the file and, where known, ``line:col`` — and exits with ``exc.exit_code``. Anything else that escapes is a bug.
"""

from __future__ import annotations


class RecursaError(Exception):
    """An error in what the user gave recursa (a file, an option, a model directory), not in recursa itself."""

    #: the process exit code when this error ends a command: 2, "usage or input error", for every command
    exit_code: int = 2
