"""Metrics of the OTB one-pass evaluation against hand-computed answers and a naive OTB-style loop."""

from __future__ import annotations

import numpy as np
import pytest

from meanshift.evaluation import metrics
from meanshift.evaluation.metrics import (
    PRECISION_THRESHOLDS,
    SUCCESS_THRESHOLDS,
    auc,
    center_error,
    centers,
    iou,
    precision_at,
    precision_curve,
    score_sequence,
    success_curve,
    valid_boxes,
)


def naive_otb_overlap(a, b):
    """The OTB MATLAB toolkit's calcRectInt, one pair at a time, with inclusive pixel ends."""
    left_a, bottom_a = a[0], a[1]
    right_a, top_a = left_a + a[2] - 1, bottom_a + a[3] - 1
    left_b, bottom_b = b[0], b[1]
    right_b, top_b = left_b + b[2] - 1, bottom_b + b[3] - 1
    inter = max(0.0, min(right_a, right_b) - max(left_a, left_b) + 1) * max(
        0.0, min(top_a, top_b) - max(bottom_a, bottom_b) + 1
    )
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union


def test_thresholds_are_the_otb_grids():
    assert SUCCESS_THRESHOLDS.shape == (21,)
    assert SUCCESS_THRESHOLDS[0] == 0.0 and SUCCESS_THRESHOLDS[-1] == 1.0
    np.testing.assert_allclose(np.diff(SUCCESS_THRESHOLDS), 0.05)
    assert PRECISION_THRESHOLDS.tolist() == list(range(51))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
        ((0, 0, 10, 10), (5, 0, 10, 10), 50 / 150),  # half shifted sideways
        ((0, 0, 10, 10), (5, 5, 10, 10), 25 / 175),  # quarter overlap
        ((0, 0, 10, 10), (10, 0, 10, 10), 0.0),  # touching edges do not overlap
        ((0, 0, 10, 10), (20, 20, 5, 5), 0.0),  # disjoint
        ((0, 0, 10, 10), (2, 2, 4, 4), 16 / 100),  # contained
        ((1.5, 2.5, 4, 2), (2.5, 2.5, 4, 2), 6 / 10),  # sub-pixel
    ],
)
def test_iou_hand_computed(a, b, expected):
    assert iou([a], [b])[0] == pytest.approx(expected)
    assert iou([b], [a])[0] == pytest.approx(expected)  # symmetric


def test_iou_equals_otb_calcrectint_on_random_boxes():
    rng = np.random.default_rng(0)
    a = np.column_stack([rng.uniform(0, 50, 200), rng.uniform(0, 50, 200), rng.uniform(1, 40, 200),
                         rng.uniform(1, 40, 200)])
    b = a + rng.normal(0, 8, a.shape)
    b[:, 2:] = np.abs(b[:, 2:]) + 1
    expected = [naive_otb_overlap(x, y) for x, y in zip(a, b, strict=True)]
    np.testing.assert_allclose(iou(a, b), expected, rtol=1e-12, atol=1e-12)


def test_iou_degenerate_and_nan_rows_are_zero():
    gt = np.array([[0, 0, 10, 10]] * 4, dtype=float)
    pred = np.array([[0, 0, 0, 0], [0, 0, -5, 10], [np.nan, 0, 10, 10], [0, 0, 10, np.inf]])
    assert iou(pred, gt).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_iou_rejects_unpaired_or_misshapen_input():
    with pytest.raises(ValueError, match="pair up"):
        iou(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        iou(np.zeros((2, 3)), np.zeros((2, 3)))


def test_centres_use_the_w_minus_one_convention():
    # OTB/got10k: centre = x + (w - 1) / 2, so a 1-px box's centre is the pixel itself.
    np.testing.assert_allclose(centers([[5, 7, 1, 1], [0, 0, 10, 4]]), [[5, 7], [4.5, 1.5]])


def test_center_error_hand_computed():
    gt = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]]
    pred = [[3, 4, 10, 10], [0, 0, 20, 20], [np.nan, 0, 10, 10]]
    # (3, 4) -> 5; a 20x20 box at the origin has its centre at 9.5 vs 4.5 on both axes -> 5*sqrt(2).
    err = center_error(pred, gt)
    assert err[0] == pytest.approx(5.0)
    assert err[1] == pytest.approx(5 * np.sqrt(2))
    assert err[2] == np.inf


def test_success_curve_is_strictly_greater():
    # IoU exactly on a threshold does not count (got10k: np.greater).
    curve = success_curve([0.5, 0.5])
    assert curve[9] == 1.0  # threshold 0.45
    assert curve[10] == 0.0  # threshold 0.5
    # A perfect tracker scores 20/21 (IoU > 1 never holds), a tracker with IoU 0 scores 0.
    assert auc(success_curve(np.ones(7))) == pytest.approx(20 / 21)
    assert auc(success_curve(np.zeros(7))) == 0.0


def test_success_curve_hand_computed_auc():
    ious = [1.0, 1 / 3, 0.0, 0.62]
    # frames above t, counted by hand: 1.0 -> 20 thresholds (0..0.95); 1/3 -> 7 (0..0.30);
    # 0.0 -> 0; 0.62 -> 13 (0..0.60).  AUC = (20 + 7 + 0 + 13) / (4 * 21).
    assert auc(success_curve(ious)) == pytest.approx(40 / 84)


