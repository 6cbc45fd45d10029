"""Reading data files: ``.jsonl``, ``.json``, ``.csv``, ``.parquet`` in trl's two row formats.

Row formats (the same ones trl's SFT trainer accepts):

- *prompt/completion*: ``{"prompt": str, "completion": str}``; the loss is on the
  completion (and the end-of-sequence token).
- *messages*: ``{"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": str},
  ...]}`` with at least one assistant turn; the tokenizer's chat template is applied and the
  loss is on assistant turns only.

Other fields are kept: an ``id`` field becomes the row id, a ``meta`` object is kept as is,
and any remaining fields are merged into ``meta``. A ``.csv`` cell or a ``.jsonl`` value
holding ``messages`` as a JSON string is decoded.

Locations: a row is named ``<file>:<n>`` where ``n`` is the 1-based line number for
``.jsonl`` and ``.csv`` (the header is line 1) and the 1-based record number for ``.json``
and ``.parquet``. Rows without an ``id`` get the id ``"<file name>:<n>"``.

Errors: a missing file raises ``FileNotFoundError`` naming the path; an unreadable line, a
row missing a field or holding a field of the wrong type raises :class:`DataError` naming the
file, the line and the field; so do bytes that are not UTF-8. With ``skip_bad=True`` such rows
are skipped, counted, and listed in a logged warning.
"""
from __future__ import annotations

import csv
import errno
import io
import json
import logging
from pathlib import Path
from typing import Any

from headprint.data.errors import DataError

__all__ = [
    "SUPPORTED_SUFFIXES", "ROLES", "read_rows", "read_records", "validate_row",
    "normalize_row", "load_file",
]

SUPPORTED_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
ROLES = ("system", "user", "assistant", "tool")
_RESERVED = ("id", "prompt", "completion", "messages", "meta")
_SHOWN_SKIPS = 5

log = logging.getLogger(__name__)


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "data file not found", str(path))
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; "
                        f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    return path


