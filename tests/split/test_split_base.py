"""Split.to_summary and the fingerprint of splits built by the splitters."""

from __future__ import annotations

import json

from bench.split import LeaveLastOut, RandomHoldout, UserHoldout


def test_summary_is_json_ready_and_complete(synthetic):
    split = RandomHoldout()(synthetic, seed=3)
    summary = json.loads(json.dumps(split.to_summary()))
    assert summary["protocol"] == "random_holdout" and summary["seed"] == 3
    assert summary["sizes"] == split.sizes()
    assert sum(summary["sizes"].values()) == synthetic.n_interactions
    assert summary["users"]["train"] == synthetic.n_users
    assert summary["fingerprint"] == split.fingerprint and len(split.fingerprint) == 16
    assert summary["clean"] is True and summary["audit"]["clean"] is True
    assert summary["n_users"] == synthetic.n_users and summary["n_items"] == synthetic.n_items


def test_summary_of_user_holdout_lists_histories(synthetic):
    summary = UserHoldout(unseen_items="keep")(synthetic, seed=0).to_summary()
    assert set(summary["sizes"]) == {"train", "valid", "test", "valid_history", "test_history"}
    assert summary["users"]["valid_history"] == summary["params"]["n_valid_users"] == 6
    json.dumps(summary)


def test_fingerprint_depends_on_the_protocol_and_the_rows(synthetic, synthetic_no_ts):
    llo = LeaveLastOut()(synthetic)
    assert llo.fingerprint == LeaveLastOut()(synthetic).fingerprint
    assert llo.fingerprint != LeaveLastOut()(synthetic_no_ts).fingerprint
    assert llo.fingerprint != RandomHoldout()(synthetic, seed=0).fingerprint
