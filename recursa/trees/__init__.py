"""Tree-sitter front end: languages, flattening into level-ordered :class:`TreeBatch` tensors, queries."""

from recursa.trees.languages import Language, get_language, language_for_path, languages
from recursa.trees.source import SourceError, read_source

__all__ = ["Language", "SourceError", "get_language", "language_for_path", "languages", "read_source"]
