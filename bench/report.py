"""Tables and target checks from a benchmark results dictionary (``bench/results/*.json``).

Pure functions: no model, no measurement. Ratios are formed from numbers of the same run:
"× faster than (a)" is reference time / variant time; "× floor" is variant time / floor time;
"mem vs (a)" is variant peak / reference peak.
"""
from __future__ import annotations

__all__ = ["markdown_report", "check_targets", "ratio"]

VARIANTS = ("reference", "paper", "abs", "floor")
LABELS = {"reference": "(a) reference", "paper": "(b) paper", "abs": "(c) abs",
          "floor": "(d) floor"}


def _ok(entry: dict | None) -> bool:
    return bool(entry) and entry.get("status") == "ok"


def ratio(row: dict, top: str, bottom: str, field: str = "per_sample") -> float | None:
    """``row[top][field] / row[bottom][field]`` when both measured, else None."""
    if _ok(row.get(top)) and _ok(row.get(bottom)) and field in row[top] \
            and field in row[bottom]:
        return row[top][field] / row[bottom][field]
    return None


def _fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{suffix}"


def _status(entry: dict | None) -> str:
    if not entry:
        return "not run"
    if entry.get("status") == "oom" and entry.get("reason") == "machine":
        return (f"OOM (machine: < 1.5 GB free with the child at "
                f"{entry.get('watchdog_peak_gb', '?')} GB)")
    if entry.get("status") == "oom":
        return f"OOM (> {entry.get('limit_gb', '?')} GB)"
    return str(entry.get("status"))


