"""Usability of the public API (issue 13): unpacking results, drawing boxes, defaults, RGB frames, tiny boxes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import meanshift
from meanshift.synthetic import moving_target_sequence


def _sequence(n: int = 6) -> list:
    return list(moving_target_sequence(n_frames=n, frame_size=(120, 160), base_size=(30, 24)))


# ------------------------------------------------------------------------------- item 19: cv2.Tracker style


def test_update_unpacks_as_ok_and_box_like_cv2_tracker():
    frames = _sequence()
    tracker = meanshift.generalized()
    tracker.init(*frames[0])
    result = tracker.update(frames[1][0])
    ok, box = result
    assert ok is result.ok and box == result.box
    assert result.score == result.score and result.confidence >= 0  # the fields stay attributes
    with pytest.raises(AttributeError):
        result.ok = False  # still frozen


def test_int_box_draws_with_cv2_rectangle_and_stays_in_the_frame():
    frames = _sequence()
    tracker = meanshift.generalized()
    tracker.init(*frames[0])
    result = tracker.update(frames[1][0])
    with pytest.raises(cv2.error):
        cv2.rectangle(frames[1][0].copy(), result.box, (0, 255, 0))  # why int_box exists
    x, y, w, h = result.int_box
    assert all(isinstance(v, int) for v in result.int_box)
    assert abs(x - result.box[0]) <= 0.5 and abs(x + w - sum(result.box[::2])) <= 0.5
    cv2.rectangle(frames[1][0].copy(), result.int_box, (0, 255, 0))
    edge = meanshift.TrackResult(True, (0.2, 0.4, 159.8, 119.6), ((80.0, 60.0), (159.8, 119.6), 0.0), 1.0, 1)
    assert edge.int_box == (0, 0, 160, 120)  # inside a 160x120 frame, as the float box is
    assert meanshift.TrackResult(True, (5.0, 5.0, 1.0, 1.0), ((5.0, 5.0), (1.0, 1.0), 0.0), 1.0, 1).int_box == (
        5, 5, 1, 1)


# ------------------------------------------------------------------------------- item 12: defaults


def test_the_default_tracker_is_the_recommended_one():
    """``Tracker()`` is what ``generalized()`` sets (bgr 16 bins, Bhattacharyya, Epanechnikov, posterior scale, CBWH,
    re-acquisition, epsilon 0.5 / 20 iterations, 1,024 samples), and tracks the same boxes. If the recommended preset
    changes, change the defaults with it (or this test says they went apart)."""
    default, recommended = meanshift.Tracker(), meanshift.generalized()
    assert repr(default) == repr(recommended)
    assert default.features.name == "bgr" and default.features.bins == (16,)
    assert default.scale_rule.name == "posterior" and default.recovery.name == "posterior"
    assert default.background_weighting and default.convergence == meanshift.Convergence(0.5, 20)
    assert default.max_samples == 1024
    for name in ("background_weighting", "convergence", "model_update", "max_samples"):
        assert getattr(default, name) == getattr(recommended, name), name
    assert vars(default.scale_rule) == vars(recommended.scale_rule)
    assert vars(default.recovery) == vars(recommended.recovery)
    assert type(default.motion) is type(recommended.motion)
    frames = _sequence(12)
    default.init(*frames[0])
    recommended.init(*frames[0])
    for frame, _ in frames[1:]:
        assert default.update(frame) == recommended.update(frame)


def test_presets_do_not_depend_on_the_defaults():
    # Every preset sets what it differs in: the classic trackers keep the plain model and no re-acquisition.
    for preset in (meanshift.camshift(), meanshift.comaniciu_meer()):
        assert not preset.background_weighting
        assert preset.recovery.name != "reacquire"
    assert meanshift.camshift().features.name == "hue" and meanshift.camshift().scale_rule.name == "moments"
    assert meanshift.comaniciu_meer().scale_rule.name == "bandwidth"


# ------------------------------------------------------------------------------- item 10: camshift's ok


@pytest.mark.parametrize("exit", ["left", "top", "vanish"])
def test_camshift_reports_a_target_that_left_without_changing_its_boxes(exit):
    """``ok`` means "the box is trusted" for every preset: CAMSHIFT's window follows what it holds as
    cv2.CamShift's does (the same boxes as without loss reporting), but ``ok`` is False while the target is gone."""
    import test_faults

    scene, path = test_faults.Scene(), test_faults.exit_path(exit)
    watching, plain = meanshift.camshift(), meanshift.camshift(recovery=False)
    first = scene.frame(*path[0])
    for tracker in (watching, plain):
        tracker.init(first, scene.box(*path[0]))
    gone_for, reported_gone, frames_gone = 0, 0, 0
    for centre in path[1:]:
        frame = scene.frame(*centre) if centre else scene.background.copy()
        result, reference = watching.update(frame), plain.update(frame)
        assert result.box == reference.box and result.rotated == reference.rotated
        gone_for = gone_for + 1 if centre is None or not scene.visible(*centre) else 0
        if gone_for > 2:
            frames_gone += 1
            reported_gone += not result.ok
            assert reference.ok  # what OpenCV's CAMSHIFT says: never lost while a pixel of target colour is left
    assert frames_gone > 10 and reported_gone == frames_gone
    assert result.ok  # back in view: trusted again


# ------------------------------------------------------------------------------- item 8: boxes too small


def test_a_box_under_the_floor_warns_and_is_not_trusted_while_its_window_stays_small():
    """A 1x1 box used to be tracked with ok=True and score 1.0 wherever its one colour was."""
    from meanshift.config import MIN_BOX_SIDE

    frames = list(moving_target_sequence(n_frames=20, frame_size=(120, 160), base_size=(30, 24)))
    first, (x, y, w, h) = frames[0]
    cx, cy = round(x + w / 2), round(y + h / 2)
    for side in (1, 4):
        tracker = meanshift.Tracker()
        with pytest.warns(UserWarning, match=r"under 8 px \(meanshift.config.MIN_BOX_SIDE\).*at least 8 x 8"):
            tracker.init(first, (cx, cy, side, side))
        results = [tracker.update(frame) for frame, _ in frames[1:]]
        assert not any(r.ok for r in results)
        assert all(min(r.box[2:]) < MIN_BOX_SIDE for r in results)
    # CAMSHIFT sizes its window from the weights: it grows to the target and is trusted again.
    tracker = meanshift.camshift()
    with pytest.warns(UserWarning, match="MIN_BOX_SIDE"):
        tracker.init(first, (cx, cy, 4, 4))
    results = [tracker.update(frame) for frame, _ in frames[1:]]
    assert all(r.ok == (min(r.box[2:]) >= MIN_BOX_SIDE) for r in results) and results[-1].ok


def test_a_box_at_the_floor_tracks_without_a_warning():
    import warnings

    frame = np.zeros((100, 100, 3), np.uint8)
    frame[30:60, 30:60] = (0, 0, 255)
    frame[60:, :] = (255, 0, 0)
    tracker = meanshift.Tracker()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracker.init(frame, (41, 41, 8, 8))
    assert tracker.update(np.roll(frame, 2, axis=1)).ok
