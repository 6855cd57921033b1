import numpy as np
import pandas as pd
import pytest

from bench.stats import (
    PairedDataError,
    benjamini_hochberg,
    cohens_dz,
    compare,
    compare_many,
    hedges_gz,
    holm,
    paired_bootstrap_ci,
    paired_randomization_test,
    paired_t_test,
)

COLUMNS = [
    "metric", "higher_is_better", "n_users", "mean_baseline", "mean_candidate", "diff",
    "improvement", "rel_diff", "ci_low", "ci_high", "effect_size", "p_t", "p_perm", "p_holm",
    "better", "worse", "verdict",
]  # fmt: skip


def _frames(n=400, seed=0):
    rng = np.random.default_rng(seed)
    users = rng.permutation(10 * n)[:n]
    base = pd.DataFrame(
        {"ndcg@10": rng.beta(0.5, 2, n), "recall@10": rng.beta(0.5, 1.5, n)}, index=users
    )
    good = base + np.array([0.04, 0.0]) + rng.normal(0, 0.1, (n, 2))
    same = base + rng.normal(0, 0.1, (n, 2))
    return base, good, same


def test_table_values_equal_the_building_blocks():
    base, good, _ = _frames()
    shuffled = good.sample(frac=1.0, random_state=3)  # rows in another user order
    table = compare(shuffled, base, n_resamples=999, seed=4)
    assert list(table.columns) == COLUMNS
    assert table["metric"].tolist() == ["ndcg@10", "recall@10"]
    for row in table.itertuples():
        a, b = good[row.metric].to_numpy(), base[row.metric].to_numpy()
        t = paired_t_test(a, b)
        assert row.n_users == 400
        assert row.mean_baseline == pytest.approx(b.mean())
        assert row.mean_candidate == pytest.approx(a.mean())
        assert row.diff == pytest.approx(t.mean_diff)
        assert row.rel_diff == pytest.approx(100 * (a.mean() - b.mean()) / b.mean())
        assert (row.ci_low, row.ci_high) == pytest.approx(t.ci)
        assert row.effect_size == pytest.approx(cohens_dz(a, b))
        assert row.p_t == pytest.approx(t.p_value)
        perm = paired_randomization_test(a, b, n_resamples=999, seed=4)
        assert row.p_perm == perm.p_value
    assert table["p_holm"].tolist() == pytest.approx(holm(table["p_t"]).p_adjusted.tolist())
    assert table["verdict"].tolist() == ["better", "n.s."]
    assert table["better"].tolist() == [True, False] and not table["worse"].any()
    assert table.attrs["tests"] == ["t", "randomization"] and table.attrs["seed"] == 4


def test_compare_many_corrects_over_all_pairs():
    base, good, same = _frames()
    table = compare_many(base, {"good": good, "same": same}, tests=["randomization", "t"],
                         n_resamples=499, seed=1)  # fmt: skip
    assert table[["candidate", "metric"]].values.tolist() == [
        ["good", "ndcg@10"], ["good", "recall@10"], ["same", "ndcg@10"], ["same", "recall@10"],
    ]  # fmt: skip
    # the first test listed (randomization) is the one corrected, over all 4 pairs
    assert table["p_holm"].tolist() == pytest.approx(holm(table["p_perm"]).p_adjusted.tolist())
    assert table["p_holm"].iloc[0] == pytest.approx(4 / 500)
    # a row does not depend on the other candidates (same seed everywhere); its p_holm does
    alone = compare(good, base, tests=["randomization", "t"], n_resamples=499, seed=1)
    cols = ["diff", "ci_low", "effect_size", "p_perm", "p_t"]
    pd.testing.assert_frame_equal(table.iloc[:2][cols], alone[cols])


def test_options_from_registries():
    base, good, _ = _frames(n=120)
    table = compare(
        good, base, ["ndcg@10"], tests=["t"], ci="bca", effect="hedges_gz", correction="bh",
        n_resamples=500, level=0.9, seed=2,
    )  # fmt: skip
    a, b = good["ndcg@10"].to_numpy(), base["ndcg@10"].to_numpy()
    boot = paired_bootstrap_ci(a, b, n_resamples=500, level=0.9, seed=2, method="bca")
    row = table.iloc[0]
    assert (row.ci_low, row.ci_high) == pytest.approx(boot.ci)
    assert row.effect_size == pytest.approx(hedges_gz(a, b))
    assert "p_perm" not in table and "p_holm" not in table
    assert row.p_bh == pytest.approx(benjamini_hochberg([row.p_t]).p_adjusted[0])


def test_default_metrics_are_numeric_baseline_columns():
    base, good, _ = _frames(n=50)
    base = base.assign(model="pop")
    table = compare(good, base, tests=["t"])
    assert table["metric"].tolist() == ["ndcg@10", "recall@10"]


