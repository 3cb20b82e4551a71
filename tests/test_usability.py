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
