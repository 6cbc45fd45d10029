"""The paper's own numbers and claims (Zhao et al., ACL 2025), for side-by-side reports.

Tables 1-3 are copied from the paper's text; its figures survive only as prose, so each
figure is represented by the claims the text makes about it. Each claim has an id that the
experiment reports use in their "reproduced?" lines.
"""
from __future__ import annotations

__all__ = ["TABLE1", "TABLE2", "TABLE3", "CLAIMS", "PAPER_MODELS", "CITATION"]

CITATION = ("Zhao, Du, Ding, Xiong, Liu, Qin. Supervised Fine-Tuning Achieve Rapid Task "
            "Adaption Via Alternating Attention Head Activation Patterns. ACL 2025.")

PAPER_MODELS = ("Llama-7B", "Llama2-7B", "Llama3-8B", "Gemma-7B", "OPT-6.7B")

#: Table 1: model -> state -> (Gini, CV, kurtosis), averaged over the paper's seven tasks.
TABLE1: dict[str, dict[str, tuple[float, float, float]]] = {
    "Llama3-8B": {"before": (0.50, 1.19, 95.37), "after": (0.33, 0.71, 39.55)},
    "Gemma-7B": {"before": (0.48, 1.71, 240.99), "after": (0.38, 1.23, 130.82)},
    "OPT-6.7B": {"before": (0.42, 1.06, 50.67), "after": (0.38, 0.819, 24.23)},
}

#: Table 2 (MathBench accuracy, %): model -> (Base, SFT, Random, Ours).
TABLE2: dict[str, tuple[float, float, float, float]] = {
    "Llama-7B": (28.68, 31.78, 33.82, 36.82),
    "Llama2-7B": (29.07, 36.43, 34.51, 40.70),
    "Llama3-8B": (50.39, 52.33, 51.16, 55.03),
}

#: Table 3 (MMLU accuracy, %, mean of math/physics/chemistry/biology):
#: model -> {"Base": x, "T100": x, "R100": x, ...}.
TABLE3: dict[str, dict[str, float]] = {
    "Llama-7B": dict(Base=30.00, T100=31.66, R100=30.33, T300=36.15, R300=32.81,
                     T500=39.09, R500=34.68),
    "Llama2-7B": dict(Base=35.08, T100=39.05, R100=37.06, T300=40.51, R300=37.62,
                      T500=40.70, R500=37.95),
    "Llama3-8B": dict(Base=56.75, T100=57.39, R100=56.19, T300=57.95, R300=56.37,
                      T500=57.51, R500=56.19),
}

#: Claim id -> (where in the paper, the claim in one line).
CLAIMS: dict[str, tuple[str, str]] = {
    "T1.concentrated": ("Table 1", "Before SFT the pattern is concentrated on few heads: "
                        "Gini > 0.4, CV > 1, kurtosis > 3 (all three models)."),
    "T1.flatter": ("Table 1", "After SFT Gini, CV and kurtosis all decrease (all three "
                   "models): more heads take part."),
    "T1.still_skewed": ("Table 1", "After SFT kurtosis stays above 3: a few heads still "
                        "dominate."),
    "F2.groups": ("Figure 2", "After SFT the tasks' change rates group into math/code and "
                  "text reasoning."),
    "F2.specific": ("Figure 2", "After SFT tasks are less alike: correlations between "
                    "tasks' patterns decrease."),
    "F4.fit": ("Figure 4", "The complex task's change is well fitted by two basic tasks' "
               "changes (best R² 0.97: Code Search Net + GSM8K for SGSM)."),
    "F4.pair": ("Figure 4", "The best pair is the math task and the code task the complex "
                "task combines."),
    "F5.fast": ("Figure 5", "Patterns change rapidly in the first SFT steps."),
    "F5.math": ("Figure 5", "The hardest task (MATH) shows the largest change (most "
                "visible for the weakest model, OPT-6.7B)."),
    "T2.beats_sft": ("Table 2", "Mixture of basic tasks, then target data (Ours) beats SFT "
                     "on the target data alone (all three models)."),
    "T2.beats_random": ("Table 2", "Ours beats a random mixture of the same size (all "
                        "three models)."),
    "T2.beats_uniform": ("Table 2 (headprint's baseline)", "Ours beats a uniform mixture of "
                         "all basic tasks of the same size (not in the paper)."),
    "T2.sft_helps": ("Table 2", "SFT on the small target set beats the base model."),
    "T2.kept": ("Section 5.1", "The two kept basic tasks are the ones the complex task "
                "combines (GSM8K for the math, RefGPT for the language)."),
    "T3.beats_random": ("Table 3", "Rows selected by pattern similarity (T) beat random "
                        "rows (R) at every size (all three models)."),
    "T3.beats_embedding": ("Table 3 (headprint's baseline)", "Rows selected by pattern "
                           "similarity (T) beat rows selected by embedding similarity (E, "
                           "as in RDS+) at every size (not in the paper)."),
    "T3.beats_base": ("Table 3", "Training on the selected rows beats the base model."),
    # The paper's thesis, tested beyond its experiments (headprint reproduce transfer).
    "X.transfer_patterns": ("Thesis (beyond the paper)", "SFT on one task helps another "
                            "more when the two tasks' patterns before SFT are more alike."),
    "X.transfer_change": ("Thesis (beyond the paper)", "SFT on one task helps another more "
                          "when the two tasks' change rates under SFT are more alike."),
}
