"""Every ``headprint`` command: its flags are its settings dataclasses' fields, its help is
theirs, the flags it always had still work, and ``--config FILE.yaml`` fills the same
dataclasses under the flags given.

Parsing only: no command runs here.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest
import yaml

from headprint.cli import build_parser, main
from headprint.cli_parser import CONFIG_HELP
from headprint.settings import setting_names

REPO = Path(__file__).resolve().parents[1]

# Every option of the hand-written parsers that the generated ones replaced (README, docs,
# docs/results/**/run.sh and scripts use them), and their positional arguments. Left out:
# sft's --device/--device-map and eval's --device-map, which only ever raised an error.
OLD_FLAGS = {
    "patterns": "--model --dtype --device --device-map --data --split --limit --method --loss "
                "--batch-size --max-length --per-sample --skip-bad --shard-size --name "
                "--format --overwrite --out",
    "stats": "--out --n-boot --confidence --seed --ci-method --no-figures",
    "compare": "--top --out --n-boot --confidence --seed --ci-method --no-figures",
    "similarity": "--of --out --no-figures",
    "compose": "--target --basis --pool --k --max-subsets --intercept --nonnegative --top "
               "--permutations --draws --out --n-boot --confidence --seed --ci-method "
               "--no-figures",
    "track": "--out --n-boot --confidence --seed --ci-method --no-figures",
    "report": "--out --title",
    "sft": "--model --dtype --config --data --split --limit --skip-bad --format --epochs "
           "--max-steps --lr --batch-size --grad-accum --max-length --warmup-ratio "
           "--lr-scheduler --weight-decay --seed --bf16 --gradient-checkpointing --lora "
           "--lora-r --lora-alpha --lora-targets --deepspeed --save-steps --save-at --track "
           "--track-limit --track-split --track-method --track-batch-size --resume "
           "--no-progress --out",
    "eval": "--model --dtype --device --task --limit --format --batch-size --max-gen-toks "
            "--code-timeout --code-memory-mb --out",
    "select": "--by --target --pool --n --data --target-data --model --max-length --seed "
              "--out",
    "mix": "--target --basis --size --top-k --by --random --nonneg --pool-per-task --seed "
           "--out",
    "reproduce": "--model --scale --out --format --dtype",
    "validate": "--out --model --data --split --limit --allow-overlap --ablation "
                "--single-head --single-head-rows --seeds --ks --batch-size "
                "--rows-per-forward --max-length --dtype --device --seed",
    "demo": "--model --out --limit --tasks --no-training --no-experiments",
}
OLD_POSITIONALS = {"stats": ["patterns"], "compare": ["a", "b"], "similarity": ["patterns"],
                   "track": ["run_dir"], "report": ["folder"], "reproduce": ["name"],
                   "validate": ["patterns"]}
# Options that are no field: argparse's --help, and --config itself.
NOT_FIELDS = {"help", "config"}


@pytest.fixture(scope="module")
def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _fields(parser) -> dict[str, dataclasses.Field]:
    return {f.name: f for t in parser.dataclass_types for f in dataclasses.fields(t)}


def test_every_command_is_covered(commands):
    assert set(commands) == set(OLD_FLAGS)


@pytest.mark.parametrize("name", sorted(OLD_FLAGS))
def test_flags_are_the_dataclass_fields(commands, name):
    parser = commands[name]
    dests = {a.dest for a in parser._actions} - NOT_FIELDS
    assert dests == set(setting_names(parser.dataclass_types))
    fields = _fields(parser)
    for action in parser._actions:
        if action.dest in NOT_FIELDS:
            continue
        aliases = fields[action.dest].metadata.get("aliases", [])
        spelled = {f"--{action.dest}", f"--{action.dest.replace('_', '-')}", *aliases}
        spelled |= {f"--no-{s[2:]}" for s in spelled}
        assert set(action.option_strings) <= spelled, action.option_strings


@pytest.mark.parametrize("name", sorted(OLD_FLAGS))
def test_help_is_the_field_doc(commands, name):
    parser = commands[name]
    fields = _fields(parser)
    for action in parser._actions:
        if action.dest == "config":
            assert action.help == CONFIG_HELP
        elif action.dest != "help":
            doc = fields[action.dest].metadata.get("help")
            assert doc and action.help == doc, action.dest
    assert "--config" in parser.format_help()


@pytest.mark.parametrize("name", sorted(OLD_FLAGS))
def test_old_flags_and_positionals_still_work(commands, name):
    parser = commands[name]
    options = {s for a in parser._actions for s in a.option_strings}
    assert set(OLD_FLAGS[name].split()) <= options
    positionals = [a.dest for a in parser._actions if not a.option_strings]
    assert positionals == OLD_POSITIONALS.get(name, [])


def _settings(argv: list[str]):
    parser = build_parser()
    args = parser.parse_args(argv)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[argv[0]].settings(args)


# command -> (YAML settings, flags given on top of them, what the dataclasses then hold)
CASES = {
    "patterns": ({"data": "arc-easy", "limit": 8, "per-sample": True, "out": "o"},
                 ["--limit", "4"], [{"data": "arc-easy", "limit": 4, "per_sample": True},
                                    {"out": "o"}]),
    "stats": ({"patterns": ["a", "b"], "n_boot": 10, "figures": False}, ["--seed", "3"],
              [{"patterns": ["a", "b"]}, {"figures": False}, {"n_boot": 10, "seed": 3}]),
    "compare": ({"a": "A", "b": "B", "top": 3}, ["--top", "4"], [{"a": "A", "top": 4}, {}, {}]),
    "similarity": ({"patterns": ["x=a", "y=b"], "of": "pattern"}, ["p", "q"],
                   [{"patterns": ["p", "q"], "of": "pattern"}, {}]),
    "compose": ({"target": ["b", "a"], "basis": {"m": ["1", "2"]}, "k": [1, 2]},
                ["--draws", "5"], [{"target": ("b", "a"), "basis": {"m": ("1", "2")},
                                    "k": [1, 2], "draws": 5}, {}, {}]),
    "track": ({"run_dir": "R", "out": "o"}, ["R2"], [{"run_dir": "R2"}, {"out": "o"}, {}]),
    "report": ({"folder": "runs", "title": "T"}, ["--out", "x.html"],
               [{"folder": "runs", "title": "T", "out": "x.html"}]),
    "eval": ({"tasks": ["gsm8k", "arc-easy"], "limit": 5}, ["--task", "mmlu"],
             [{"tasks": ["mmlu"], "limit": 5}, {}]),
    "select": ({"n": [10, 20], "by": "random", "out": "o"}, ["--seed", "2"],
               [{"n": [10, 20], "by": "random", "seed": 2, "out": "o"}]),
    "mix": ({"target": ["b", "a"], "basis": ["x=1,2,d"], "size": 10, "out": "m.jsonl"},
            ["--nonneg"], [{"basis": {"x": ("1", "2", "d")}, "nonnegative": True}]),
    "reproduce": ({"name": "fig4", "scale": "tiny"}, ["--out", "r"],
                  [{"name": "fig4", "scale": "tiny", "out": "r"}]),
    "validate": ({"patterns": "P", "ks": [1, 2], "out": "v", "single_head": True},
                 ["--ks", "4,8"], [{"patterns": "P", "ks": (4, 8), "single_head": True},
                                   {"out": "v"}]),
    "demo": ({"tasks": ["gsm8k"], "training": False}, ["--limit", "2"],
             [{"tasks": ["gsm8k"], "training": False, "limit": 2}]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_file_with_flag_override(commands, name, tmp_path):
    values, flags, expected = CASES[name]
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(values))
    got = _settings([name, "--config", str(config), *flags])
    assert len(got) == len(expected)
    for instance, changes in zip(got, expected):
        base = {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)
                if f.name not in changes}
        assert instance == type(instance)(**base, **changes)


def test_sft_paper_config_with_flags_equals_the_library_reading(tmp_path):
    from headprint.training import SFTConfig

    paper = REPO / "configs" / "paper.yaml"
    config, output = _settings(["sft", "--config", str(paper), "--model", "m", "--data",
                                "gsm8k", "--lr", "1e-5", "--no-bf16", "--out", "R"])
    assert config == SFTConfig.from_file(paper, model="m", data="gsm8k", lr=1e-5, bf16=False)
    assert (output.out, output.resume, output.progress) == ("R", False, True)


@pytest.mark.parametrize("name", sorted(OLD_FLAGS))
def test_unknown_config_key_is_one_line_exit_2(name, tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("batch_sise: 8\n")
    assert main([name, "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"headprint {name}: error: ")
    assert str(config) in err[0] and "batch_sise" in err[0]


def test_missing_config_file_is_exit_2(tmp_path, capsys):
    assert main(["stats", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: not found" in capsys.readouterr().err
