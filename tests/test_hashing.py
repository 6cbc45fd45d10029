"""The one stable-hash rule: golden digests computed with hashlib directly, so recorded step
folders, pattern shards, run keys and data fingerprints stay valid."""
from __future__ import annotations

import hashlib
from pathlib import Path

from headprint.data.source import DataBundle
from headprint.experiments.steps import STEP_FILE, Steps
from headprint.hashing import stable_hash
from headprint.training.runs import compute_run_key

SETTINGS = {"b": [1, 2.5, None], "a": "é", "path": Path("x/y"), "n": {"z": True, "k": 3}}
# The JSON each caller hashed before the helper existed, written out by hand.
SPACED = b'{"a": "\\u00e9", "b": [1, 2.5, null], "n": {"k": 3, "z": true}, "path": "x/y"}'
COMPACT = b'{"a":"\\u00e9","b":[1,2.5,null],"n":{"k":3,"z":true},"path":"x/y"}'
# Golden digests (hashlib.sha256 of the bytes above, recorded when the helper was made).
SPACED_DIGEST = "db028790a33b6b8f42c7dae3186f92b30921b683e1363cafb945164850821217"
COMPACT_DIGEST = "e60a9e6ae99cf53527fe9b341d99bb78bf6e0e30a7eccd1961e73a262f69f07a"


def test_golden_digests_are_plain_sha256_of_the_json():
    assert hashlib.sha256(SPACED).hexdigest() == SPACED_DIGEST
    assert hashlib.sha256(COMPACT).hexdigest() == COMPACT_DIGEST


def test_run_keys_keep_their_digest():
    """Pattern run keys (shards) and SFT run keys: json's default separators, ASCII."""
    assert stable_hash(SETTINGS) == SPACED_DIGEST
    assert compute_run_key(SETTINGS) == SPACED_DIGEST
    reordered = dict(reversed(list(SETTINGS.items())))
    assert stable_hash(reordered) == SPACED_DIGEST


def test_step_folders_keep_their_names(tmp_path):
    """Step folders: compact separators; the folder name carries the first 10 digits."""
    assert stable_hash(SETTINGS, compact=True) == COMPACT_DIGEST
    steps = Steps(tmp_path)
    folder = steps.folder("patterns", "gsm8k test", SETTINGS)
    assert folder == tmp_path / "patterns" / f"gsm8k-test-{COMPACT_DIGEST[:10]}"
    settings = {"n": 4, "model": "smollm2-135m"}
    golden = hashlib.sha256(b'{"model":"smollm2-135m","n":4}').hexdigest()
    done = steps.run("sft", "t", settings, lambda f: None)
    assert done.name == f"t-{golden[:10]}"
    import json

    assert json.loads((done / STEP_FILE).read_text())["key"] == golden


def test_data_fingerprint_keeps_utf8_compact_digest():
    rows = [{"id": "r1", "prompt": "Qué?", "completion": " 2", "meta": {"answer": "2"}}]
    text = '[{"completion":" 2","id":"r1","meta":{"answer":"2"},"prompt":"Qué?"}]'
    golden = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert golden == "84dcd3a69706da168da6ac1b5b3c42ed93477792d987f9a98718de82aecf1811"
    assert DataBundle(rows, "x", None).fingerprint() == "sha256:" + golden


def test_sample_id_digest_in_pattern_sets():
    from headprint.patterns import artifact

    golden = hashlib.sha256(b'["q1", "2", "\\u00e9"]').hexdigest()
    assert artifact._ids_digest(["q1", 2, "é"]) == golden
