"""Sequential losses against hand-computed values."""

import math

import pytest
import torch

from bench.rankers.losses import (
    full_cross_entropy,
    gbce,
    gbce_beta,
    gbce_positive_logit,
    linear_cross_entropy,
    sampled_bce,
)


def test_full_cross_entropy_by_hand_and_ignores_padding() -> None:
    # row 0: softmax [1/4, 3/4, 0-ish]; row 1: uniform over 3 items; row 2: padding (id 3)
    logits = torch.tensor(
        [[0.0, math.log(3.0), -1e4], [1.0, 1.0, 1.0], [5.0, -5.0, 0.0]], requires_grad=True
    )
    targets = torch.tensor([1, 2, 3])
    loss = full_cross_entropy(logits, targets, ignore=3)
    expected = (-math.log(0.75) + math.log(3.0)) / 2
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert torch.equal(logits.grad[2], torch.zeros(3))  # the padding row gets no gradient
    # [batch, length, n_items] with [batch, length] targets: same positions, same value
    nested = full_cross_entropy(logits.detach().reshape(1, 3, 3), targets.reshape(1, 3), 3)
    assert float(nested) == pytest.approx(expected, rel=1e-6)


def _reference_and_linear(states, items, targets, block_elements):
    """Loss and gradients of the logits path and of the blocked path, on copies of the inputs."""
    results = []
    for loss_of in (
        lambda s, w: full_cross_entropy(s @ w.T, targets),
        lambda s, w: linear_cross_entropy(s, w, targets, block_elements=block_elements),
    ):
        s, w = states.clone().requires_grad_(), items.clone().requires_grad_()
        loss = loss_of(s, w)
        (3.0 * loss).backward()  # a non-unit upstream gradient
        results.append((loss.detach(), s.grad, w.grad))
    return results


