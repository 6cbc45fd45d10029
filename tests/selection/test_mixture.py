"""CompositionMixture: exact sizes for planted coefficients; non-positive β gives no rows."""
from __future__ import annotations

import pytest
import torch

from headprint.selection import (CompositionMixture, SelectionError, largest_remainder,
                                 random_mixture)


def planted(coefficients: dict[str, float], shape=(6, 5), seed=0):
    gen = torch.Generator().manual_seed(seed)
    basis = {name: torch.randn(shape, generator=gen) for name in coefficients}
    target = sum(beta * basis[name] for name, beta in coefficients.items())
    return target, basis


def rows(task: str, n: int) -> list[dict]:
    return [{"id": str(i), "prompt": f"{task} q{i}", "completion": f"a{i}",
             "meta": {"k": i}} for i in range(n)]


def test_planted_coefficients_give_exact_sizes():
    target, basis = planted({"math": 3.0, "code": 1.0, "text": -2.0, "noise": 0.0})
    mixture = CompositionMixture(top_k=2).fit(target, basis)
    assert mixture.coefficients_["math"] == pytest.approx(3.0)
    assert list(mixture.weights_) == ["math", "code"]
    assert mixture.proportions() == pytest.approx({"math": 0.75, "code": 0.25})
    assert mixture.allocate(400) == {"math": 300, "code": 100}
    drawn = mixture.draw({t: rows(t, 400) for t in basis}, 400, seed=1)
    counts = {t: sum(r["source_task"] == t for r in drawn) for t in basis}
    assert counts == {"math": 300, "code": 100, "text": 0, "noise": 0}


@pytest.mark.parametrize("top_k", [1, 2, 3, 4, 10])
def test_negative_or_zero_coefficient_never_contributes(top_k):
    target, basis = planted({"a": 2.0, "b": 0.5, "neg": -1.0, "zero": 0.0})
    mixture = CompositionMixture(top_k=top_k).fit(target, basis)
    assert "neg" not in mixture.weights_ and "zero" not in mixture.weights_
    assert "not positive" in mixture.dropped_["neg"]
    assert "not positive" in mixture.dropped_["zero"]
    for n in (1, 7, 101, 999):
        counts = mixture.allocate(n)
        assert sum(counts.values()) == n
        assert counts.get("neg", 0) == 0 and counts.get("zero", 0) == 0
    assert len(mixture.weights_) == min(top_k, 2)


def test_top_k_keeps_largest_positive():
    target, basis = planted({"a": 1.0, "b": 4.0, "c": 2.0})
    mixture = CompositionMixture(top_k=2).fit(target, basis)
    assert list(mixture.weights_) == ["b", "c"]
    assert "outside the top 2" in mixture.dropped_["a"]
    assert mixture.allocate(10) == {"b": 7, "c": 3}  # 6.67 and 3.33: remainder to b


def test_largest_remainder_sums_exactly():
    assert largest_remainder({"x": 1, "y": 1, "z": 1}, 10) == {"x": 4, "y": 3, "z": 3}
    assert largest_remainder({"x": 1, "y": 2}, 0) == {"x": 0, "y": 0}
    for n in range(0, 50):
        counts = largest_remainder({"p": 0.37, "q": 1.21, "r": 2.5, "s": -3}, n)
        assert sum(counts.values()) == n and "s" not in counts
    with pytest.raises(SelectionError, match="no positive weight"):
        largest_remainder({"a": -1.0, "b": 0.0}, 5)


def test_no_positive_coefficient_is_a_clear_error():
    target, basis = planted({"a": -1.0, "b": -2.0})
    mixture = CompositionMixture().fit(target, basis)
    with pytest.raises(SelectionError, match="no basic task has a positive"):
        mixture.allocate(10)


