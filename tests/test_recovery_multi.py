"""Loss detection and re-acquisition, excluded regions, and several targets at once (MultiTracker)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import meanshift
from meanshift.synthetic import COOL_BACKGROUND_PALETTE, RED_TARGET_PALETTE, TargetPose, block_texture, render_scene

FRAME = (240, 320)
YELLOW_TARGET_PALETTE = np.array([[0, 210, 250], [20, 230, 240], [0, 190, 230]], np.uint8)  # yellow, BGR


def occlusion_sequence(jump_to=(240.0, 170.0)):
    """A red target drifts right for 20 frames, vanishes for 8, then reappears far away (``jump_to``)."""
    rng = np.random.default_rng(3)
    background = block_texture(FRAME, COOL_BACKGROUND_PALETTE, rng=rng)
    frames, poses = [], []
    for t in range(40):
        if t < 20:
            pose = TargetPose(80.0 + 1.5 * t, 90.0, 40.0, 30.0)
        elif t < 28:
            pose = None
        else:
            pose = TargetPose(jump_to[0] + (t - 28), jump_to[1], 40.0, 30.0)
        if pose is None:
            frame, _ = render_scene(FRAME, TargetPose(-100.0, -100.0, 1.0, 1.0), rng=rng, background=background)
        else:
            frame, _ = render_scene(FRAME, pose, rng=rng, background=background, target_palette=RED_TARGET_PALETTE)
        frames.append(frame)
        poses.append(pose)
    return frames, poses


def track(tracker, frames, poses):
    tracker.init(frames[0], poses[0].box(FRAME))
    return [tracker.update(frame) for frame in frames[1:]]


def test_generalized_reports_the_occlusion_and_reacquires_after_a_jump():
    frames, poses = occlusion_sequence()
    results = track(meanshift.generalized(), frames, poses)
    hidden = [r for r, pose in zip(results, poses[1:], strict=True) if pose is None]
    assert sum(not r.ok for r in hidden) >= len(hidden) - 1, "an absent target must be reported lost"
    assert all(np.isfinite(r.box).all() for r in results)
    # Within three frames of its return, far from where it vanished, the target is found again and trusted.
    back = [(r, pose) for r, pose in zip(results, poses[1:], strict=True) if pose is not None][19:]
    for result, pose in back[3:]:
        assert result.ok
        assert np.hypot(result.center[0] - pose.cx, result.center[1] - pose.cy) < 4


def test_without_recovery_the_jumped_target_is_not_found():
    """The same scene defeats plain mean shift: the re-acquisition, not luck, finds the target above."""
    frames, poses = occlusion_sequence()
    results = track(meanshift.generalized(recovery=False), frames, poses)
    last, pose = results[-1], poses[-1]
    assert np.hypot(last.center[0] - pose.cx, last.center[1] - pose.cy) > 40


def test_reacquisition_refuses_a_poor_match():
    """A different-coloured object appearing elsewhere is not locked on to: the match is verified."""
    rng = np.random.default_rng(5)
    background = block_texture(FRAME, COOL_BACKGROUND_PALETTE, rng=rng)
    first, _ = render_scene(FRAME, TargetPose(80, 90, 40, 30), rng=rng, background=background)
    tracker = meanshift.generalized()
    tracker.init(first, (60, 75, 40, 30))
    for _ in range(5):
        tracker.update(first)
    decoy, _ = render_scene(FRAME, TargetPose(240, 170, 40, 30), rng=rng, background=background,
                            target_palette=YELLOW_TARGET_PALETTE)
    results = [tracker.update(decoy) for _ in range(5)]
    assert not any(r.ok for r in results)
    assert all(np.hypot(r.center[0] - 240, r.center[1] - 170) > 40 for r in results)


def test_excluded_box_hides_the_target_from_the_tracker():
    rng = np.random.default_rng(2)
    frame, _ = render_scene(FRAME, TargetPose(120, 100, 40, 30), rng=rng)
    box = TargetPose(120, 100, 40, 30).box(FRAME)
    tracker = meanshift.generalized(recovery=False)
    tracker.init(frame, box)
    assert tracker.update(frame).ok
    hidden = tracker.update(frame, exclude=[box])
    assert not hidden.ok  # nothing of the target is left to match
    assert tracker.update(frame).ok  # the exclusion lasts one frame
    for bad in ((1, 2, 3), (0, 0, float("nan"), 5), (0, 0, -4, 5)):
        with pytest.raises(ValueError, match="exclude boxes"):
            tracker.update(frame, exclude=[bad])


def two_target_frames(n=30):
    rng = np.random.default_rng(4)
    background = block_texture(FRAME, COOL_BACKGROUND_PALETTE, rng=rng)
    frames, truths = [], []
    for t in range(n):
        red = TargetPose(70.0 + 2 * t, 80.0, 36.0, 28.0)
        yellow = TargetPose(250.0 - 2 * t, 160.0, 36.0, 28.0)
        frame, _ = render_scene(FRAME, red, rng=rng, background=background)
        frame, _ = render_scene(FRAME, yellow, rng=rng, background=frame, target_palette=YELLOW_TARGET_PALETTE,
                                noise=0)
        frames.append(frame)
        truths.append((red, yellow))
    return frames, truths


@pytest.mark.parametrize("preset", meanshift.PRESETS)
def test_multitracker_follows_each_target(preset):
    frames, truths = two_target_frames()
    multi = meanshift.MultiTracker(preset)
    ids = [multi.add(frames[0], pose.box(FRAME)) for pose in truths[0]]
    assert ids == [0, 1] and len(multi) == 2
    for frame, poses in zip(frames[1:], truths[1:], strict=True):
        results = multi.update(frame)
        assert list(results) == ids
        for target, pose in zip(ids, poses, strict=True):
            assert np.hypot(results[target].center[0] - pose.cx, results[target].center[1] - pose.cy) < 8


def test_multitracker_matches_independent_trackers_when_targets_are_apart():
    frames, truths = two_target_frames(10)
    multi = meanshift.MultiTracker("generalized")
    singles = [meanshift.generalized() for _ in truths[0]]
    for tracker, pose in zip(singles, truths[0], strict=True):
        multi.add(frames[0], pose.box(FRAME))
        tracker.init(frames[0], pose.box(FRAME))
    for frame in frames[1:]:
        together = multi.update(frame)
        alone = [tracker.update(frame) for tracker in singles]
        assert [r.box for r in together.values()] == [r.box for r in alone]


def test_multitracker_remove_and_errors():
    frames, truths = two_target_frames(3)
    multi = meanshift.MultiTracker()
    first = multi.add(frames[0], truths[0][0].box(FRAME))
    second = multi.add(frames[0], truths[0][1].box(FRAME))
    multi.remove(first)
    assert multi.targets == [second] and list(multi.update(frames[1])) == [second]
    with pytest.raises(KeyError, match="no target with id 7"):
        multi.remove(7)
    with pytest.raises(ValueError, match="box"):
        multi.add(frames[0], (10, 10, -5, 5))
    with pytest.raises(ValueError, match="unknown|preset"):
        meanshift.MultiTracker("no-such-preset")


#: What the engine says about the shared footage at init: grayscale sequences, and targets too grey or dark for
#: the hue presets' HSV mask. Expected, so asserted here rather than left in pytest's warnings summary.
EXPECTED_ON_SHARED_FOOTAGE = re.compile(r"grayscale frames: tracking with 'gray' features"
                                        r"|of the box fails the HSV mask")


@pytest.mark.filterwarnings("error::UserWarning")  # any other warning fails the test instead of being listed
def test_every_preset_survives_every_shared_sequence(sequences_dir):
    """No crash, NaN or empty box on any frame of the shared footage, for the reference presets as for ours."""
    import warnings

    import cv2

    from meanshift.evaluation.datasets import load_dataset

    for sequence in load_dataset(sequences_dir):
        frames = [cv2.imread(str(path)) for path in sequence.frame_paths]
        for preset in meanshift.PRESETS:
            tracker = meanshift.create_tracker(preset)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                tracker.init(frames[0], tuple(sequence.groundtruth[0]))
            unexpected = [str(w.message) for w in caught if not EXPECTED_ON_SHARED_FOOTAGE.search(str(w.message))]
            assert not unexpected, (sequence.name, preset, unexpected)
            for index, frame in enumerate(frames[1:], 1):
                result = tracker.update(frame)
                x, y, w, h = result.box
                height, width = frame.shape[:2]
                assert np.isfinite(result.box).all() and np.isfinite(result.score), (sequence.name, preset, index)
                assert w > 0 and h > 0 and 0 <= x and 0 <= y and x + w <= width and y + h <= height, (
                    sequence.name, preset, index, result.box)


def test_auto_features_picks_the_space_that_separates_target_from_background():
    # A red target on a background of the same brightness pattern but other hues: hue separates best;
    # a grey target on a coloured background: hue masks the target, so it must not be chosen.
    rng = np.random.default_rng(8)
    frame, _ = render_scene(FRAME, TargetPose(150, 120, 50, 40), rng=rng)
    tracker = meanshift.Tracker(features="auto")
    tracker.init(frame, TargetPose(150, 120, 50, 40).box(FRAME))
    assert tracker.space.name in ("hue", "hue-sat", "bgr")
    grey = np.array([[128, 128, 128], [140, 140, 140]], np.uint8)
    frame, _ = render_scene(FRAME, TargetPose(150, 120, 50, 40), rng=rng, target_palette=grey, noise=0)
    tracker = meanshift.Tracker(features="auto")
    tracker.init(frame, TargetPose(150, 120, 50, 40).box(FRAME))
    assert tracker.space.name != "hue"
    assert tracker.update(frame).ok


@pytest.mark.parametrize("options", [{"similarity": "background-ratio"}, {"scale": "contrast", "scale_check": True},
                                     {"motion": "constant-velocity"}, {"features": "auto"},
                                     {"model_update": 0.05}])
def test_accuracy_options_follow_a_moving_scaling_target(options):
    from meanshift.synthetic import moving_target_sequence

    frames = list(moving_target_sequence(n_frames=60, seed=3))
    tracker = meanshift.generalized(**options)
    tracker.init(*frames[0])
    errors, scales = [], []
    for frame, (x, y, w, h) in frames[1:]:
        result = tracker.update(frame)
        assert result.ok
        errors.append(np.hypot(result.center[0] - (x + (w - 1) / 2), result.center[1] - (y + (h - 1) / 2)))
        scales.append(result.box[2] / w)
    assert np.mean(errors) < 1.5 and np.max(errors) < 5, (options, np.mean(errors), np.max(errors))
    assert 0.7 < np.median(scales) < 1.4


def test_scale_check_refuses_a_growth_the_moments_do_not_see():
    """A window twice its target: the zeroth moment says shrink, so with the check it never grows."""
    rng = np.random.default_rng(11)
    frame, _ = render_scene(FRAME, TargetPose(160, 120, 40, 30, shape="rectangle"), rng=rng)
    tracker = meanshift.generalized(scale="contrast", scale_check=True, recovery=False)
    tracker.init(frame, (120, 90, 80, 60))
    widths = [tracker.update(frame).box[2] for _ in range(20)]
    assert max(widths) <= 80 + 1e-6 and widths[-1] < 80


def test_window_sums_match_brute_force(rng):
    from meanshift.recovery import window_sums

    for _ in range(10):
        values = rng.random((int(rng.integers(1, 30)), int(rng.integers(1, 30))))
        size = (int(rng.integers(1, 12)), int(rng.integers(1, 12)))
        got = window_sums(values, size)
        height, width = values.shape
        want = np.zeros_like(values)
        for i in range(height):
            for j in range(width):
                r0, c0 = i - size[0] // 2, j - size[1] // 2
                want[i, j] = values[max(r0, 0):max(r0 + size[0], 0), max(c0, 0):max(c0 + size[1], 0)].sum()
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_window_peaks_are_the_best_windows_a_window_apart():
    from meanshift.recovery import window_peaks

    values = np.zeros((60, 80))
    values[10:16, 10:18] = 1.0  # strongest blob
    values[40:46, 60:68] = 0.5
    values[12:15, 20:23] = 0.9  # overlaps the first blob's neighbourhood: suppressed
    peaks = window_peaks(values, (6, 8), 5)
    assert peaks[0][0] in range(10, 16) and peaks[0][1] in range(10, 18)
    assert any(40 <= r < 46 and 60 <= c < 68 for r, c in peaks[1:])
    for a in range(len(peaks)):
        for b in range(a + 1, len(peaks)):
            assert abs(peaks[a][0] - peaks[b][0]) >= 6 or abs(peaks[a][1] - peaks[b][1]) >= 8
    assert window_peaks(np.zeros((5, 5)), (2, 2), 3) == []


def test_track_video_keeps_several_targets_out_of_each_others_boxes(tmp_path):
    """The CLI and batch path (track_video) updates several targets as MultiTracker does."""
    from meanshift.apps.batch import track_video
    from meanshift.io import FrameSource

    frames, truths = two_target_frames(6)
    seen_excludes = []

    class Recording(meanshift.Tracker):
        def update(self, frame, *, exclude=()):
            seen_excludes.append([tuple(round(v) for v in box) for box in exclude])
            return super().update(frame, exclude=exclude)

    class Frames(FrameSource):
        def __init__(self):
            self.name, self.kind, self.fps, self.frame_count = "two-targets", "file", 30.0, len(frames)
            self._frames = iter(frames)
            self._peeked = None

        def _read(self):
            return next(self._frames, None)

    boxes = [pose.box(FRAME) for pose in truths[0]]
    report = track_video(Frames(), boxes, make_tracker=lambda: Recording(features="bgr"),
                         csv_path=tmp_path / "boxes.csv")
    assert report.frames == len(frames)
    # every update of a target excluded exactly the other target's box, where it was
    assert len(seen_excludes) == 2 * (len(frames) - 1)
    assert all(len(excluded) == 1 for excluded in seen_excludes)
    first_other = seen_excludes[0][0]
    assert first_other == tuple(round(v) for v in boxes[1])
