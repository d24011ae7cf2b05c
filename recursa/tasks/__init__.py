"""Task suites: generators with exact depth control, readers (JSONL, ListOps TSV), datasets and metrics.

The data itself (manifests, small sample files) lives in the top-level ``tasks/`` folder; large sets are
generated on the fly, deterministically by seed (:func:`generate`).
"""

from recursa.tasks.examples import DataError, Example
from recursa.tasks.io import read_examples, write_examples
from recursa.tasks.registry import TaskSpec, generate, get_task, parse_depths, register_task, tasks

__all__ = ["DataError", "Example", "TaskSpec", "generate", "get_task", "parse_depths", "read_examples",
           "register_task", "tasks", "write_examples"]
