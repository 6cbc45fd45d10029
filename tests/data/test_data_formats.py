"""Reading data files (headprint.data.formats): four file types, two row formats, errors."""
from __future__ import annotations

import csv
import json
import logging

import pytest

from headprint.data import DataError, read_rows, validate_row
from headprint.data.formats import load_file

ROWS = [{"prompt": "p1", "completion": "c1"},
        {"id": "x", "prompt": "p2", "completion": "c2", "answer": "7"},
        {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}]


def write(tmp_path, suffix, rows):
    path = tmp_path / f"d{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "prompt", "completion", "messages"])
            writer.writeheader()
            for r in rows:
                writer.writerow({**r, "messages": json.dumps(r["messages"])}
                                if "messages" in r else r)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq
        keys = list(dict.fromkeys(k for r in rows for k in r))
        pq.write_table(pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows]), path)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_all_file_types_give_the_same_rows(tmp_path, suffix):
    rows = [ROWS[0], {k: v for k, v in ROWS[1].items() if k != "answer"}, ROWS[2]]
    path = write(tmp_path, suffix, rows)
    assert len(read_rows(path)) == 3
    loaded, skipped = load_file(path)
    assert skipped == 0
    first_n = {".jsonl": 1, ".json": 1, ".csv": 2, ".parquet": 1}[suffix]  # csv: header line
    assert loaded[0]["id"] == f"d{suffix}:{first_n}"
    assert (loaded[0]["prompt"], loaded[0]["completion"]) == ("p1", "c1")
    assert loaded[1]["id"] == "x"
    assert loaded[2]["messages"] == ROWS[2]["messages"]


def test_extra_fields_go_to_meta(tmp_path):
    loaded, _ = load_file(write(tmp_path, ".jsonl", ROWS))
    assert loaded[1]["meta"] == {"answer": "7"} and set(loaded[1]) == {"id", "prompt",
                                                                       "completion", "meta"}


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        read_rows(tmp_path / "nope.jsonl")


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("x")
    with pytest.raises(DataError, match=r"\.jsonl"):
        read_rows(path)


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "a", "completion": "b"}\n\n{"prompt": oops\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:3"):
        read_rows(path)
    rows, skipped = load_file(path, skip_bad=True)
    assert len(rows) == 1 and skipped == 1


def test_malformed_json_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"prompt": "a",\n "completion": }]')
    with pytest.raises(DataError, match=r"bad\.json:2"):
        read_rows(path)
    (tmp_path / "obj.json").write_text('{"data": []}')
    with pytest.raises(DataError, match="list"):
        read_rows(tmp_path / "obj.json")


def test_missing_field_names_row_and_field(tmp_path):
    path = write(tmp_path, ".jsonl", [ROWS[0], {"prompt": "only"}, ROWS[0]])
    with pytest.raises(DataError, match=r"d\.jsonl:2: missing field 'completion'"):
        load_file(path)
    rows, skipped = load_file(path, skip_bad=True)
    assert (len(rows), skipped) == (2, 1)


def test_csv_empty_cell_is_a_missing_field(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("prompt,completion\na,b\nc\n")
    with pytest.raises(DataError, match=r"d\.csv:3: missing field 'completion'"):
        load_file(path)


@pytest.mark.parametrize("row, message", [
    ([1, 2], "must be an object"),
    ({"prompt": 1, "completion": "c"}, "'prompt' must be a string"),
    ({"prompt": [{"role": "user", "content": "u"}], "completion": "c"}, "use 'messages'"),
    ({"messages": []}, "non-empty list"),
    ({"messages": [{"role": "bot", "content": "x"}]}, r"messages\[0\]\.role"),
    ({"messages": [{"role": "user", "content": None}]}, r"messages\[0\]\.content"),
    ({"messages": [{"role": "user", "content": "x"}]}, "no assistant turn"),
])
def test_validate_row_names_where_and_what(row, message):
    with pytest.raises(DataError, match=r"^f\.jsonl:9: .*" + message):
        validate_row(row, "f.jsonl:9")


def test_validate_row_formats():
    assert validate_row(ROWS[0], "w") == "prompt_completion"
    assert validate_row(ROWS[2], "w") == "messages"


def test_duplicate_ids(tmp_path):
    path = write(tmp_path, ".jsonl", [ROWS[1], ROWS[1]])
    with pytest.raises(DataError, match="duplicate id 'x'.*first at .*d.jsonl:1"):
        load_file(path)
    assert load_file(path, skip_bad=True)[1] == 1


@pytest.mark.parametrize("suffix,content,line", [
    (".jsonl", b'{"prompt": "a", "completion": "b"}\n\n{"prompt": "\xff", "completion": "d"}\n',
     3),
    (".csv", b"prompt,completion\na,b\nc,d\ncaf\xe9,x\n", 4),
    (".json", b'[\n{"prompt": "a", "completion": "b"},\n{"prompt": "\xc3", "completion": "d"}\n]',
     3),
])
def test_non_utf8_bytes_name_file_and_line(tmp_path, suffix, content, line):
    path = tmp_path / f"rows{suffix}"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        load_file(path)
    assert f"{path}:{line}: not UTF-8 text" in str(info.value)


def test_skipped_rows_are_listed_in_a_warning(tmp_path, caplog):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"prompt": "a", "completion": "b"}\n{"prompt": "\xff"}\nnot json\n'
                     b'{"prompt": "c"}\n')
    with caplog.at_level(logging.WARNING):
        rows, skipped = load_file(path, skip_bad=True)
    assert len(rows) == 1 and skipped == 3
    [message] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"skipped 3 bad row(s) of {path}" in message
    for where in (f"{path}:2: not UTF-8", f"{path}:3: not valid JSON", f"{path}:4: missing"):
        assert where in message
