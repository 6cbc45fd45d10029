"""Every sample count and step count of the five experiments, per scale, in one table.

``tiny`` is for CI and ``make demo`` (all five experiments in minutes on 2 CPU cores),
``small`` for results on record on 2 CPU cores (Table 1 + Figures 2, 4, 5 in about an hour,
Tables 2 and 3 in about two hours each, measured with SmolLM2-135M), ``reduced`` for
Tables 2 and 3 on the larger built-in models on 2 CPU cores (not yet run), ``paper`` the paper's
sizes where it states them (Table 2: 100 target rows; Table 3: 100/300/500 selected rows,
the whole non-target MMLU as the pool) and otherwise headprint's choice for a GPU.

Training follows headprint's SFT defaults for small models (full fine-tuning, float32,
AdamW, linear decay) rather than the paper's lr 1e-6, which was tuned for 7B models
and thousands of steps: with a few dozen steps it would leave a 135M model unchanged.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from headprint.errors import UsageError
from headprint.settings import require_at_least

__all__ = ["Scale", "SCALES", "get_scale", "ANALYSIS_TASKS"]

#: The paper's Section 4 tasks as headprint has them offline (DESIGN §4): MATH, GSM8K,
#: code (docstring→function pairs, CodeSearchNet's recipe), HellaSwag, Winogrande, ARC;
#: GSM8K solved by Python programs stands in for SGSM, the complex task.
ANALYSIS_TASKS = ("math", "gsm8k", "pycode", "hellaswag", "winogrande", "arc-challenge")


@dataclass(frozen=True)
class Scale:
    """Sizes of one scale. Rows are drawn with :func:`headprint.data.load_data`'s seeded,
    nested ``limit`` (the rows of a smaller scale are a prefix of a larger one's)."""

    name: str
    # -- shared SFT runs: Table 1 / Figure 2, Figure 4 and Figure 5 ----------------------
    basic_tasks: tuple[str, ...] = ANALYSIS_TASKS
    """Basic tasks (Figure 4's regressors, Table 2's candidate pool)."""
    complex_task: str = "gsm8k-py"
    """Complex task of Figure 4 and target of Table 2 (the paper's SGSM)."""
    n_train: int = 64
    """SFT rows per task (the paper: as many as the smallest task has)."""
    n_patterns: int = 32
    """Held-out (test split) rows per pattern set."""
    track_at: tuple[int, ...] = (1, 2, 4, 8)
    """SFT steps, besides 0 and the last, at which patterns are computed (Figure 5)."""
    epochs: float = 1.0
    lr: float = 2e-5
    batch_size: int = 4
    max_length: int = 256
    # -- Table 2: mixture from composition ----------------------------------------------
    t2_target_train: int = 100
    """Rows of the complex task available for training (the paper: 100)."""
    t2_mixture: int = 200
    """Rows N of the basic-task mixture (and of the random mixture)."""
    t2_test: int | None = 100
    """Test rows of the complex task the arms are evaluated on (None: all 249)."""
    t2_top_k: int = 2
    t2_max_gen_toks: int = 256
    """Generation budget per test program (gsm8k-py programs: median 150 tokens)."""
    # -- Table 3: selection by similarity -----------------------------------------------
    t3_domains: tuple[str, ...] = ("math", "physics", "chemistry", "biology")
    t3_pseudo: int | None = None
    """Pseudo-private rows per domain: its MMLU dev + validation rows (None: all of them,
    40-140 depending on the domain)."""
    t3_pool: int | None = 1000
    """Candidate pool: this many MMLU test rows of the other subjects (None: all)."""
    t3_sizes: tuple[int, ...] = (100, 300, 500)
    t3_test: int | None = 200
    """Private test rows per domain (None: the whole domain test split)."""
    t3_epochs: float = 1.0
    seed: int = 0
    """Seed of the shared task runs (Table 1, Figures 2, 4, 5, Table 2's basic tasks)."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds of every trained arm of Tables 2 and 3: each seed changes the training order
    and every random draw (mixtures, random selections, Table 3's pool), and is a step of
    its own; arms are reported as mean ± sd over them."""
    t2_nonneg: bool = False
    """Table 2's mixture from the non-negative composition fit (NNLS) instead of least
    squares (both R² are reported either way)."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        positive = ("n_train", "n_patterns", "batch_size", "max_length", "t2_target_train",
                    "t2_mixture", "t2_top_k", "t2_max_gen_toks")
        try:
            require_at_least(self, positive)
        except UsageError as err:
            raise UsageError(f"scale {self.name}: {err}") from None
        if self.t3_pool is not None and max(self.t3_sizes) > self.t3_pool:
            raise UsageError(f"scale {self.name}: selection sizes {self.t3_sizes} exceed the "
                             f"pool of {self.t3_pool} rows")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise UsageError(f"scale {self.name}: seeds must be distinct and at least one")
        if len(self.basic_tasks) < 2:
            raise UsageError(f"scale {self.name}: composition needs at least two basic tasks")

    def steps_per_run(self, rows: int, epochs: float | None = None) -> int:
        """Optimizer steps of an SFT run over ``rows`` rows."""
        return max(1, int(-(-rows * (epochs or self.epochs) // self.batch_size)))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        "tiny", basic_tasks=("gsm8k", "pycode", "arc-challenge"),
        n_train=8, n_patterns=4, track_at=(), max_length=128,
        t2_target_train=8, t2_mixture=8, t2_test=4, t2_max_gen_toks=32,
        t3_domains=("biology",), t3_pseudo=8, t3_pool=16, t3_sizes=(4, 8), t3_test=8,
        seeds=(0, 1),
        notes=("a smoke test of the pipeline: numbers at this size mean nothing; two seeds "
               "(results need at least three) to exercise the spread between seeds",)),
    "small": Scale(
        "small", n_train=64, n_patterns=32, track_at=(1, 2, 4, 8), max_length=384,
        t2_target_train=100, t2_mixture=200, t2_test=100,
        t3_pool=500, t3_sizes=(25, 50, 100), t3_test=100,
        notes=("sized for 2 CPU cores: selection sizes 25/50/100 from a 500-row pool "
               "instead of the paper's 100/300/500 from all of MMLU, 100 test questions per "
               "domain, 64 training rows per task",)),
    "reduced": Scale(
        "reduced", basic_tasks=("math", "gsm8k", "pycode"), n_train=32, n_patterns=16,
        track_at=(), max_length=384, t2_target_train=16, t2_mixture=16, t2_test=24,
        t3_domains=("math",), t3_pool=100, t3_sizes=(25,), t3_test=50,
        notes=("for the larger built-in models (2-4x SmolLM2's cost per token) on 2 CPU "
               "cores: Table 3 on one MMLU domain (math), one selection size (25 of a "
               "100-row pool), 50 test questions; Table 2 with 16 target and 16 mixture "
               "rows, 24 test programs, and three basic tasks (math, gsm8k, pycode: the "
               "families gsm8k-py combines, and a second math task)",)),
    "paper": Scale(
        "paper", n_train=299, n_patterns=256, track_at=(1, 2, 4, 8, 16, 32),
        max_length=1024, t2_target_train=100, t2_mixture=1000, t2_test=None,
        t3_pool=None, t3_sizes=(100, 300, 500), t3_test=None,
        notes=("n_train 299 = the smallest training split (ARC-Challenge), as the paper "
               "matches every task to its smallest dataset",)),
}


def get_scale(name: str) -> Scale:
    """The scale called ``name``; ValueError listing the known ones."""
    if name not in SCALES:
        raise UsageError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}")
    return SCALES[name]
