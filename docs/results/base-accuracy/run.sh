#!/usr/bin/env bash
# Base accuracies of the built-in models in both prompt formats (docs/results.md,
# "Base accuracies"). One `headprint eval` per model, format and task, so a killed run keeps
# what finished; collect.py gathers the results.json files into this folder.
#   usage: [DTYPE=float32] docs/results/base-accuracy/run.sh OUT_ROOT [LIMIT]
# (float32 by default: the grid was begun on a CPU without bfloat16 instructions, where
# --dtype auto meant float32.)
set -u
out=${1:?output root}
limit=${2:-50}
export OMP_NUM_THREADS=1
mc="arc-challenge mmlu:math mmlu:physics mmlu:chemistry mmlu:biology"
gen="gsm8k-py gsm8k"
run() {  # model format task
    dir="$out/$1/$2/${3//:/_}"
    [ -f "$dir/results.json" ] && return 0
    mkdir -p "$(dirname "$dir")"
    start=$(date +%s)
    python -m headprint eval --model "$1" --format "$2" --task "$3" --limit "$limit" \
        --dtype "${DTYPE:-float32}" \
        --out "$dir" > "$dir.log" 2>&1
    echo "$1 $2 $3 exit $? $(( $(date +%s) - start )) s" >> "$out/times.txt"
}
mkdir -p "$out"
for task in $mc; do
    for model in smollm2-135m qwen2.5-coder-0.5b; do
        for fmt in chat raw; do run "$model" "$fmt" "$task"; done
    done
    run gemma3-270m raw "$task"  # a base model: no chat template, so raw only
done
for task in $gen; do
    for model in qwen2.5-coder-0.5b smollm2-135m; do
        for fmt in chat raw; do run "$model" "$fmt" "$task"; done
    done
    run gemma3-270m raw "$task"
done
