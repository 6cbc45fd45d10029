"""The HTML report: everything collected, self-contained, escaped, readable."""
from __future__ import annotations

from pathlib import Path

import pytest

from headprint.report import build_report

from .report_outline import Outline


@pytest.fixture(scope="module")
def report(run_dir: Path) -> tuple[Path, Outline]:
    path = build_report(run_dir)
    outline = Outline()
    outline.feed(path.read_text(encoding="utf-8"))
    return path, outline


def test_report_collects_every_table_and_figure(report, run_dir):
    path, outline = report
    assert path == run_dir / "report.html" and oct(path.stat().st_mode & 0o777) == "0o644"
    for heading in ("Provenance", "analysis/stats", "analysis/compose", "analysis/track",
                    "Distribution of activation patterns (Table 1)",
                    "Composition of the target change (Eq. 3, Figure 4)",
                    "Pattern dynamics during fine-tuning (Figure 5)", "Best subsets (of 3 fitted)",
                    "Top 10 changed heads"):
        assert heading in outline.headings, heading
    assert any(h.startswith("Task similarity") for h in outline.headings)
    n_png = len(list(run_dir.rglob("*.png")))
    n_md_tables = sum(p.read_text().count("\n|---") for p in run_dir.rglob("*.md"))
    assert len(outline.images) == n_png > 10
    assert all(src.startswith("data:image/png;base64,") for src in outline.images)
    assert outline.tables == n_md_tables + 1  # plus the provenance table
    assert outline.external == []


def test_report_shows_provenance(report):
    text = report[0].read_text(encoding="utf-8")
    assert "SmolLM2-135M-sft-gsm8k" in text and "tracking/gsm8k/step-9" in text
    assert "20 pattern sets" in text and "Loss scaling: sample" in text
    assert text.index("tracking/arc/step-3") < text.index("tracking/arc/step-9")  # natural


def test_report_rebuild_ignores_itself_and_custom_out(run_dir, tmp_path):
    first = build_report(run_dir, tmp_path / "r.html", title="My <run>")
    text = first.read_text(encoding="utf-8")
    assert "<title>My &lt;run&gt;</title>" in text
    again = build_report(run_dir).read_text(encoding="utf-8")
    assert again.count("report.html") == 0


def test_empty_and_missing_folders(tmp_path):
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "No tables or figures found" in page and "No pattern-set manifests" in page
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_report(tmp_path / "nope")


def test_other_stages_files_are_shown(tmp_path):
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "scores.csv").write_text("task,accuracy\ngsm8k,0.41\narc,<0.5>\n")
    (tmp_path / "eval" / "metrics.json").write_text('{"accuracy": 0.41}')
    (tmp_path / "eval" / "config.json").write_text('{"hidden_size": 576}')  # checkpoint noise
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "<h3>scores.csv</h3>" in page and "<td>&lt;0.5&gt;</td>" in page
    assert "metrics.json" in page and "hidden_size" not in page


def test_markdown_of_other_tools_is_shown_as_written_and_escaped(tmp_path):
    (tmp_path / "notes.md").write_text("# My notes <script>alert(1)</script>\n| a |\n")
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "<h3>notes.md</h3>" in page and "<script>alert(1)" not in page
    assert "# My notes &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_result_of_an_older_headprint_is_shown_as_written(tmp_path):
    import json

    (tmp_path / "results.json").write_text(json.dumps(
        {"headprint": {"kind": "experiment"}, "experiment": "table1", "findings": []}))
    (tmp_path / "report.md").write_text("# Table 1 <b>as written</b>\n")
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "Shown as written" in page and "<h3>report.md</h3>" in page
    assert "# Table 1 &lt;b&gt;as written&lt;/b&gt;" in page


def test_links_open_the_page_as_contents(tmp_path):
    import re

    links = [("index <of all>", "reproduce/index.html"), ("table1", "reproduce/table1/report.html")]
    page = build_report(tmp_path, links=links).read_text(encoding="utf-8")
    contents = page[page.index('id="contents"'):page.index('id="provenance"')]
    assert re.findall(r'href="([^"]+)"', contents) == [href for _, href in links]
    assert "index &lt;of all&gt;" in contents