def shape_table(rows: dict) -> list[str]:
    lines = ["| shape | variant | s / sample (wall) | rounds: median / slowest "
             "| CPU s / sample | peak RSS GB "
             "| × faster than (a) wall / CPU | × floor's time wall / CPU | peak vs (a) "
             "| load avg |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for shape, row in rows.items():
        for variant in VARIANTS:
            entry = row.get(variant)
            if not _ok(entry):
                lines.append(f"| {shape} | {LABELS[variant]} | {_status(entry)} "
                             f"| | | | | | | |")
                continue
            cpu = entry.get("cpu_per_sample")
            floor = ratio(row, variant, "floor")
            noise = " (below the floor: noise)" if variant != "floor" and floor is not None \
                and floor < 1.0 else ""
            spread = (f"{_fmt(entry.get('median_per_sample'))} / "
                      f"{_fmt(entry.get('max_per_sample'))} (n={entry.get('n_rounds', 1)})")
            lines.append(
                f"| {shape} | {LABELS[variant]} | {entry['per_sample']:.2f} | {spread} "
                f"| {_fmt(cpu)} | {entry['peak_mb'] / 1024:.2f} "
                f"| {_fmt(ratio(row, 'reference', variant), '.2f', '×')} / "
                f"{_fmt(ratio(row, 'reference', variant, 'cpu_per_sample'), '.2f', '×')} "
                f"| {_fmt(floor, '.2f', '×')} / "
                f"{_fmt(ratio(row, variant, 'floor', 'cpu_per_sample'), '.2f', '×')}{noise} "
                f"| {_fmt(ratio(row, variant, 'reference', 'peak_mb'), '.2f')} "
                f"| {entry.get('load_before', '?')}–{entry.get('load_after', '?')} |")
    return lines


def gate_table(rows: dict) -> list[str]:
    lines = ["| shape / model | paper rel. error | abs rel. error | rows checked | result |",
             "|---|---:|---:|---:|---|"]
    for name, row in rows.items():
        gate = row.get("gate") if isinstance(row, dict) else None
        if not gate:
            continue
        if gate.get("status") != "ok":
            lines.append(f"| {name} | | | | {_status(gate)} |")
            continue
        lines.append(f"| {name} | {gate['paper']:.1e} | {gate['abs']:.1e} | "
                     f"{gate['rows_checked']} | {'pass' if gate.get('passed') else 'FAIL'} |")
    return lines


def e2e_lines(e2e: dict) -> list[str]:
    ours, theirs = e2e.get("headprint"), e2e.get("released")
    lines = ["| protocol | samples timed | seconds | s / sample | CPU s / sample | peak RSS GB |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, entry in (("headprint defaults (length-grouped, batch 4)", ours),
                         (f"released script (pad to 1024, batch "
                          f"{(theirs or {}).get('batch', '?')})", theirs)):
        if not _ok(entry):
            lines.append(f"| {label} | {_status(entry)} | | | | |")
            continue
        lines.append(f"| {label} | {entry['samples_done']} | {entry['seconds']:.0f} "
                     f"| {entry['per_sample']:.3f} | {_fmt(entry.get('cpu_per_sample'), '.3f')} "
                     f"| {entry['peak_mb'] / 1024:.2f} |")
    if _ok(ours) and _ok(theirs):
        lines.append("")
        cpu = ratio({"a": theirs, "b": ours}, "a", "b", "cpu_per_sample")
        lines.append(f"Speed-up per sample: **{theirs['per_sample'] / ours['per_sample']:.1f}×** "
                     f"wall-clock, {_fmt(cpu, '.1f', '×')} CPU "
                     f"(pool of {ours['n_pool']} samples, mean {ours['mean_tokens']:.0f} tokens, "
                     f"longest {ours['max_tokens']}).")
    return lines


def check_targets(results: dict, clock: str = "per_sample") -> list[str]:
    """One line per benchmark target: ``MET``, ``MISSED`` or ``NOT MEASURED``, with numbers.

    ``clock``: ``per_sample`` (wall-clock seconds) or ``cpu_per_sample`` (CPU seconds of all
    threads, which other load on a shared machine distorts far less).
    """
    shapes = results.get("shapes", {})
    out = []

    def verdict(name: str, value: float | None, good, text: str) -> None:
        if value is None:
            out.append(f"NOT MEASURED  {name}")
        else:
            out.append(f"{'MET' if good(value) else 'MISSED':<12}  {name}: {text.format(value)}")

    for shape, need in (("4x256", 2.0), ("1x1024", 4.0)):
        verdict(f"paper ≥ {need:g}× reference throughput at {shape}",
                ratio(shapes.get(shape, {}), "reference", "paper", clock),
                lambda v, n=need: v >= n, "{:.2f}×")
    for shape, row in shapes.items():
        below = ratio(row, "paper", "floor", clock)
        verdict(f"paper within 1.1× of floor at {shape}", below,
                lambda v: v <= 1.1, "{:.2f}×" + (" (faster than the floor: noise, not a "
                                                  "gain)" if below is not None and below < 1
                                                  else ""))
        if row.get("dtype", "float32") != "float32":
            continue
        verdict(f"abs ≤ 1.6× paper's time at {shape}", ratio(row, "abs", "paper", clock),
                lambda v: v <= 1.6, "{:.2f}×")
        gate = row.get("gate") or {}
        verdict(f"abs exact vs brute force at {shape}",
                gate.get("abs") if gate.get("status") == "ok" else None,
                lambda v: v < 1e-4, "rel. error {:.1e}")
    verdict("paper peak memory ≤ ½ reference's at 1x1024",
            ratio(shapes.get("1x1024", {}), "paper", "reference", "peak_mb"),
            lambda v: v <= 0.5, "{:.2f} of reference")
    paper_4k = shapes.get("4x1024", {}).get("paper")
    verdict("paper at 4x1024 within 12 GB",
            paper_4k["peak_mb"] / 1024 if _ok(paper_4k) else None,
            lambda v: v <= 12, "{:.2f} GB")
    # Issue 13: bfloat16 (rows keyed SHAPE/bfloat16; "auto" resolves per machine).
    auto = results.get("meta", {}).get("auto_dtype", "float32")
    for shape in ("4x256", "1x1024"):
        auto_row = shapes.get(shape if auto == "float32" else f"{shape}/{auto}", {})
        base = shapes.get(shape, {})
        value = None
        if _ok(auto_row.get("paper")) and _ok(base.get("paper")) and clock in base["paper"]:
            value = base["paper"][clock] / auto_row["paper"][clock]
        verdict(f"paper in auto ({auto}) ≥ 2× its float32 throughput at {shape}", value,
                lambda v: v >= 2, "{:.2f}×")
    for shape, need in (("4x256", 2.0), ("1x1024", 3.0)):
        verdict(f"paper bf16 ≥ {need:g}× bf16 reference throughput at {shape}",
                ratio(shapes.get(f"{shape}/bfloat16", {}), "reference", "paper", clock),
                lambda v, n=need: v >= n, "{:.2f}×")
    paper_4k_bf16 = shapes.get("4x1024/bfloat16", {}).get("paper")
    verdict("paper bf16 at 4x1024 within 6 GB",
            paper_4k_bf16["peak_mb"] / 1024 if _ok(paper_4k_bf16) else None,
            lambda v: v <= 6, "{:.2f} GB")
    e2e = results.get("e2e", {})
    speed = None
    if _ok(e2e.get("headprint")) and _ok(e2e.get("released")) and clock in e2e["headprint"]:
        speed = e2e["released"][clock] / e2e["headprint"][clock]
    verdict("end to end ≥ 8× the released protocol", speed, lambda v: v >= 8, "{:.1f}×")
    return out


def markdown_report(results: dict) -> str:
    meta = results.get("meta", {})
    lines = [f"# headprint benchmark ({meta.get('updated', '?')})", "",
             f"torch {meta.get('torch', '?')}, transformers {meta.get('transformers', '?')}, "
             f"{meta.get('threads', '?')} threads, memory limit {meta.get('limit_gb', '?')} GB.",
             ""]
    if "shapes" in results:
        lines += ["## Correctness gate", ""] + gate_table(results["shapes"]) + [""]
        lines += ["## Shapes", ""] + shape_table(results["shapes"]) + [""]
    if "sweep" in results:
        lines += ["## Sequence-length sweep (batch 1)", ""] + shape_table(results["sweep"]) + [""]
    if "e2e" in results:
        lines += ["## End to end", ""] + e2e_lines(results["e2e"]) + [""]
    if "models" in results:
        measured = {k: v for k, v in results["models"].items() if "status" not in v}
        lines += ["## Built-in models (4x256)", ""] + gate_table(measured) + [""]
        lines += shape_table({name: row for name, row in measured.items()}) + [""]
        for name, row in results["models"].items():
            if "status" in row:
                lines.append(f"- {name}: {row['status']}")
        lines.append("")
    lines += ["## Targets (wall-clock seconds)", "", "```"] + check_targets(results) + ["```", ""]
    lines += ["## Targets (CPU seconds)", "", "```"] + check_targets(results, "cpu_per_sample") \
        + ["```", ""]
    return "\n".join(lines)