def test_draw_is_seeded_tagged_and_checks_sizes():
    target, basis = planted({"a": 1.0, "b": 1.0})
    mixture = CompositionMixture().fit(target, basis)
    pool = {t: rows(t, 50) for t in basis}
    first, again, other = (mixture.draw(pool, 40, seed=s) for s in (0, 0, 1))
    assert first == again and first != other
    row = first[0]
    assert row["id"] == f"{row['source_task']}/{row['source_id']}"
    assert row["prompt"].startswith(row["source_task"]) and row["meta"]["k"] == int(
        row["source_id"])
    assert len({r["id"] for r in first}) == 40  # without replacement
    with pytest.raises(SelectionError, match="only 10"):
        mixture.draw({t: rows(t, 10) for t in basis}, 40, seed=0)
    with pytest.raises(SelectionError, match="no rows given"):
        mixture.draw({"a": rows("a", 50)}, 40, seed=0)


def test_unfitted_and_bad_top_k():
    with pytest.raises(SelectionError, match="fit"):
        CompositionMixture().allocate(5)
    target, basis = planted({"a": 1.0})
    with pytest.raises(SelectionError, match="top_k"):
        CompositionMixture(top_k=0).fit(target, basis)


def test_basis_of_another_shape():
    target, basis = planted({"a": 1.0, "b": 1.0})
    basis["c"] = torch.randn(7, 5)
    with pytest.raises(ValueError, match="shape"):
        CompositionMixture().fit(target, basis)


def test_random_mixture_uniform_over_union():
    pool = {"a": rows("a", 30), "b": rows("b", 10)}
    drawn = random_mixture(pool, 40, seed=0)
    assert sorted(r["id"] for r in drawn) == sorted(
        [f"a/{i}" for i in range(30)] + [f"b/{i}" for i in range(10)])
    assert random_mixture(pool, 12, seed=5) == random_mixture(pool, 12, seed=5)
    assert random_mixture(pool, 12, seed=5) != random_mixture(pool, 12, seed=6)
    only_b = random_mixture(pool, 10, seed=0, tasks=["b"])
    assert {r["source_task"] for r in only_b} == {"b"}
    with pytest.raises(SelectionError, match="41 rows from 40"):
        random_mixture(pool, 41, seed=0)


def test_nonnegative_mixture_uses_nnls_and_reports_both_r2():
    target, basis = planted({"math": 2.0, "code": 1.0, "text": -1.5})
    ls = CompositionMixture(top_k=3).fit(target, basis)
    nn = CompositionMixture(top_k=3, nonnegative=True).fit(target, basis)
    assert ls.fit_.r2 == pytest.approx(1.0) and not ls.fit_.nonnegative
    assert nn.fit_.nonnegative and nn.coefficients_["text"] == 0.0
    assert "text" not in nn.weights_
    for mixture in (ls, nn):
        summary = mixture.summary()
        assert summary["r2"]["least_squares"] == pytest.approx(1.0)
        assert summary["r2"]["nonnegative"] == pytest.approx(nn.fit_.r2)
        assert summary["nonnegative"] == mixture.nonnegative
    assert nn.fit_.r2 < 1.0


def test_uniform_mixture_gives_equal_shares_whatever_the_task_sizes():
    from headprint.selection import uniform_mixture
    from headprint.selection.sampling import equal_counts

    assert equal_counts(["a", "b", "c"], 10) == {"a": 4, "b": 3, "c": 3}
    pools = {"big": rows("big", 500), "small": rows("small", 20), "mid": rows("mid", 60)}
    drawn = uniform_mixture(pools, 30, seed=2)
    counts = {t: sum(r["source_task"] == t for r in drawn) for t in pools}
    assert counts == {"big": 10, "small": 10, "mid": 10}
    assert len({r["id"] for r in drawn}) == 30
    assert drawn == uniform_mixture(pools, 30, seed=2)
    assert drawn != uniform_mixture(pools, 30, seed=3)
    with pytest.raises(SelectionError, match="has only 20"):
        uniform_mixture(pools, 90, seed=0)