def test_errors_name_the_problem():
    base, good, _ = _frames(n=50)
    with pytest.raises(PairedDataError, match=r"1 only in candidate\['ndcg@10'\]"):
        compare(good.iloc[:-1].rename(index={good.index[0]: -1}), base.iloc[:-1], tests=["t"])
    with pytest.raises(ValueError, match=r"candidate has no column\(s\) \['mrr'\]"):
        compare(good, base.assign(mrr=0.5), tests=["t"])
    with pytest.raises(ValueError, match=r"baseline has no column\(s\) \['hit'\]"):
        compare(good, base, ["hit"])
    bad = good.copy()
    bad.iloc[3, 0] = np.nan
    with pytest.raises(PairedDataError, match=r"candidate\['ndcg@10'\] holds 1 NaN"):
        compare(bad, base, tests=["t"])
    for option, value in [("tests", ["wilcoxon"]), ("ci", "normal"), ("effect", "glass"),
                          ("correction", "bonferroni")]:  # fmt: skip
        with pytest.raises(ValueError, match=f"'{value if option != 'tests' else 'wilcoxon'}'"):
            compare(good, base, **{option: value})
    with pytest.raises(ValueError, match="tests is empty"):
        compare(good, base, tests=[])
    with pytest.raises(ValueError, match="candidates is empty"):
        compare_many(base, {})


def test_a_worse_candidate_is_never_reported_as_an_improvement():
    base, _, _ = _frames()
    rng = np.random.default_rng(5)
    worse = base - np.array([0.05, 0.0]) + rng.normal(0, 0.05, base.shape)
    table = compare(worse, base, tests=["t"])
    row = table.iloc[0]
    assert row.metric == "ndcg@10" and row["diff"] < -0.04 and row.p_holm < 1e-6
    assert row.verdict == "worse" and row.worse and not row.better
    one_sided = compare(worse, base, ["ndcg@10"], tests=["t"], alternative="better")
    assert one_sided.iloc[0].p_t > 0.999 and one_sided.iloc[0].verdict == "n.s."
    worse_side = compare(worse, base, ["ndcg@10"], tests=["t"], alternative="worse")
    assert worse_side.iloc[0].verdict == "worse"
    assert worse_side.iloc[0].p_t == pytest.approx(row.p_t / 2)


def test_lower_is_better_metrics_flip_the_verdict():
    base, _, _ = _frames()
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"arp@10": rng.random(400) * 100}, index=base.index)
    higher = frame + 10 + rng.normal(0, 1, (400, 1))  # higher average popularity: worse
    row = compare(higher, frame, tests=["t"]).iloc[0]
    assert not row.higher_is_better and row["diff"] > 9 and row.improvement < -9
    assert row.verdict == "worse"
    with pytest.raises(ValueError, match="direction of metric 'custom' is unknown"):
        compare(
            base.rename(columns={"ndcg@10": "custom"}),
            base.rename(columns={"ndcg@10": "custom"}),
            ["custom"],
        )
    flagged = compare(higher.rename(columns={"arp@10": "x"}), frame.rename(columns={"arp@10": "x"}),
                      tests=["t"], higher_is_better={"x": True})  # fmt: skip
    assert flagged.iloc[0].verdict == "better"


def test_non_inferiority_margin():
    base, _, _ = _frames()
    rng = np.random.default_rng(7)
    slightly = base - np.array([0.005, 0.0]) + rng.normal(0, 0.02, base.shape)
    plain = compare(slightly, base, ["ndcg@10"], tests=["t"], alternative="better")
    assert plain.iloc[0].verdict == "n.s."
    within = compare(slightly, base, ["ndcg@10"], tests=["t"], alternative="better", margin=0.02)
    a, b = slightly["ndcg@10"].to_numpy(), base["ndcg@10"].to_numpy()
    expected = paired_t_test(a + 0.02, b, alternative="greater").p_value
    assert within.iloc[0].p_t == pytest.approx(expected) and expected < 1e-6
    assert within.iloc[0].verdict == "not worse" and within.iloc[0].better
    with pytest.raises(ValueError, match="needs alternative='better'"):
        compare(slightly, base, tests=["t"], margin=0.01)


def test_users_are_paired_by_id_from_a_user_column():
    base, good, _ = _frames(n=60)
    with_column = good.rename_axis("user").reset_index().sample(frac=1.0, random_state=0)
    by_column = compare(with_column, base.rename_axis("user"), tests=["t"])
    by_index = compare(good, base, tests=["t"])
    assert by_column["metric"].tolist() == ["ndcg@10", "recall@10"]  # 'user' is not a metric
    assert by_column["p_t"].tolist() == pytest.approx(by_index["p_t"].tolist())
    other_users = with_column.assign(user=with_column["user"] + 1)
    with pytest.raises(PairedDataError, match="cover different users"):
        compare(other_users, base, tests=["t"])
    attrs = base.assign(**{"user:n_train": 3, "head:ndcg@10": 0.1})
    assert compare(attrs, attrs, tests=["t"])["metric"].tolist() == ["ndcg@10", "recall@10"]
