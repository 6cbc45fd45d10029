"""Render the report in a real browser (headless Chromium): headings, tables, images."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from headprint.report import build_report

from .report_outline import Outline

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow  # two browser launches plus the synthetic run: ~10 s


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (Debian package chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it")  # never silently skip in CI
        pytest.skip(message)
    return CHROMIUM


def browse(chromium: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([str(chromium), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=True)


def test_rendered_dom_has_headings_tables_and_images(chromium, run_dir, tmp_path):
    page = build_report(run_dir)
    dom = browse(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout
    outline = Outline()
    outline.feed(dom)
    for heading in ("Provenance", "Distribution of activation patterns (Table 1)",
                    "Composition of the target change (Eq. 3, Figure 4)",
                    "Pattern dynamics during fine-tuning (Figure 5)"):
        assert heading in outline.headings
    source = Outline()
    source.feed(page.read_text(encoding="utf-8"))
    assert outline.tables == source.tables > 5
    assert len(outline.images) == len(source.images) > 10


def test_screenshot_shows_figures(chromium, run_dir, tmp_path):
    page = build_report(run_dir)
    shot = tmp_path / "shot.png"
    browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,9000",
           "--hide-scrollbars", page.as_uri())
    img = imread(str(shot))[..., :3]
    assert img.shape[:2] == (9000, 1280)
    assert img[:120].std() > 0.05  # the header's text rendered
    # Figures are the only colourful things on the page (text is grey, links blue):
    # saturated pixels prove the embedded PNGs decoded and painted.
    saturation = img.max(axis=-1) - img.min(axis=-1)
    colourful = saturation > 0.25
    assert colourful.mean() > 0.03
    rows = np.flatnonzero(colourful.mean(axis=1) > 0.05)
    assert rows.size and rows.max() - rows.min() > 2000  # figures all down the page