def test_precision_curve_is_at_most_and_p20():
    errors = [0.0, 19.9, 20.0, 20.1, 50.0, np.inf]
    curve = precision_curve(errors)
    assert curve.shape == (51,)
    assert curve[0] == pytest.approx(1 / 6)
    assert precision_at(curve, 20) == pytest.approx(3 / 6)  # 20.0 counts (<=), 20.1 does not
    assert curve[50] == pytest.approx(5 / 6)  # inf never counts
    with pytest.raises(ValueError, match="not one of the precision thresholds"):
        precision_at(curve, 20.5)


def test_valid_boxes():
    gt = [[1, 1, 5, 5], [1, 1, 0, 5], [1, 1, 5, -1], [np.nan, np.nan, np.nan, np.nan], [0, 0, 1, 1]]
    assert valid_boxes(gt).tolist() == [True, False, False, False, True]


def test_score_sequence_leaves_out_invalid_ground_truth():
    gt = np.array([[0, 0, 10, 10], [0, 0, 0, 0], [0, 0, 10, 10], [np.nan] * 4], dtype=float)
    pred = np.array([[0, 0, 10, 10], [100, 100, 5, 5], [5, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    s = score_sequence(pred, gt)
    assert s.n_valid == 2
    np.testing.assert_allclose(s.ious, [1.0, 1 / 3])
    np.testing.assert_allclose(s.center_errors, [0.0, 5.0])
    assert s.auc == pytest.approx((20 + 7) / 42)
    assert s.precision_at_20 == 1.0
    assert s.success.shape == (21,) and s.precision.shape == (51,)


def test_score_sequence_all_invalid_gives_nan():
    s = score_sequence([[0, 0, 1, 1]], [[0, 0, 0, 0]])
    assert s.n_valid == 0
    assert np.isnan(s.auc) and np.isnan(s.precision_at_20)


def test_score_sequence_is_shift_invariant():
    # 1-based OTB and 0-based VOT ground truth need no shift: scores do not change when
    # predictions and ground truth move together.
    rng = np.random.default_rng(3)
    gt = np.column_stack([rng.uniform(0, 100, 30), rng.uniform(0, 100, 30), rng.uniform(5, 30, (30, 2))])
    pred = gt + rng.normal(0, 5, gt.shape)
    a = score_sequence(pred, gt)
    shift = np.array([1.0, 1.0, 0.0, 0.0])
    b = score_sequence(pred + shift, gt + shift)
    np.testing.assert_allclose(a.ious, b.ious, atol=1e-12)
    np.testing.assert_allclose(a.center_errors, b.center_errors, atol=1e-12)


def test_score_sequence_rejects_length_mismatch():
    with pytest.raises(ValueError, match="pair up frame by frame"):
        score_sequence(np.zeros((3, 4)), np.ones((4, 4)))


def _overlap_by_hand(a, b) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_loss_report_counts_as_a_frame_by_frame_loop():
    rng = np.random.default_rng(7)
    n = 400
    gt = np.column_stack([rng.uniform(0, 60, n), rng.uniform(0, 60, n), rng.uniform(5, 30, (n, 2))])
    gt[rng.random(n) < 0.1, 2] = 0.0  # invalid ground truth: not counted
    pred = np.column_stack([rng.uniform(0, 60, n), rng.uniform(0, 60, n), rng.uniform(5, 30, (n, 2))])
    near = rng.random(n) < 0.5
    pred[near] = gt[near] + rng.normal(0, 2, (near.sum(), 4))  # half of them close to the target
    pred[:, 2:] = np.abs(pred[:, 2:]) + 1
    ok = rng.random(n) < 0.7
    counts = dict.fromkeys(("off", "off_lost", "on", "on_lost", "trusted", "trusted_off"), 0)
    for p, g, flag in zip(pred, gt, ok, strict=True):
        if g[2] <= 0:
            continue
        v = _overlap_by_hand(p, g)
        counts["off"] += v <= 0
        counts["off_lost"] += v <= 0 and not flag
        counts["on"] += v >= metrics.ON_TARGET_IOU
        counts["on_lost"] += v >= metrics.ON_TARGET_IOU and not flag
        counts["trusted"] += bool(flag)
        counts["trusted_off"] += bool(flag) and v <= 0
    r = metrics.loss_report(pred, gt, ok)
    assert (r.off_target, r.off_target_reported, r.on_target, r.on_target_reported, r.trusted,
            r.trusted_off_target) == tuple(counts.values())
    assert min(counts.values()) > 0  # every count exercised
    assert r.failure_recall == counts["off_lost"] / counts["off"]
    assert r.trusted_miss_rate == counts["trusted_off"] / counts["trusted"]
    halves = metrics.loss_report(pred[:200], gt[:200], ok[:200]) + metrics.loss_report(pred[200:], gt[200:], ok[200:])
    assert halves == r


def test_loss_report_empty_rates_are_nan_and_unpaired_input_fails():
    r = metrics.loss_report(np.zeros((0, 4)), np.zeros((0, 4)), [])
    assert np.isnan(r.failure_recall) and np.isnan(r.false_alarm_rate) and np.isnan(r.trusted_miss_rate)
    with pytest.raises(ValueError, match="pair up"):
        metrics.loss_report(np.ones((3, 4)), np.ones((3, 4)), [True, False])


def test_module_lists_its_public_names():
    for name in metrics.__all__:
        assert hasattr(metrics, name)