@pytest.mark.parametrize("block_elements", [7 * 5, 7 * 3, 10**6])  # rows per block: 5, 3, all
def test_linear_cross_entropy_equals_the_logits_path(block_elements: int) -> None:
    generator = torch.Generator().manual_seed(0)
    states = torch.randn(13, 4, generator=generator, dtype=torch.float64) * 3
    items = torch.randn(7, 4, generator=generator, dtype=torch.float64)
    targets = torch.randint(0, 7, (13,), generator=generator)
    (ref_loss, ref_s, ref_w), (loss, grad_s, grad_w) = _reference_and_linear(
        states.float(), items.float(), targets, block_elements
    )
    assert float(loss) == pytest.approx(float(ref_loss), rel=1e-6)
    torch.testing.assert_close(grad_s, ref_s, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(grad_w, ref_w, rtol=1e-5, atol=1e-7)
    # by hand, in float64: mean of log-sum-exp minus the target's logit
    logits = states @ items.T
    by_hand = (logits.logsumexp(1) - logits[torch.arange(13), targets]).mean()
    assert float(loss) == pytest.approx(float(by_hand), rel=1e-6)


def test_linear_cross_entropy_is_stable_and_keeps_input_dtypes() -> None:
    # logits of +-1e4: a naive exp overflows; loss 0 for the dominant target, 2e4 for the other
    states = torch.tensor([[100.0], [100.0]])
    items = torch.tensor([[100.0], [-100.0]])
    loss = linear_cross_entropy(states, items, torch.tensor([0, 1]))
    assert float(loss) == pytest.approx(1e4, rel=1e-6)
    half = linear_cross_entropy(
        states.bfloat16().requires_grad_(), items.bfloat16(), torch.tensor([0, 1])
    )
    assert half.dtype == torch.float32
    with torch.no_grad():  # no gradient work, the same value
        assert float(linear_cross_entropy(states, items, torch.tensor([0, 1]))) == float(loss)
    s = torch.zeros(2, 1, dtype=torch.bfloat16, requires_grad=True)
    linear_cross_entropy(s, items, torch.tensor([0, 1])).backward()
    assert s.grad.dtype == torch.bfloat16 and torch.isfinite(s.grad.float()).all()


def test_linear_cross_entropy_refuses_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"states \[n, d\] and items \[n_items, d\]"):
        linear_cross_entropy(torch.zeros(2, 3), torch.zeros(4, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="one target per state; got \\(3,\\) targets for 2"):
        linear_cross_entropy(torch.zeros(2, 3), torch.zeros(4, 3), torch.tensor([0, 1, 2]))


def test_losses_without_any_position_are_zero() -> None:
    logits = torch.zeros(2, 4, requires_grad=True)
    loss = full_cross_entropy(logits, torch.tensor([4, 4]), ignore=4)
    assert float(loss.detach()) == 0.0
    loss.backward()  # still part of the graph
    states = torch.zeros(0, 3, requires_grad=True)
    blocked = linear_cross_entropy(states, torch.zeros(4, 3), torch.zeros(0, dtype=torch.long))
    assert float(blocked.detach()) == 0.0
    blocked.backward()
    empty = torch.zeros(2, dtype=torch.bool)
    assert float(sampled_bce(torch.zeros(2), torch.zeros(2, 1), empty)) == 0.0


def test_sampled_bce_by_hand() -> None:
    # position 0: s+ = 0, s- = [0, log 3]: log 2 + log 2 + log 4
    # position 1: s+ = log 3 (sigmoid 3/4), s- = [-log 3, 0] (1 - sigmoid: 3/4, 1/2)
    positive = torch.tensor([0.0, math.log(3.0), 7.0])
    negatives = torch.tensor([[0.0, math.log(3.0)], [-math.log(3.0), 0.0], [9.0, 9.0]])
    mask = torch.tensor([True, True, False])
    first = 2 * math.log(2.0) + math.log(4.0)
    second = -math.log(0.75) - math.log(0.75) - math.log(0.5)
    loss = sampled_bce(positive, negatives, mask)
    assert float(loss) == pytest.approx((first + second) / 2, rel=1e-6)


def test_gbce_beta_follows_the_paper() -> None:
    # alpha = 4 / (101 - 1) = 0.04; beta = 0.04 * (0.75 * (1 - 25) + 25) = 0.28
    assert gbce_beta(4, 101, 0.75) == pytest.approx(0.28)
    assert gbce_beta(4, 101, 0.0) == 1.0  # plain BCE
    assert gbce_beta(4, 101, 1.0) == pytest.approx(0.04)  # beta = alpha
    with pytest.raises(ValueError, match=r"^model\.gbce_t=1\.5"):
        gbce_beta(4, 101, 1.5)
    with pytest.raises(ValueError, match=r"^model\.n_negatives=101"):
        gbce_beta(101, 101, 0.5)


def test_gbce_by_hand_and_equals_bce_on_the_transformed_logit() -> None:
    # s+ = 0: -0.5 log(1/2); s- = 0: log 2
    loss = gbce(torch.tensor([0.0]), torch.tensor([[0.0]]), beta=0.5)
    assert float(loss) == pytest.approx(1.5 * math.log(2.0), rel=1e-6)
    positive = torch.tensor([-30.0, -2.0, 0.0, 0.5, 3.0, 40.0], dtype=torch.float64)
    negatives = torch.tensor([[0.3, -1.0]] * 6, dtype=torch.float64)
    beta = 0.28
    transformed = gbce_positive_logit(positive, beta)
    # the transformed logit's sigmoid is sigmoid(s) ** beta
    torch.testing.assert_close(torch.sigmoid(transformed), torch.sigmoid(positive) ** beta)
    via_paper = sampled_bce(transformed, negatives)
    assert float(gbce(positive, negatives, beta)) == pytest.approx(float(via_paper), rel=1e-5)
    # beta = 1 is plain BCE
    assert float(gbce(positive, negatives, 1.0)) == pytest.approx(
        float(sampled_bce(positive, negatives)), rel=1e-6
    )
