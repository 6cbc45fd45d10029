"""``headprint patterns`` end to end on a tiny model folder, and its errors on bad input."""
from __future__ import annotations

import json
import logging
import pathlib

import pytest
import torch

from headprint.cli import main
from headprint.patterns.artifact import PatternSet


@pytest.fixture
def rows_file(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"prompt": f"Q{i}: what is {i} plus {i}?", "completion": f" {2 * i}"}
            for i in range(6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _patterns(*args: str) -> int:
    return main(["patterns", *args])


def test_patterns_writes_artifact_and_names_it(tiny_model_dir, rows_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                     "--per-sample", "--batch-size", "4", "--out", str(out)) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert str(out) in last and "patterns.safetensors" in last
    result = PatternSet.load(out)
    assert result.per_sample.shape == (6, 2, 4)
    assert torch.allclose(result.mean, result.per_sample.mean(0))
    manifest = result.manifest
    assert manifest["sample_ids"] == [f"rows.jsonl:{i + 1}" for i in range(6)]
    assert manifest["data"]["kind"] == "file"
    assert manifest["model_fingerprint"].startswith("sha256:")
    assert not (out / ".shards").exists()
    # The same command again finds the same artifact and does nothing.
    before = (out / "manifest.json").read_text()
    capsys.readouterr()
    assert _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                     "--per-sample", "--batch-size", "4", "--out", str(out)) == 0
    assert (out / "manifest.json").read_text() == before
    printed = capsys.readouterr().out
    assert "wrote" not in printed and "nothing to do" in printed and str(out) in printed


def test_different_artifact_refused_unless_overwrite(tiny_model_dir, rows_file, tmp_path,
                                                     capsys):
    out = tmp_path / "out"
    args = ["--model", str(tiny_model_dir), "--data", str(rows_file), "--out", str(out)]
    assert _patterns(*args) == 0
    assert _patterns(*args, "--loss", "batch") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert PatternSet.load(out).manifest["loss"] == "sample"  # nothing lost
    assert _patterns(*args, "--loss", "batch", "--overwrite") == 0
    assert PatternSet.load(out).manifest["loss"] == "batch"


def test_bad_inputs_name_the_problem(tiny_model_dir, tmp_path, capsys):
    model = ["--model", str(tiny_model_dir), "--out", str(tmp_path / "o")]
    assert _patterns(*model, "--data", "no-such-task") == 2
    err = capsys.readouterr().err
    assert "no-such-task" in err and "gsm8k" in err and "hellaswag" in err
    assert _patterns(*model, "--data", str(tmp_path / "missing.jsonl")) == 2
    assert "missing.jsonl" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c"}\n')
    assert _patterns(*model, "--data", str(bad)) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "2" in err and "completion" in err
    assert _patterns(*model, "--data", str(bad), "--skip-bad") == 0
    assert PatternSet.load(tmp_path / "o").manifest["n_skipped"] == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert _patterns("--model", str(tiny_model_dir), "--out", str(tmp_path / "e"),
                     "--data", str(empty)) == 2
    assert "empty" in capsys.readouterr().err.lower()
    assert _patterns("--model", "no-such-model", "--data", "gsm8k",
                     "--out", str(tmp_path / "m")) == 2
    assert "smollm2-135m" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_fully_truncated_samples_excluded_and_counted(tiny_model_dir, tmp_path):
    path = tmp_path / "long.jsonl"
    rows = [{"prompt": "word " * 40, "completion": " answer"},
            {"prompt": "short", "completion": " answer"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o"
    # raw: SmolLM2's chat template alone (its default system turn) is longer than 16 tokens
    assert _patterns("--model", str(tiny_model_dir), "--data", str(path), "--format", "raw",
                     "--max-length", "16", "--per-sample", "--out", str(out)) == 0
    manifest = PatternSet.load(out).manifest
    assert manifest["format"] == "raw" and manifest["n_samples"] == 1 and manifest["n_truncated_out"] == 1
    assert manifest["sample_ids"] == ["long.jsonl:2"]


def _one_error_line(err: str) -> str:
    """The error line, after checking it is the only one (progress bars aside)."""
    lines = [line for line in err.strip().splitlines() if "it/s]" not in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("headprint patterns: error: ")
    return lines[0]


def test_out_naming_an_existing_file(tiny_model_dir, rows_file, tmp_path, capsys):
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    assert _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                     "--out", str(taken)) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(taken) in line and "not a folder" in line
    assert taken.read_text() == "keep me"


def test_read_only_output_folder(tiny_model_dir, rows_file, tmp_path, monkeypatch, capsys):
    """The tests run as root, which ignores permission bits, so the refusal the operating
    system gives for a read-only folder is raised where headprint first creates something
    inside --out."""
    out = tmp_path / "locked"
    real_mkdir = pathlib.Path.mkdir

    def refuse(self, *args, **kwargs):
        if self == out or out in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", refuse)
    assert _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                     "--out", str(out)) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(out) in line and "Permission denied" in line


def test_non_utf8_data_names_file_and_line(tiny_model_dir, tmp_path, capsys):
    bad = tmp_path / "latin.jsonl"
    bad.write_bytes(b'{"prompt": "a", "completion": "b"}\n'
                    b'{"prompt": "caf\xe9", "completion": "d"}\n')
    assert _patterns("--model", str(tiny_model_dir), "--data", str(bad),
                     "--out", str(tmp_path / "o")) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"{bad}:2" in line and "UTF-8" in line and "0xe9" in line


def test_ctrl_c_says_how_to_resume(tiny_model_dir, rows_file, tmp_path, monkeypatch, capsys):
    from headprint.patterns import compute

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(compute, "score_batch", interrupted)
    try:
        code = _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                         "--out", str(tmp_path / "o"))
    except KeyboardInterrupt:  # would end the whole pytest session
        pytest.fail("KeyboardInterrupt escaped headprint.cli.main")
    assert code == 130
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert "interrupted" in err and "run the same command again to resume" in err


