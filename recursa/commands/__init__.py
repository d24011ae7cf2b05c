"""CLI sub-commands (one module each, imported lazily by :mod:`recursa.cli`)."""
