"""Scale rules, motion models and recovery are parts: listed, configured, replaced by a user's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import meanshift
from meanshift.synthetic import moving_target_sequence


def _frames(n: int = 12):
    return list(moving_target_sequence(n_frames=n, frame_size=(120, 160), base_size=(30, 24), seed=3))


def test_registries_list_the_builtin_parts():
    assert meanshift.scale_rules()[:5] == ["fixed", "moments", "bandwidth", "contrast", "posterior"]
    assert meanshift.motion_models()[:2] == ["none", "constant-velocity"]
    assert meanshift.recoveries()[:4] == ["threshold", "reacquire", "watch", "posterior"]
    assert meanshift.SCALE_MODES[:4] == ("fixed", "moments", "bandwidth", "contrast")


def test_old_keywords_reach_the_part_that_owns_them():
    tracker = meanshift.Tracker(scale="contrast", bandwidth_step=0.2, bandwidth_smoothing=0.3, scale_check=True,
                                scale_margin=0.5, recovery=True, loss_ratio=0.5, reacquire_ratio=0.7,
                                min_confidence=0.2)
    rule, recovery = tracker.scale_rule, tracker.recovery
    assert isinstance(rule, meanshift.ContrastScale)
    assert (rule.step, rule.smoothing, rule.scale_check, rule.margin) == (0.2, 0.3, True, 0.5)
    assert isinstance(recovery, meanshift.Reacquisition)
    assert (recovery.loss_ratio, recovery.reacquire_ratio, recovery.min_confidence) == (0.5, 0.7, 0.2)
    moments = meanshift.Tracker(scale="moments", rotation=True, box_fill=0.8, area_estimate="core").scale_rule
    assert (moments.rotation, moments.box_fill, moments.area_estimate) == (True, 0.8, "core")


def test_a_keyword_the_chosen_part_lacks_is_refused_unless_it_is_the_default():
    with pytest.raises(ValueError, match="rotation=True does not apply to the scale part 'contrast'"):
        meanshift.Tracker(scale="contrast", rotation=True)
    with pytest.raises(ValueError, match="loss_ratio=0.5 does not apply to the recovery part 'threshold'"):
        meanshift.Tracker(scale="contrast", recovery=False, loss_ratio=0.5)
    # A preset's settings for another rule, at their defaults, do not stand in the way of a swap.
    assert meanshift.generalized(scale="moments").scale_rule.name == "moments"
    with pytest.raises(ValueError, match="set step on the object"):
        meanshift.Tracker(scale=meanshift.ContrastScale(), bandwidth_step=0.3)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        meanshift.Tracker(bandwith_step=0.3)


def test_unknown_part_names_list_the_choices():
    with pytest.raises(ValueError, match="scale must be one of fixed, moments, bandwidth, contrast"):
        meanshift.Tracker(scale="huge")
    with pytest.raises(ValueError, match="motion must be one of none, constant-velocity"):
        meanshift.Tracker(motion="teleport")
    with pytest.raises(ValueError, match="recovery must be True, False, one of threshold, reacquire"):
        meanshift.Tracker(recovery="pray")
    with pytest.raises(ValueError, match="has no parameter nope"):
        meanshift.get_scale_rule("contrast", nope=1)
    with pytest.raises(ValueError, match="step must be in"):
        meanshift.ContrastScale(step=0.9)


@dataclass
class ShrinkingScale(meanshift.ScaleRule):
    """A user's rule: the window loses ``rate`` of its size on every trusted frame."""

    name: ClassVar[str] = "test-shrinking"
    rate: float = 0.05

    def resize(self, tracker, frame):
        tracker.w, tracker.h = tracker.clamp_size(tracker.w * (1 - self.rate), tracker.h * (1 - self.rate))


def test_a_users_scale_rule_by_object_and_by_name():
    frames = _frames()
    meanshift.register_scale_rule(ShrinkingScale, replace=True)
    for scale in (ShrinkingScale(rate=0.05), "test-shrinking"):
        tracker = meanshift.Tracker(features="bgr", scale=scale)
        tracker.init(*frames[0])
        widths = [tracker.update(frame).rotated[1][0] for frame, _ in frames[1:6]]
        want = [frames[0][1][2] * 0.95 ** k for k in range(1, 6)]
        np.testing.assert_allclose(widths, want, rtol=1e-12)
    assert "test-shrinking" in meanshift.scale_rules()


@dataclass
class KnownOffset(meanshift.MotionModel):
    """A user's motion model: the target is known to move by ``offset`` per frame."""

    name: ClassVar[str] = "test-offset"
    offset: tuple[float, float] = (0.0, 0.0)

    def predict(self, tracker):
        self.starts.append((tracker.cx + self.offset[0], tracker.cy + self.offset[1]))
        tracker.cx, tracker.cy = self.starts[-1]

    def reset(self, tracker, frame):
        self.starts = []


def test_a_users_motion_model_sets_where_the_search_starts():
    frames = _frames(4)
    given = KnownOffset(offset=(3.0, -2.0))
    tracker = meanshift.Tracker(features="bgr", scale="fixed", motion=given)
    tracker.init(*frames[0])
    before = tracker.cx, tracker.cy
    tracker.update(frames[1][0])
    assert tracker.motion.starts == [(before[0] + 3.0, before[1] - 2.0)]
    assert not hasattr(given, "starts")  # the tracker works on its own copy


@dataclass
class NeverTrusted(meanshift.LossDetector):
    name: ClassVar[str] = "test-never"

    def assess(self, tracker, frame, confidence, mass, size_before):
        return False, confidence, mass, 0


def test_a_users_recovery_decides_ok_and_the_size_stays_frozen():
    frames = _frames(6)
    tracker = meanshift.Tracker(features="bgr", scale="contrast", recovery=NeverTrusted())
    tracker.init(*frames[0])
    results, sizes = [], []
    for frame, _ in frames[1:]:
        results.append(tracker.update(frame))
        sizes.append((tracker.w, tracker.h))  # the window's size (the reported box may be clipped to the frame)
    assert not any(r.ok for r in results)
    assert sizes == [(frames[0][1][2], frames[0][1][3])] * len(results)


def test_parts_are_copied_so_two_trackers_do_not_share_state():
    shared = meanshift.ConstantVelocity()
    first, second = (meanshift.Tracker(features="bgr", motion=shared) for _ in range(2))
    assert first.motion is not second.motion and first.motion is not shared
    a, b = _frames(5), list(moving_target_sequence(n_frames=5, frame_size=(120, 160), base_size=(30, 24), seed=9))
    first.init(*a[0])
    second.init(*b[0])
    for (fa, _), (fb, _) in zip(a[1:], b[1:], strict=True):
        first.update(fa)
        second.update(fb)
    assert first.motion.velocity != second.motion.velocity
