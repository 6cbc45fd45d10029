"""headprint data stage: rows from files or registered tasks, and their tokenization.

Entry call: :func:`load_data` (``"gsm8k"``, ``"mmlu:biology:test"``, ``"my.jsonl"``) returns
a :class:`DataBundle` whose ``describe()`` goes into every artifact's manifest;
:func:`encode_rows` turns its rows into input ids and loss labels under one contract
(:mod:`headprint.data.tokenize`). Tasks are registered in :mod:`headprint.data.tasks`.
"""
from headprint.data.errors import DataError
from headprint.data.formats import read_rows, validate_row
from headprint.data.source import DataBundle, load_data
from headprint.data.tasks import TASKS, TaskSpec, task_names
from headprint.data.tokenize import IGNORE_INDEX, EncodedSample, encode_row, encode_rows

__all__ = [
    "load_data", "DataBundle", "DataError", "encode_row", "encode_rows", "EncodedSample",
    "IGNORE_INDEX", "TASKS", "TaskSpec", "task_names", "read_rows", "validate_row",
]