def test_dropped_cut_skipped_and_empty_samples_are_printed(tiny_model_dir, tmp_path, caplog):
    path = tmp_path / "mixed.jsonl"
    rows = [{"id": "long", "prompt": "word " * 40, "completion": " answer"},
            {"id": "cut", "prompt": "word " * 12, "completion": " a long answer " * 3},
            {"id": "empty", "prompt": "nothing follows", "completion": ""},
            {"id": "fine", "prompt": "short", "completion": " answer"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"prompt": "no"}\n')
    out = tmp_path / "o"
    with caplog.at_level(logging.WARNING):
        assert _patterns("--model", str(tiny_model_dir), "--data", str(path), "--skip-bad",
                         "--max-length", "16", "--format", "raw", "--per-sample",
                         "--out", str(out)) == 0
    said = {r.getMessage() for r in caplog.records if r.levelno == logging.WARNING}
    assert any("1 sample(s) left out" in m and "(long)" in m for m in said), said
    assert any("1 sample(s) cut to --max-length 16" in m and "(cut)" in m for m in said)
    assert any("skipped 1 bad row(s)" in m and f"{path}:5" in m and "completion" in m
               for m in said)
    assert any("1 sample(s) have an empty response" in m and "eos token alone" in m
               and "(empty)" in m for m in said)
    manifest = PatternSet.load(out).manifest
    assert manifest["sample_ids"] == ["cut", "empty", "fine"]
    assert (manifest["n_truncated_out"], manifest["n_skipped"]) == (1, 2)


def test_user_errors_exit_2_and_bugs_keep_their_traceback(monkeypatch, capsys):
    from headprint.data.errors import DataError
    from headprint.errors import HeadprintError
    from headprint.patterns.api import OutputExistsError
    from headprint.patterns.artifact import PatternSetError

    for cls in (DataError, PatternSetError, OutputExistsError):
        assert issubclass(cls, HeadprintError)
    assert issubclass(DataError, ValueError) and issubclass(OutputExistsError, FileExistsError)
    import headprint.patterns.commands as commands

    def bug(*_settings):  # the command's function takes its settings dataclasses
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(commands, "_run", bug)
    with pytest.raises(ZeroDivisionError):
        main(["patterns", "--data", "x", "--out", "y"])
