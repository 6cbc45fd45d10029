"""The sequence-length sweep as a figure: time per sample and peak memory against T."""
from __future__ import annotations

from pathlib import Path

__all__ = ["plot_sweep"]

STYLE = {"reference": ("(a) reference", "tab:red", "o"),
         "paper": ("(b) headprint paper", "tab:blue", "s"),
         "abs": ("(c) headprint abs", "tab:green", "^"),
         "floor": ("(d) floor", "tab:gray", "x")}


def plot_sweep(sweep: dict, path: Path) -> Path:
    """Two panels (seconds per sample, peak RSS GB) over sequence length, log-log.

    ``sweep`` maps ``"1x<T>"`` to ``{variant: result}``; out-of-memory points are marked
    on the memory panel at the limit they exceeded.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10, 4))
    for variant, (label, color, marker) in STYLE.items():
        xs, times, mems, ooms = [], [], [], []
        for key, row in sweep.items():
            length = int(key.split("x")[1])
            entry = row.get(variant) or {}
            if entry.get("status") == "ok":
                xs.append(length)
                times.append(entry["per_sample"])
                mems.append(entry["peak_mb"] / 1024)
            elif entry.get("status") == "oom":
                ooms.append((length, float(entry.get("watchdog_peak_gb")
                                           or entry.get("limit_gb", 0))))
        ax_time.plot(xs, times, marker=marker, color=color, label=label)
        ax_mem.plot(xs, mems, marker=marker, color=color, label=label)
        for length, limit in ooms:
            ax_mem.scatter([length], [limit], marker="*", s=120, color=color)
            ax_mem.annotate("OOM", (length, limit), textcoords="offset points",
                            xytext=(4, 4), color=color)
    for ax, title in ((ax_time, "seconds per sample"), (ax_mem, "peak RSS (GB)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T (batch 1)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax_time.legend(fontsize=8)
    fig.suptitle("SmolLM2-135M, 2 CPU threads")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
