"""The gold choice's probability: log-likelihoods normalised over the choices."""
from __future__ import annotations

import math

import pytest

from headprint.experiments.blocks import gold_choice_probability


def test_normalised_log_likelihoods_give_the_choice_probability():
    lls = [math.log(0.5), math.log(0.3), math.log(0.2)]
    assert gold_choice_probability(lls, 0) == pytest.approx(0.5)
    assert gold_choice_probability(lls, 2) == pytest.approx(0.2)


def test_unnormalised_and_very_negative_log_likelihoods():
    # only differences matter: exp(-1000) underflows, the shifted softmax does not
    assert gold_choice_probability([-1000.0, -1000.0, -1000.0, -1000.0], 3) == pytest.approx(0.25)
    # two choices one nat apart: 1 / (1 + e)
    assert gold_choice_probability([-2001.0, -2000.0], 0) == pytest.approx(1 / (1 + math.e))