def _decode(path: Path, data: bytes, first_line: int = 1) -> str:
    """``data`` as UTF-8 text; DataError naming the file and line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise DataError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                        "save the file as UTF-8") from None


def read_records(path: str | Path, skip_bad: bool = False,
                 skips: list[str] | None = None) -> tuple[list[tuple[int, Any]], int]:
    """Parse ``path`` into ``([(n, row), ...], n_skipped)``; ``n`` as in the module docstring.

    Rows are returned as parsed (not validated). A line that does not parse (not JSON, not
    UTF-8) raises :class:`DataError` naming file and line, or is skipped and counted with
    ``skip_bad`` (its message appended to ``skips`` when given).
    """
    path = _check_path(path)
    suffix = path.suffix.lower()
    records: list[tuple[int, Any]] = []
    skipped = 0
    if suffix == ".jsonl":
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, start=1):
                try:
                    line = _decode(path, raw, lineno)
                    if not line.strip():
                        continue
                    try:
                        records.append((lineno, json.loads(line)))
                    except json.JSONDecodeError as exc:
                        raise DataError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
                except DataError as exc:
                    if not skip_bad:
                        raise
                    skipped += 1
                    if skips is not None:
                        skips.append(str(exc))
    elif suffix == ".json":
        text = _decode(path, path.read_bytes())
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(data, list):
            raise DataError(f"{path}: expected a JSON list of row objects, "
                            f"got {type(data).__name__}")
        records = list(enumerate(data, start=1))
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(_decode(path, path.read_bytes()), newline=""))
        try:
            for row in reader:
                records.append((reader.line_num, dict(row)))
        except csv.Error as exc:
            raise DataError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from exc
    else:  # .parquet
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise DataError(f"{path}: not a readable parquet file ({exc})") from exc
        records = list(enumerate(table.to_pylist(), start=1))
    return records, skipped


def read_rows(path: str | Path) -> list[dict]:
    """All rows of a data file as parsed dicts, in file order (not validated)."""
    return [row for _, row in read_records(path)[0]]


def _decode_messages(row: dict, where: str) -> dict:
    """Decode ``messages`` given as a JSON string (CSV cells, flattened exports)."""
    value = row.get("messages")
    if isinstance(value, str) and not value.strip():  # an empty CSV cell: no messages
        return {**row, "messages": None}
    if isinstance(value, str):
        try:
            row = {**row, "messages": json.loads(value)}
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: field 'messages' is a string that is not valid JSON "
                            f"({exc.msg})") from exc
    return row


def validate_row(row: Any, where: str) -> str:
    """Check one row; return its format, ``"prompt_completion"`` or ``"messages"``.

    Raises :class:`DataError` naming ``where`` (``file:line`` or a row id) and the field.
    """
    if not isinstance(row, dict):
        raise DataError(f"{where}: a row must be an object, got {type(row).__name__}")
    if row.get("messages") is not None:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            raise DataError(f"{where}: field 'messages' must be a non-empty list of "
                            "{role, content} objects")
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                raise DataError(f"{where}: messages[{i}] must be an object")
            if message.get("role") not in ROLES:
                raise DataError(f"{where}: messages[{i}].role is {message.get('role')!r}; "
                                f"expected one of {', '.join(ROLES)}")
            if not isinstance(message.get("content"), str):
                raise DataError(f"{where}: messages[{i}].content must be a string")
        if not any(m["role"] == "assistant" for m in messages):
            raise DataError(f"{where}: field 'messages' has no assistant turn (nothing to "
                            "compute a loss on)")
        return "messages"
    for name in ("prompt", "completion"):
        value = row.get(name)
        if value is None:
            raise DataError(f"{where}: missing field {name!r} (rows need 'prompt' and "
                            "'completion' strings, or 'messages')")
        if not isinstance(value, str):
            hint = " (conversational prompts: use 'messages')" if isinstance(value, list) else ""
            raise DataError(f"{where}: field {name!r} must be a string, got "
                            f"{type(value).__name__}{hint}")
    return "prompt_completion"


def normalize_row(row: dict, default_id: str) -> dict:
    """A validated row in headprint's schema: ``id``, the text fields, and ``meta``."""
    meta = dict(row["meta"]) if isinstance(row.get("meta"), dict) else {}
    for key, value in row.items():
        if key not in _RESERVED and value is not None:
            meta.setdefault(key, value)
    has_id = row.get("id") is not None and str(row["id"]) != ""
    out: dict[str, Any] = {"id": str(row["id"]) if has_id else default_id}
    if row.get("messages") is not None:
        out["messages"] = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
    else:
        out["prompt"], out["completion"] = row["prompt"], row["completion"]
    out["meta"] = meta
    return out


def load_file(path: str | Path, skip_bad: bool = False) -> tuple[list[dict], int]:
    """Read, validate and normalize a data file: ``(rows, n_skipped)``.

    Duplicate ids are an error (or skipped with ``skip_bad``). An empty result is returned
    as is: the caller decides whether that is an error.
    """
    path = Path(path)
    skips: list[str] = []
    records, skipped = read_records(path, skip_bad=skip_bad, skips=skips)
    rows: list[dict] = []
    first_seen: dict[str, str] = {}
    for n, raw in records:
        where = f"{path}:{n}"
        try:
            raw = _decode_messages(raw, where) if isinstance(raw, dict) else raw
            validate_row(raw, where)
            row = normalize_row(raw, default_id=f"{path.name}:{n}")
            if row["id"] in first_seen:
                raise DataError(f"{where}: duplicate id {row['id']!r} "
                                f"(first at {first_seen[row['id']]})")
        except DataError as exc:
            if not skip_bad:
                raise
            skipped += 1
            skips.append(str(exc))
            continue
        first_seen[row["id"]] = where
        rows.append(row)
    if skips:  # said here, not only counted in a manifest: the user chose --skip-bad blind
        shown = "; ".join(skips[:_SHOWN_SKIPS])
        more = f"; and {len(skips) - _SHOWN_SKIPS} more" if len(skips) > _SHOWN_SKIPS else ""
        log.warning("warning: skipped %d bad row(s) of %s: %s%s", len(skips), path, shown, more)
    return rows, skipped
