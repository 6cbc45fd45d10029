"""Templates: values are escaped, each experiment page renders from a results dict and shows
its numbers, and the Markdown twin carries the same tables as the HTML."""
from __future__ import annotations

import re

import pytest

from headprint.report.experiment_pages import write_experiment_pages, write_index
from headprint.report.summaries import kind_of, render_result_html, render_summary

from .experiment_results import EXPERIMENTS, MODEL, table1_result
from .report_outline import Outline

SCRIPT = "<script>"


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    return parsed


def test_template_escapes_script_in_a_task_name():
    stats = {"headprint": {"kind": "analysis", "command": "stats"},
             "params": {"n_boot": 0, "confidence": 0.95, "seed": 0, "ci_method": "basic"},
             "inputs": [{"label": "<script>alert(1)</script>", "model": "m", "path": "/p",
                         "data": {"source": "gsm8k"}, "split": "test", "n_samples": 4,
                         "shape": [2, 3]}],
             "rows": [{"label": "<script>alert(1)</script>", "gini": 0.5, "cv": 1.0,
                       "kurtosis": 3.0, "ci": None}],
             "notes": ["<script>alert(2)</script>: no intervals"]}
    assert kind_of(stats) == "stats"
    html = str(render_result_html("stats", stats))
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    # Markdown is a text file: the name stays as written, table structure stays intact
    md = render_summary("stats", stats)
    assert "| <script>alert(1)</script> | m | gsm8k/test | 4 | 0.5 | 1 | 3 |" in md


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_experiment_page_renders_from_results_dict_and_shows_its_numbers(name):
    build, expected = EXPERIMENTS[name]
    data, _ = build()
    assert kind_of(data) == "experiment"
    html = str(render_result_html("experiment", data))
    md = render_summary("experiment", data)
    for text in expected:
        assert text in html, (name, text)
        assert text in md, (name, text)
    assert SCRIPT not in html and "tiny&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"**{MODEL}**" in md or name in ("fig4", "fig5", "transfer")
    for f in data["findings"]:
        assert f["statement"].split(":")[0] in md
    # the same template drew both: as many tables in the HTML as in the Markdown
    assert outline(html).tables == len(re.findall(r"^\|---", md, re.M)) > 0
    assert "Did it reproduce on" in md and "scale note:" in md


def test_experiment_folder_gets_figures_summary_page_and_index(tmp_path):
    data, numbers = table1_result()
    folder = tmp_path / "table1"
    folder.mkdir()
    page = write_experiment_pages(folder, data, numbers)
    names = {p.name for p in folder.iterdir()}
    assert {"figure2-before.png", "figure2-after.png", "figure2-change-rate.png",
            "pattern-before.png", "pattern-after.png", "report.md", "report.html"} <= names
    text = page.read_text(encoding="utf-8")
    assert text.count(SCRIPT) == 1 and "0.4321" in text  # the page's own script only
    assert outline(text).images and (tmp_path / "index.html").exists()


def test_index_links_each_experiment_and_escapes(tmp_path):
    import json

    from .experiment_results import transfer_result

    data, _ = transfer_result()
    (tmp_path / "transfer").mkdir()
    (tmp_path / "transfer" / "results.json").write_text(json.dumps(data))
    index = write_index(tmp_path).read_text(encoding="utf-8")
    assert 'href="transfer/report.html"' in index
    assert 'src="transfer/transfer-vs-similarity.png"' in index
    assert index.count(SCRIPT) == 1 and "reproduced" in index
    assert "<style>" in index  # the one page layout, with its CSS
